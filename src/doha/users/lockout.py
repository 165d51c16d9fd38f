"""What a person sees when django-axes refuses a sign-in after too many failures.

The sign-in page again, with the reason and how long to wait, answered with 429 (Too Many
Requests). API clients (HTTP Basic) get DRF's 401 instead: the lockout only stops the
password from being checked.
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _


def lockout_message() -> str:
    """The refusal, with the time (local, HH:MM) when the lockout ends.

    Every refused attempt during the lockout starts the cool-off again, so the end is now plus
    the cool-off period.
    """
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    return _(
        "Too many failed sign-in attempts for this account from your address. Sign-in is "
        "locked until %(time)s; try again then, or ask the system administrator to unlock it."
    ) % {"time": until.strftime("%H:%M")}


def lockout_response(request, original_response=None, credentials=None):
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path != reverse("login"):
        # The admin's sign-in page or another form: the message alone.
        return HttpResponse(
            lockout_message(), status=status, content_type="text/plain; charset=utf-8"
        )
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    form.cleaned_data = {}  # add_error() needs it; the form is not bound to the refused data
    form.add_error(None, lockout_message())
    return render(
        request,
        "web/login.html",
        {"form": form, "next": request.POST.get("next", ""), "locked_out": True},
        status=status,
    )
