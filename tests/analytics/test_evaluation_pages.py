"""The evaluation page: /analytics/evaluation/."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from doha.programmes.models import PartyRole, ProgrammeParty, Side
from tests.analytics import test_evaluation as data
from tests.mixins import new_client
from tests.programmes.factories import make_programme

pytestmark = pytest.mark.usefixtures("shared_world")

# The synthetic network of test_evaluation (built once for this module too).
synthetic = data.synthetic
world = data.world
START, END = data.START, data.END

URL = "/analytics/evaluation/"


def login(user, english=True):
    client = new_client()
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def programme(world):
    programme = make_programme(
        world.network.bvdk,
        world.network.syt_bn,
        start_date=START,
        end_date=datetime.date(2026, 12, 31),
    )
    for unit in world.treated:
        ProgrammeParty.objects.create(
            programme=programme, org_unit=unit, side=Side.RECIPIENT, role=PartyRole.IMPLEMENTER
        )
    return programme


def test_url_name():
    assert reverse("analytics:evaluation") == URL


def test_anonymous_is_sent_to_login(world):
    response = new_client().get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_empty_form(world):
    response = login(world.users.doh).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="evaluation-form"' in page
    assert 'name="facilities"' in page  # a DOH officer may pick facilities
    assert 'id="evaluation-sentence"' not in page


def test_programme_evaluated_on_the_page(world, programme, monkeypatch):
    monkeypatch.setattr("doha.analytics.evaluation._default_end", lambda: END)
    response = login(world.users.doh).get(
        URL,
        {
            "programme": programme.uid,
            "outcome": "referral_rate",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The referral rate fell by " in page
    assert 'id="comparison-table"' in page
    assert page.count("same type (") == 12
    assert 'id="means-table"' in page
    assert 'id="its-table"' in page
    assert 'src="data:image/png;base64,' in page
    # Means are written the Vietnamese way ("," for decimals) in both languages.
    assert "," in page.split('id="means-table"')[1].split("</table>")[0]


def test_facilities_and_start_for_a_doh_officer(world, monkeypatch):
    monkeypatch.setattr("doha.analytics.evaluation._default_end", lambda: END)
    response = login(world.users.doh).get(
        URL,
        {
            "facilities": [u.uid for u in world.treated[:1]],
            "start": START.isoformat(),
            "outcome": "admissions",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The data cannot support a conclusion: " in page
    assert "too few supported facilities with usable figures: 1, at least 2 needed" in page
    assert 'id="evaluation-reasons"' in page


def test_clerk_cannot_pick_facilities(world, programme):
    response = login(world.users.clerk).get(URL)
    assert response.status_code == 200
    assert 'name="facilities"' not in response.content.decode()


def test_programme_outside_scope_is_refused(world, programme):
    response = login(world.users.doh_tn).get(
        URL,
        {
            "programme": programme.uid,
            "outcome": "referral_rate",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="errors-programme"' in page
    assert 'id="evaluation-sentence"' not in page


def test_missing_choices_name_the_field(world):
    response = login(world.users.doh).get(
        URL, {"outcome": "referral_rate", "months_before": 12, "months_after": 12}
    )
    assert response.status_code == 400
    assert "Choose a programme, or the supported facilities and a start date." in (
        response.content.decode()
    )
    response = login(world.users.doh).get(
        URL,
        {
            "facilities": [world.treated[0].uid],
            "outcome": "admissions",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert response.status_code == 400
    assert 'id="errors-start"' in response.content.decode()


def test_field_errors_in_vietnamese(world):
    client = login(world.users.doh, english=False)
    response = client.get(URL, {"outcome": "deaths", "months_before": 2, "months_after": 12})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="vi">' in page
    assert "Hãy chọn một chương trình, hoặc các cơ sở được hỗ trợ và ngày bắt đầu." in page
    months_errors = page.split('id="errors-months_before"')[1].split("</ul>")[0]
    assert "Đảm bảo giá trị này lớn hơn hoặc bằng" in months_errors
    assert 'id="errors-outcome"' in page
    response = client.get(
        URL,
        {
            "facilities": [world.treated[0].uid],
            "outcome": "admissions",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert "Hãy cho biết ngày bắt đầu hỗ trợ." in response.content.decode()


def test_viewer_sees_the_result(world, programme, monkeypatch):
    monkeypatch.setattr("doha.analytics.evaluation._default_end", lambda: END)
    response = login(world.users.viewer).get(
        URL,
        {
            "programme": programme.uid,
            "outcome": "referral_rate",
            "months_before": 12,
            "months_after": 12,
        },
    )
    assert response.status_code == 200
    assert "The referral rate fell by " in response.content.decode()


def test_programme_page_links_to_the_evaluation(world, programme):
    page = login(world.users.doh).get(programme.get_absolute_url()).content.decode()
    assert 'id="evaluate-outcomes"' in page
    assert f"{URL}?programme={programme.uid}&amp;outcome=referral_rate" in page
