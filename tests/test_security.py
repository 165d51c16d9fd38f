"""Sign-in lockout, password policy, security headers and production settings."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from doha.users.authentication import create_token
from doha.web.demo import DEMO_PASSWORD
from tests.mixins import new_client

REPO = Path(__file__).resolve().parents[1]
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, username, password, address="10.0.0.1", **extra):
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def fail_until_locked(client, username, address="10.0.0.1"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # Vietnamese unless chosen
    for _ in range(LIMIT - 1):
        assert sign_in(client, username, "wrong-password", address).status_code == 200
    return sign_in(client, username, "wrong-password", address)


# --- lockout ---------------------------------------------------------------------------------


def test_lockout_after_failures_refuses_even_the_right_password(users):
    client = new_client()
    locked = fail_until_locked(client, "syt.bn")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed sign-in attempts" in page
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    assert re.search(r"locked until \d\d:\d\d", page)
    assert until.strftime("%H:") in page or until.strftime("%M") in page
    # The form is shown again with the username kept.
    assert 'value="syt.bn"' in page

    right = sign_in(client, "syt.bn", users.password)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_message_is_vietnamese_by_default(users):
    client = new_client()
    for _ in range(LIMIT):
        response = client.post(
            "/login/", {"username": "syt.bn", "password": "sai"}, REMOTE_ADDR="10.0.0.9"
        )
    assert response.status_code == 429
    page = response.content.decode()
    assert "Đăng nhập sai quá nhiều lần" in page
    assert re.search(r"tạm khóa đăng nhập đến \d\d:\d\d", page)


def test_lockout_is_per_username_and_address(users):
    client = new_client()
    assert fail_until_locked(client, "syt.bn", "10.0.0.1").status_code == 429
    # Same person from another address, and another person from the same address, still sign in.
    assert sign_in(new_client(), "syt.bn", users.password, "10.0.0.2").status_code == 302
    assert sign_in(new_client(), "syt.tn", users.password, "10.0.0.1").status_code == 302


def test_lockout_ends_after_the_cool_off(users):
    client = new_client()
    assert fail_until_locked(client, "syt.bn").status_code == 429
    # Move every attempt back past the cool-off period.
    past = AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=past - settings.AXES_COOLOFF_TIME)
    assert sign_in(client, "syt.bn", users.password).status_code == 302


def test_success_before_the_limit_clears_the_count(users):
    client = new_client()
    for _ in range(LIMIT - 1):
        sign_in(client, "syt.bn", "wrong-password")
    assert sign_in(client, "syt.bn", users.password).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert sign_in(client, "syt.bn", "wrong-password").status_code == 200
    assert sign_in(client, "syt.bn", users.password).status_code == 302


def test_http_basic_on_the_api_is_locked_out_too(users):
    def basic(password):
        token = base64.b64encode(f"syt.bn:{password}".encode()).decode()
        return new_client().get(
            "/api/facilities/", HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR="10.0.0.3"
        )

    assert basic(users.password).status_code == 200
    for _ in range(LIMIT):
        assert basic("wrong-password").status_code in (401, 403)
    locked = basic(users.password)
    assert locked.status_code in (401, 403)
    assert "results" not in locked.json()


def test_access_tokens_keep_working_and_are_not_counted(users):
    _, secret = create_token(users.doh, "sync")
    client = new_client()
    fail_until_locked(client, "syt.bn", "10.0.0.4")
    response = new_client().get(
        "/api/facilities/", HTTP_AUTHORIZATION=f"ApiToken {secret}", REMOTE_ADDR="10.0.0.4"
    )
    assert response.status_code == 200
    bad = new_client().get(
        "/api/facilities/", HTTP_AUTHORIZATION="ApiToken d2pat_wrong", REMOTE_ADDR="10.0.0.5"
    )
    assert bad.status_code in (401, 403)
    assert not AccessAttempt.objects.filter(ip_address="10.0.0.5").exists()


def test_admin_can_unlock_with_axes_reset(users):
    from django.core.management import call_command

    client = new_client()
    assert fail_until_locked(client, "syt.bn").status_code == 429
    call_command("axes_reset_username", "syt.bn", verbosity=0)
    assert sign_in(client, "syt.bn", users.password).status_code == 302


# --- password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ng0c-Lan!", "too short"),
        ("1234567890123", "entirely numeric"),
        ("password1234", "too common"),
        ("nguyen.van.an.2026", "too similar"),
    ],
)
def test_password_policy_refuses_weak_passwords(db, password, reason):
    from doha.users.models import User

    user = User(username="nguyen.van.an", first_name="An", last_name="Nguyễn Văn")
    with translation.override("en"), pytest.raises(ValidationError) as err:
        validate_password(password, user)
    assert reason in " ".join(err.value.messages)


def test_password_policy_accepts_a_long_passphrase(db):
    validate_password("mua-xuan-tren-song-Cau")


def test_demo_password_is_below_the_policy_and_only_the_demo_uses_it(db):
    # The demo loader sets it directly (set_password), which skips the validators; a person
    # choosing a password in the admin or with changepassword must meet the policy.
    with pytest.raises(ValidationError):
        validate_password(DEMO_PASSWORD)


def test_admin_user_form_refuses_a_short_password(users):
    client = new_client()
    client.force_login(users.admin)
    response = client.post(
        f"/admin/users/user/{users.viewer.pk}/password/",
        {"password1": "ngan-qua", "password2": "ngan-qua"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    users.viewer.refresh_from_db()
    assert users.viewer.check_password(users.password)


# --- headers -----------------------------------------------------------------------------------


def test_pages_send_security_headers(users):
    client = new_client()
    client.force_login(users.doh)
    response = client.get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in csp


def test_inline_scripts_and_styles_carry_the_response_nonce(users):
    client = new_client()
    client.force_login(users.doh)
    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    page = response.content.decode()
    assert nonce in page  # handed to htmx for its indicator style
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page):
        assert f'nonce="{nonce}"' in tag
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"
    other = client.get("/")["Content-Security-Policy"]
    assert nonce not in other


def test_api_docs_page_runs_without_inline_script(users):
    client = new_client()
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_no_template_uses_inline_event_handlers_or_bare_inline_scripts():
    """The policy refuses them in the browser; catch them before a page silently breaks."""
    offenders = []
    for path in (REPO / "src" / "doha").rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\son(click|change|submit|input|load|keyup|keydown)=", text):
            offenders.append(f"{path}: inline event handler")
        for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            if "csp_nonce" not in tag:
                offenders.append(f"{path}: {tag} without nonce")
    assert not offenders, offenders


# --- production settings ---------------------------------------------------------------------


def production_env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DOHA_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="doha.settings",
        PYTHONPATH=str(REPO / "src"),
        DOHA_ENV="production",
        DOHA_HOME=str(tmp_path),
        DJANGO_SECRET_KEY="kT9#vQ2!pL7@xR4$wN8%zB1^mC6&hD3*jF5(gS0)yU-eA_oI+rY=tH",
        ALLOWED_HOSTS="doha.soyte.gov.vn",
        DJANGO_DEBUG="0",
    )
    env.update(extra)
    return env


def run_manage(env, *args):
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_production_settings(tmp_path):
    env = production_env(tmp_path, DOHA_ENV="development", DJANGO_SECRET_KEY="")
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_production_cookies_and_hsts():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)"
    )
    env = production_env(Path("/tmp"))
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ], out.stderr


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_plain_http_is_redirected_and_https_gets_hsts(users):
    client = Client()  # a new handler: SecurityMiddleware reads its settings when built
    assert client.get("/login/").status_code == 301
    response = client.get("/login/", secure=True)
    assert response.status_code == 200
    assert "max-age=31536000" in response["Strict-Transport-Security"]


# --- changing one's password -------------------------------------------------------------------


def test_password_change_applies_the_policy_and_keeps_the_session(users):
    client = new_client()
    client.force_login(users.viewer)
    url = reverse("users:password")
    client.cookies["django_language"] = "en"
    page = client.get(url)
    assert page.status_code == 200 and "Change password" in page.content.decode()
    short = client.post(
        url,
        {"old_password": users.password, "new_password1": "Ngan-qua", "new_password2": "Ngan-qua"},
    )
    assert short.status_code == 200
    assert "at least 10 characters" in short.content.decode()
    users.viewer.refresh_from_db()
    assert users.viewer.check_password(users.password)

    wrong_old = client.post(
        url,
        {
            "old_password": "not-my-password",
            "new_password1": "mua-xuan-tren-song-Cau",
            "new_password2": "mua-xuan-tren-song-Cau",
        },
    )
    assert wrong_old.status_code == 200 and "old password was entered incorrectly" in (
        wrong_old.content.decode()
    )

    done = client.post(
        url,
        {
            "old_password": users.password,
            "new_password1": "mua-xuan-tren-song-Cau",
            "new_password2": "mua-xuan-tren-song-Cau",
        },
    )
    assert done.status_code == 302
    users.viewer.refresh_from_db()
    assert users.viewer.check_password("mua-xuan-tren-song-Cau")
    assert client.get("/").status_code == 200  # still signed in


def test_password_change_needs_sign_in():
    response = new_client().get(reverse("users:password"))
    assert response.status_code == 302 and "/login/" in response["Location"]
