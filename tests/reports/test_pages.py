"""Report pages: who may write, see and download which reports; form errors; letterheads."""

import io

import pytest
from django.urls import reverse
from docx import Document

from doha.reports.models import Letterhead, Report, ReportVersion, VersionStatus
from tests.mixins import new_client
from tests.reports.conftest import english_client, new_report

# django_db: without a test asking for the database, pytest-django would leave the
# module fixtures on the development database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def signed_in(user):
    client = english_client()
    client.force_login(user)
    return client


def form_data(network, **overrides):
    data = {
        "org_unit": network.syt_bn.pk,
        "period_kind": "S1",
        "year": "2026",
        "start_date": "",
        "end_date": "",
        "number": "7",
        "date": "2026-07-28",
        "title": "",
        "language": "en",
        "shortcomings": "Vẫn còn những sự cố y khoa.",
        "next_tasks": "Tiếp tục lập hồ sơ sức khỏe trên 100% các xã.",
    }
    data.update(overrides)
    return data


def errors_of(response, field):
    html = response.content.decode()
    marker = f'data-field="{field}"'
    assert marker in html, f"no error on {field}"
    return html.split(marker, 1)[1].split("</ul>", 1)[0]


def test_doh_officer_writes_a_report_and_it_is_generated(network, users):
    client = signed_in(users.doh)
    assert client.get(reverse("reports:add")).status_code == 200
    response = client.post(reverse("reports:add"), form_data(network))
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == report.get_absolute_url()
    assert (report.start_date.isoformat(), report.end_date.isoformat()) == (
        "2026-01-01",
        "2026-06-30",
    )
    assert report.issuer == network.syt_bn and report.number == 7
    version = report.versions.get()
    assert version.status == VersionStatus.DONE and version.created_by == users.doh
    doc = Document(io.BytesIO(bytes(version.docx)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Vẫn còn những sự cố y khoa." in text
    # Without statistics metadata the report says what it could not report.
    assert "Not in this system's statistics" in text
    page = client.get(report.get_absolute_url()).content.decode()
    assert reverse("reports:download", args=[report.uid, 1, "docx"]) in page
    listed = client.get(reverse("reports:list")).content.decode()
    assert report.uid in listed


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"year": ""}, "year", "Give the year of the report."),
        ({"year": "1990"}, "year", "between 2000 and 2100"),
        (
            {"period_kind": "range", "start_date": "2026-01-15", "end_date": "2026-03-31"},
            "start_date",
            "start on the first day of a month",
        ),
        (
            {"period_kind": "range", "start_date": "2026-01-01", "end_date": "2026-03-30"},
            "end_date",
            "end on the last day of a month",
        ),
        (
            {"period_kind": "range", "start_date": "2026-05-01", "end_date": "2026-03-31"},
            "end_date",
            "The end comes before the start.",
        ),
        ({"period_kind": "range"}, "start_date", "Give the first day of the range."),
        ({"number": "-3"}, "number", ""),
        ({"period_kind": "quarter"}, "period_kind", "valid choice"),
    ],
)
def test_bad_input_names_the_field(network, users, overrides, field, message):
    response = signed_in(users.doh).post(reverse("reports:add"), form_data(network, **overrides))
    assert response.status_code == 400
    assert message in errors_of(response, field)
    assert not Report.objects.exists()


def test_a_unit_outside_scope_is_refused(network, users):
    response = signed_in(users.doh).post(
        reverse("reports:add"), form_data(network, org_unit=network.syt_tn.pk)
    )
    assert response.status_code == 400
    assert "valid choice" in errors_of(response, "org_unit")
    assert not Report.objects.exists()


def test_range_of_months_is_accepted(network, users):
    response = signed_in(users.doh).post(
        reverse("reports:add"),
        form_data(network, period_kind="range", start_date="2026-03-01", end_date="2026-08-31"),
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.year, report.period_kind) == (2026, "range")


@pytest.fixture
def report(network, users, settings):
    settings.REPORTS_RUN_INLINE = True
    report = new_report(network.syt_bn)
    from doha.reports import services

    services.generate(report, users.doh)
    return report


@pytest.mark.parametrize(
    "role, detail, download, regenerate",
    [
        ("doh", 200, 200, 302),
        ("line", 200, 200, 302),
        ("viewer", 200, 200, 403),
        ("clerk", 404, 404, 403),  # the province is above a facility clerk's scope
        ("doh_tn", 404, 404, 404),  # another province
    ],
)
def test_scope_and_roles(report, users, role, detail, download, regenerate):
    client = signed_in(getattr(users, role))
    assert client.get(report.get_absolute_url()).status_code == detail
    url = reverse("reports:download", args=[report.uid, 1, "docx"])
    assert client.get(url).status_code == download
    response = client.post(reverse("reports:regenerate", args=[report.uid]))
    assert response.status_code == regenerate
    assert report.versions.count() == (2 if regenerate == 302 else 1)
    listed = client.get(reverse("reports:list")).content.decode()
    assert (report.uid in listed) == (detail == 200)


