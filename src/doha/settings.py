"""One settings module, driven by environment variables.

DATABASE_URL      sqlite (default: ./var/doha.sqlite3) or postgres://user:pass@host:port/db
DOHA_ENV          "production" makes DJANGO_SECRET_KEY mandatory and turns on HTTPS-only
                  cookies, HSTS and the redirect to HTTPS (see "Security" below)
DJANGO_SECRET_KEY required in production
DJANGO_DEBUG      "1" for development (default "0")
ALLOWED_HOSTS     comma-separated (default "127.0.0.1,localhost")
DOHA_INSECURE_COOKIES  "1" keeps production settings but serves plain HTTP (local load tests)
DOHA_HSTS_SECONDS      HSTS max-age in production (default one year; 0 turns HSTS off)
DOHA_PROXY_SSL_HEADER  "1" when a reverse proxy terminates HTTPS and sets X-Forwarded-Proto
DOHA_LOGIN_FAILURE_LIMIT  failed sign-ins per username and address before lockout (default 5)
DOHA_LOGIN_COOLOFF_MINUTES  how long the lockout lasts (default 15)
DOHA_PROXY_COUNT       number of reverse proxies in front of the app (client address for lockout)
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("DOHA_HOME", Path.cwd()))
VAR_DIR = PROJECT_DIR / "var"


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes"}


DEBUG = env_bool("DJANGO_DEBUG")
PRODUCTION = os.environ.get("DOHA_ENV", "development") == "production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DOHA_ENV=production")
    SECRET_KEY = "doha-development-key-not-for-production"  # noqa: S105
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "auditlog",
    "axes",
    "doha.core",
    "doha.users",
    "doha.orgunits",
    "doha.catalog",
    "doha.programmes",
    "doha.transfers",
    "doha.people",
    "doha.rotations",
    "doha.training",
    "doha.telehealth",
    "doha.donations",
    "doha.vaccines",
    "doha.aggregate",
    "doha.analytics",
    "doha.reports",
    "doha.visits",
    "doha.checklists",
    "doha.gaps",
    "doha.awards",
    "doha.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "doha.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "doha.core.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last: turns a sign-in refused by the lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "doha.urls"
WSGI_APPLICATION = "doha.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "doha.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'doha.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password policy: applied where a person chooses a password (/account/password/, admin forms,
# createsuperuser, changepassword). The demo loader and the test factories set passwords
# directly (the demo password doha@2026 is below the policy; see docs/reliability.md).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in lockout (django-axes): after DOHA_LOGIN_FAILURE_LIMIT failed attempts for one
# username from one address, that pair is refused for DOHA_LOGIN_COOLOFF_MINUTES. Applies to
# the sign-in page, the admin and HTTP Basic on the API; personal access tokens are not
# passwords and are not counted. A successful sign-in clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DOHA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("DOHA_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "doha.users.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT = (
    int(os.environ["DOHA_PROXY_COUNT"]) if os.environ.get("DOHA_PROXY_COUNT") else None
)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_VERBOSE = False

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DOHA_MANIFEST_STATIC")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# Security. Headers that cost nothing are always sent: no framing, no MIME sniffing, a strict
# referrer policy and a Content-Security-Policy (doha.core.security). Production
# (DOHA_ENV=production) adds HTTPS-only cookies, HSTS and the redirect to HTTPS;
# `manage.py check --deploy` is clean with those settings (tests/test_security.py).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("DOHA_SESSION_HOURS", "12")) * 3600
if PRODUCTION and not env_bool("DOHA_INSECURE_COOKIES"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DOHA_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not env_bool("DOHA_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "doha.users.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["doha.core.api.permissions.ScopedPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "doha API",
    "DESCRIPTION": "REST API of doha (chỉ đạo tuyến): health facilities, administrative units.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # `check --deploy` is about the deployment; the schema is checked by
    # `manage.py spectacular --validate --fail-on-warn` and the API fuzzing tests.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "FacilityTypeEnum": "doha.orgunits.models.FacilityType",
        "AefiOutcomeEnum": "doha.vaccines.models.AefiOutcome",
        "SurveyStatusEnum": "doha.programmes.models.SurveyStatus",
        "ResponseStatusEnum": "doha.programmes.models.ResponseStatus",
        "NeedStatusEnum": "doha.programmes.models.NeedStatus",
        "ProgrammeStatusEnum": "doha.programmes.models.ProgrammeStatus",
        "ItemStatusEnum": "doha.programmes.models.ItemStatus",
        "TrainingKindEnum": "doha.programmes.models.TrainingKind",
        "ProgrammeKindEnum": "doha.programmes.models.ProgrammeKind",
        "CaseKindEnum": "doha.transfers.models.CaseKind",
        "SexEnum": "doha.people.models.Sex",
        "VisitKindEnum": "doha.visits.models.VisitKind",
    },
}

AUDITLOG_INCLUDE_ALL_MODELS = False

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Line direction rules (Vietnamese practice; override per deployment).
DOHA_MIN_INDEPENDENT_CASES = int(os.environ.get("DOHA_MIN_INDEPENDENT_CASES", "5"))
# Circular 32/2023/TT-BYT: at least 120 CME credit hours in every 5 consecutive years.
DOHA_CME_REQUIRED_HOURS = int(os.environ.get("DOHA_CME_REQUIRED_HOURS", "120"))
DOHA_CME_PERIOD_YEARS = int(os.environ.get("DOHA_CME_PERIOD_YEARS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
