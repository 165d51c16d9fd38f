"""Personal access tokens: the page that makes and revokes them, and the API they open."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from doha.users.authentication import create_token
from doha.users.models import ApiToken
from tests.mixins import new_client

pytestmark = pytest.mark.django_db
TOKENS = "/account/tokens/"


def test_the_page_is_mounted_under_account():
    assert reverse("users:tokens") == TOKENS


def signed_in(user):
    client = new_client()
    client.force_login(user)
    return client


def tomorrow_plus(days):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def token_client(secret):
    return Client(HTTP_AUTHORIZATION=f"ApiToken {secret}")


def test_create_shows_the_secret_once_and_it_opens_the_api(users):
    client = signed_in(users.clerk)
    response = client.post(TOKENS, {"name": "DHIS2 sync", "expires": tomorrow_plus(30)})
    assert response.status_code == 200
    html = response.content.decode()
    secret = re.search(r'id="token-secret">(d2pat_[^<]+)<', html).group(1)
    token = ApiToken.objects.get(user=users.clerk, name="DHIS2 sync")
    assert secret.startswith(token.key_prefix) and secret not in token.key_hash
    # Reloading the page lists the token by its prefix, never the secret.
    again = client.get(TOKENS).content.decode()
    assert "DHIS2 sync" in again and token.key_prefix in again and secret not in again

    me = token_client(secret).get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == users.clerk.username
    token.refresh_from_db()
    assert token.last_used is not None


def test_bad_input_names_the_field(users):
    client = signed_in(users.viewer)
    response = client.post(TOKENS, {"name": "", "expires": timezone.localdate().isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="name"' in html and 'data-field="expires"' in html
    assert not ApiToken.objects.exists()
    create_token(users.viewer, "Script", expires=timezone.localdate() + datetime.timedelta(9))
    response = client.post(TOKENS, {"name": "Script", "expires": tomorrow_plus(5)})
    assert response.status_code == 400 and ApiToken.objects.count() == 1


def test_revoked_and_expired_tokens_get_401(users):
    token, secret = create_token(
        users.doh, "Báo cáo", expires=timezone.localdate() + datetime.timedelta(days=10)
    )
    assert token_client(secret).get("/api/me").status_code == 200
    client = signed_in(users.doh)
    response = client.post(f"{TOKENS}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert token_client(secret).get("/api/me").status_code == 401
    assert "revoked" in client.get(TOKENS).content.decode()

    old, old_secret = create_token(users.doh, "Old", expires=timezone.localdate())
    assert token_client(old_secret).get("/api/me").status_code == 200  # valid through the day
    ApiToken.objects.filter(pk=old.pk).update(
        expires=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert token_client(old_secret).get("/api/me").status_code == 401
    assert token_client("d2pat_not-a-token").get("/api/me").status_code == 401


def test_no_one_sees_or_revokes_another_users_token(users):
    token, secret = create_token(
        users.doh, "Mine", expires=timezone.localdate() + datetime.timedelta(days=10)
    )
    intruder = signed_in(users.clerk)
    assert "Mine" not in intruder.get(TOKENS).content.decode()
    assert intruder.post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    admin = signed_in(users.admin)
    assert admin.post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None
    assert token_client(secret).get("/api/me").status_code == 200


def test_the_page_needs_a_sign_in(users):
    response = new_client().get(TOKENS)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert new_client().post(TOKENS, {"name": "x", "expires": tomorrow_plus(3)}).status_code == 302
    assert not ApiToken.objects.exists()