def test_a_clerk_reads_the_reports_of_their_facility_but_writes_none(network, users, settings):
    settings.REPORTS_RUN_INLINE = True
    own = new_report(network.tien_du)
    from doha.reports import services

    services.generate(own, users.doh)
    client = signed_in(users.clerk)
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(reverse("reports:download", args=[own.uid, 1, "docx"])).status_code == 200
    assert client.get(reverse("reports:add")).status_code == 403
    assert client.post(reverse("reports:add"), form_data(network)).status_code == 403
    assert client.get(reverse("reports:letterhead")).status_code == 200  # read only
    assert client.post(reverse("reports:letterhead"), {}).status_code == 403


def test_anonymous_is_sent_to_sign_in(report):
    response = new_client().get(report.get_absolute_url())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_progress_partial_polls_while_running(report, users):
    version = report.versions.get()
    ReportVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.RUNNING, progress=40, message="Figures by facility"
    )
    client = signed_in(users.doh)
    response = client.get(
        report.get_absolute_url() + "?partial=versions", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="40"' in html
    assert "Figures by facility" in html and "<h1" not in html
    ReportVersion.objects.filter(pk=version.pk).update(status=VersionStatus.DONE, progress=100)
    html = client.get(
        report.get_absolute_url() + "?partial=versions", headers={"HX-Request": "true"}
    ).content.decode()
    assert "hx-trigger" not in html and 'data-format="docx"' in html


def test_editing_the_texts_and_regenerating(report, users):
    client = signed_in(users.doh)
    url = reverse("reports:edit", args=[report.uid])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "number": "12",
            "date": "2026-07-30",
            "title": "Sơ kết công tác 6 tháng đầu năm 2026",
            "language": "en",
            "shortcomings": "Công tác quản lý đấu thầu thuốc còn chưa chặt chẽ.",
            "next_tasks": "",
            "regenerate": "1",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.number == 12 and report.title.startswith("Sơ kết")
    latest = report.versions.order_by("-number").first()
    assert latest.number == 2
    doc = Document(io.BytesIO(bytes(latest.docx)))
    texts = [p.text for p in doc.paragraphs]
    assert "Sơ kết công tác 6 tháng đầu năm 2026" in texts
    assert "Công tác quản lý đấu thầu thuốc còn chưa chặt chẽ." in texts
    left = doc.tables[0].rows[0].cells[0]
    assert any(p.text.startswith("No.: 12/") for p in left.paragraphs)


def test_letterhead_of_the_users_unit(network, users):
    client = signed_in(users.doh)
    url = reverse("reports:letterhead")
    page = client.get(url).content.decode()
    assert "SỞ Y TẾ TỈNH BẮC NINH" in page  # proposed from the unit's name
    data = {
        "parent_body": "UBND TỈNH BẮC NINH",
        "issuing_body": "SỞ Y TẾ",
        "symbol_suffix": "BC-SYT",
        "place_name": "Bắc Ninh",
        "signer_authority": "KT. GIÁM ĐỐC",
        "signer_title": "PHÓ GIÁM ĐỐC",
        "signer_name": "Lê Minh Hòa",
        "recipients": "UBND tỉnh\nBộ Y tế",
    }
    bad = io.BytesIO(b"not a word document")
    bad.name = "mau.docx"
    response = client.post(url, {**data, "template_file": bad})
    assert response.status_code == 400
    assert "not a Word document" in errors_of(response, "template_file")
    assert not Letterhead.objects.exists()

    good = io.BytesIO()
    Document().save(good)
    good.seek(0)
    good.name = "mau-so-y-te.docx"
    response = client.post(url, {**data, "template_file": good})
    assert response.status_code == 302
    letterhead = Letterhead.objects.get(org_unit=network.syt_bn)
    assert (
        letterhead.template_name == "mau-so-y-te.docx" and bytes(letterhead.template)[:2] == b"PK"
    )
    assert letterhead.recipient_list() == ["UBND tỉnh", "Bộ Y tế"]
    response = client.post(url, {**data, "issuing_body": "", "remove_template": "on"})
    assert response.status_code == 400 and errors_of(response, "issuing_body")
    response = client.post(url, {**data, "remove_template": "on"})
    letterhead.refresh_from_db()
    assert letterhead.template is None and letterhead.template_name == ""


def test_letterhead_of_a_unit_outside_scope_is_not_found(network, users):
    client = signed_in(users.doh)
    assert (
        client.get(reverse("reports:letterhead_unit", args=[network.syt_tn.uid])).status_code == 404
    )
    assert (
        client.get(reverse("reports:letterhead_unit", args=[network.tien_du.uid])).status_code
        == 200
    )


def test_programme_report_takes_a_programme_in_scope(network, users):
    from tests.programmes.factories import make_programme

    own = make_programme(network.bvdk, network.tien_du)
    foreign = make_programme(network.syt_tn, network.phu_binh)
    client = signed_in(users.doh)
    assert client.get(reverse("reports:add_programme")).status_code == 200
    response = client.post(
        reverse("reports:add_programme"), form_data(network, programme=foreign.pk)
    )
    assert response.status_code == 400
    assert "valid choice" in errors_of(response, "programme")
    response = client.post(reverse("reports:add_programme"), form_data(network))
    assert response.status_code == 400 and errors_of(response, "programme")
    assert not Report.objects.exists()

    response = client.post(reverse("reports:add_programme"), form_data(network, programme=own.pk))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.kind == "programme" and report.programme == own
    # Built by the programme builder (doha.reports.programme), whatever its result.
    assert report.versions.get().status in {VersionStatus.DONE, VersionStatus.FAILED}
