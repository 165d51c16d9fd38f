"""Vietnamese by default; English only when asked for.

Pages follow the user's choice (the language cookie set by the menu), never the browser's
Accept-Language; API clients, which have no menu, may ask with Accept-Language.
The assertions use Django's own messages, which Django's Vietnamese catalogue translates.
"""

import pytest
from django.conf import settings

pytestmark = pytest.mark.usefixtures("shared_world")

REQUIRED_VI = "Trường này là bắt buộc."
REQUIRED_EN = "This field is required."
CHOICE_VI = "Hãy chọn một lựa chọn hợp lệ."
CHOICE_EN = "Select a valid choice."


@pytest.fixture
def doh(client, users):
    client.force_login(users.doh)
    return client


def post_add_without_code(client, network, **headers):
    return client.post(
        "/orgunits/add/",
        {"name": "Trạm Y tế Xã Mới", "facility_type": "nope", "parent": network.tien_du.pk},
        headers=headers,
    )


def test_form_errors_are_vietnamese_when_no_language_is_chosen(doh, network):
    response = post_add_without_code(doh, network)
    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="vi">' in page
    assert REQUIRED_VI in page and CHOICE_VI in page
    assert REQUIRED_EN not in page and CHOICE_EN not in page


def test_a_browser_asking_for_english_still_gets_vietnamese_pages(doh, network):
    response = post_add_without_code(doh, network, accept_language="en-US,en;q=0.9")
    page = response.content.decode()
    assert REQUIRED_VI in page
    assert REQUIRED_EN not in page


def test_the_language_cookie_switches_pages_to_english(doh, network):
    doh.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = post_add_without_code(doh, network).content.decode()
    assert '<html lang="en">' in page
    assert REQUIRED_EN in page and CHOICE_EN in page
    assert REQUIRED_VI not in page


def test_choosing_english_in_the_menu_sticks_for_the_next_pages(doh, network):
    response = doh.post("/i18n/setlang/", {"language": "en", "next": "/orgunits/"})
    assert response.status_code == 302
    assert doh.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert REQUIRED_EN in post_add_without_code(doh, network).content.decode()
    doh.post("/i18n/setlang/", {"language": "vi", "next": "/orgunits/"})
    assert REQUIRED_VI in post_add_without_code(doh, network).content.decode()


def test_an_unknown_language_cookie_falls_back_to_vietnamese(doh, network):
    doh.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert REQUIRED_VI in post_add_without_code(doh, network).content.decode()


def api_create_without_code(client, network, **headers):
    return client.post(
        "/api/facilities/",
        {"name": "Trạm Y tế Xã Mới", "facility_type": "commune_station", "parent": ""},
        content_type="application/json",
        headers=headers,
    )


def test_api_errors_are_vietnamese_by_default(doh, network):
    response = api_create_without_code(doh, network)
    assert response.status_code == 400
    assert response.json()["code"] == [REQUIRED_VI]


def test_api_errors_follow_accept_language(doh, network):
    response = api_create_without_code(doh, network, accept_language="en")
    assert response.status_code == 400
    assert response.json()["code"] == [REQUIRED_EN]


def test_api_errors_follow_the_language_cookie(doh, network):
    doh.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert api_create_without_code(doh, network).json()["code"] == [REQUIRED_EN]


def test_login_error_is_vietnamese(client, users):
    response = client.post("/login/", {"username": "syt.bn", "password": "sai-mat-khau"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vui lòng điền vào" in page and "mật khẩu chính xác" in page
    assert "Please enter a correct" not in page
