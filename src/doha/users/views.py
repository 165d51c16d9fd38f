"""Pages of a signed-in user's own account: personal access tokens, password.

A token lets a DHIS2 client or a script call the API as its owner
(``Authorization: ApiToken d2pat_...``). The secret is shown once, on the page that answers
the creation; only its hash is kept. A user lists and revokes their own tokens only.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from doha.core.scope import can
from doha.users.authentication import KEYWORD, create_token
from doha.users.models import ApiToken

DEFAULT_LIFETIME_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “DHIS2 sync of the province”."),
    )
    expires = forms.DateField(
        label=gettext_lazy("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=gettext_lazy("The token stops working after this day."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not self.is_bound:
            self.initial.setdefault(
                "expires", timezone.localdate() + datetime.timedelta(days=DEFAULT_LIFETIME_DAYS)
            )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        live = ApiToken.objects.filter(user=self.user, name=name, revoked__isnull=True)
        if live.exists():
            raise forms.ValidationError(
                _("You already have a token named %(name)s; revoke it or choose another name.")
                % {"name": name}
            )
        return name

    def clean_expires(self):
        expires = self.cleaned_data["expires"]
        if expires <= timezone.localdate():
            raise forms.ValidationError(_("The expiry date must be after today."))
        return expires


def token_status(token) -> str:
    if token.revoked is not None:
        return "revoked"
    if token.expires is not None and token.expires < timezone.localdate():
        return "expired"
    return "active"


class TokenListView(LoginRequiredMixin, TemplateView):
    template_name = "users/token_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, ApiToken, "view"):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        tokens = list(
            ApiToken.objects.restrict(self.request.user, "view")
            .filter(user=self.request.user)
            .order_by("-created", "-pk")
        )
        for token in tokens:
            token.status = token_status(token)
        ctx.setdefault("form", TokenForm(user=self.request.user))
        ctx.update(
            tokens=tokens,
            can_add=can(self.request.user, ApiToken, "add"),
            keyword=KEYWORD,
            active_nav="tokens",
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not can(request.user, ApiToken, "add"):
            raise PermissionDenied(_("Your role does not allow this action."))
        form = TokenForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        with transaction.atomic():
            token, secret = create_token(
                request.user, form.cleaned_data["name"], expires=form.cleaned_data["expires"]
            )
        # The secret goes into this one response and nowhere else (not the session, not a
        # message): reloading the page does not show it again.
        return self.render_to_response(
            self.get_context_data(new_token=token, secret=secret, form=TokenForm(user=request.user))
        )


class TokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        if not can(request.user, ApiToken, "change"):
            raise PermissionDenied(_("Your role does not allow this action."))
        token = get_object_or_404(
            ApiToken.objects.restrict(request.user, "change").filter(user=request.user), pk=pk
        )
        if token.revoked is None:
            token.revoked = timezone.now()
            token.save(update_fields=["revoked", "last_updated"])
            messages.success(request, _("Token revoked: %(name)s") % {"name": token.name})
        return redirect("users:tokens")


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in user chooses a new password, under the password policy
    (AUTH_PASSWORD_VALIDATORS: at least 10 characters, not common, not only digits, not like
    the username or name). The session stays signed in."""

    template_name = "users/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "password"
        return ctx

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response
