from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Vietnamese by default, whatever the browser says.

    Pages switch language only when the user picks one (the language cookie set by the
    menu). API clients may also ask with ``Accept-Language`` (e.g. ``en``), since they have
    no menu.
    """

    def process_request(self, request):
        supported = dict(settings.LANGUAGES)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            language = settings.LANGUAGE_CODE
            if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
                asked = translation.get_language_from_request(request)
                language = asked if asked in supported else language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
