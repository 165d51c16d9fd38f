"""Personal access tokens: ``Authorization: ApiToken <token>`` as DHIS2 clients send it."""

import hashlib
import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

TOKEN_PREFIX = "d2pat_"
KEYWORD = "ApiToken"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_secret() -> str:
    """A new secret in DHIS2's shape: ``d2pat_`` and 36 random characters."""
    return TOKEN_PREFIX + secrets.token_urlsafe(27)[:36]


def create_token(user, name: str, expires=None):
    """Make a token for ``user``; returns (token, secret). Only the hash is stored."""
    from doha.users.models import ApiToken

    secret = new_token_secret()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_prefix=secret[:12],
        key_hash=hash_token(secret),
        expires=expires,
    )
    return token, secret


def user_for_token(raw: str):
    from doha.users.models import ApiToken

    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw.strip())).first()
    if token is None:
        raise exceptions.AuthenticationFailed(_("The access token is not valid."))
    if token.revoked is not None:
        raise exceptions.AuthenticationFailed(_("The access token has been revoked."))
    if token.expires is not None and token.expires < timezone.localdate():
        raise exceptions.AuthenticationFailed(_("The access token has expired."))
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("The account of this token is disabled."))
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    return token.user, token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Write the header as: ApiToken <token>."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("The access token is not valid.")) from exc
        return user_for_token(raw)

    def authenticate_header(self, request):
        return self.keyword
