"""Pages: facility gap, matrix with drill-down, .xlsx export, send to matching; scope."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from doha.programmes import services as programme_services
from doha.programmes.models import NeedsSurvey, TechniqueNeed
from tests.mixins import new_client

D = datetime.date


def login(user):
    client = new_client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def facility_url(unit):
    return reverse("gaps:facility", args=[unit.uid])


def test_facility_page_lists_gaps_by_specialty(network, catalogue, users):
    response = login(users.clerk).get(facility_url(network.tien_du) + "?specialty=10")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Allowed at its level: 3 techniques; performed: 1; gap: 2." in html
    assert 'data-specialty="10"' in html and "<details open>" in html
    assert "T-B1" in html and "T-A2" in html
    assert 'data-technique="T-A1"' not in html  # performed: not a gap
    assert "T-A3" not in html  # not allowed at the level


def test_facility_page_scope(network, catalogue, users):
    assert login(users.clerk).get(facility_url(network.tu_son)).status_code == 404
    assert login(users.doh_tn).get(facility_url(network.tien_du)).status_code == 404
    assert login(users.viewer).get(facility_url(network.tien_du)).status_code == 200
    anonymous = new_client().get(facility_url(network.tien_du))
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_matrix_page_with_drill_down(network, catalogue, users):
    response = login(users.doh).get(reverse("gaps:matrix"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-facility="BN-TTYT-TIENDU"' in html
    assert facility_url(network.tien_du) + "?specialty=10" in html
    assert 'data-facility="TN-TTYT-PHUBINH"' not in html
    assert response.context["root"] == network.syt_bn
    # A root outside the scope is a 404.
    assert (
        login(users.doh).get(reverse("gaps:matrix"), {"root": network.syt_tn.uid}).status_code
        == 404
    )


def test_matrix_page_of_a_clerk_lists_only_its_facilities(network, catalogue, users):
    response = login(users.clerk).get(reverse("gaps:matrix"))
    facilities = {row.facility.code for row, _url, _cells in response.context["rows"]}
    assert facilities == {"BN-TTYT-TIENDU", "TYT-09319"}


def test_matrix_export_xlsx_has_numbers(network, catalogue, users):
    response = login(users.doh).get(reverse("gaps:matrix_export"), {"root": network.syt_bn.uid})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Facility code", "Facility", "Technical level"]
    assert header[-3:] == ["Allowed", "Performed", "Gap"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    tien_du = rows["BN-TTYT-TIENDU"]
    assert tien_du[header.index("03 Nhi khoa")] == 1
    assert tien_du[header.index("10 Ngoại khoa")] == 1
    assert tien_du[-3:] == (3, 1, 2)
    assert all(isinstance(v, int) for v in tien_du[-3:])
    assert "TN-TTYT-PHUBINH" not in rows
    detail = list(wb.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert ("BN-TTYT-TIENDU", "Trung tâm Y tế Tiên Du", "03", "Nhi khoa", 2, 1, 1) in detail


@pytest.fixture
def open_survey(network, users):
    from django.utils import timezone

    today = timezone.localdate()
    return programme_services.open_survey(
        NeedsSurvey(
            title="Nhu cầu năm nay",
            organiser=network.syt_bn,
            opens_on=today,
            deadline=today + datetime.timedelta(days=30),
        ),
        [network.tien_du],
        user=users.doh,
        today=today,
    )


def test_send_to_matching_confirms_then_creates_once(network, catalogue, users, open_survey):
    client = login(users.clerk)
    url = reverse("gaps:send", args=[network.tien_du.uid])
    data = {"techniques": [catalogue.b1.pk, catalogue.a2.pk], "survey": open_survey.uid}
    confirm = client.post(url, data)
    assert confirm.status_code == 200
    assert "Confirm and send" in confirm.content.decode()
    assert not TechniqueNeed.objects.exists()
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    assert TechniqueNeed.objects.filter(response__facility=network.tien_du).count() == 2
    # Shown as requested, and sending again creates nothing.
    page = client.get(facility_url(network.tien_du)).content.decode()
    assert "already requested" in page
    again = client.post(url, {**data, "confirm": "1"})
    assert again.status_code == 400
    assert "already been requested" in again.content.decode()
    assert TechniqueNeed.objects.count() == 2
    # The needs are in the matching of needs to providers.
    matching = login(users.doh).get(reverse("transfers:matching")).content.decode()
    assert "Kỹ thuật T-B1" in matching and "Kỹ thuật T-A2" in matching


def test_send_to_matching_errors_and_permissions(network, catalogue, users, open_survey):
    url = reverse("gaps:send", args=[network.tien_du.uid])
    client = login(users.clerk)
    nothing = client.post(url, {"survey": open_survey.uid})
    assert nothing.status_code == 400
    assert "Choose at least one gap to send." in nothing.content.decode()
    wrong = client.post(
        url, {"techniques": [catalogue.a1.pk], "survey": open_survey.uid, "confirm": "1"}
    )
    assert "Not a gap of this facility: T-A1" in wrong.content.decode()
    assert login(users.viewer).post(url, {"techniques": [catalogue.b1.pk]}).status_code == 403
    assert login(users.doh_tn).post(url, {"techniques": [catalogue.b1.pk]}).status_code == 404
    assert not TechniqueNeed.objects.exists()
