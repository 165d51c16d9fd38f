"""Programme and assessment pages: formsets saved all together or not at all, progress,
timeline, transfers by state, exports."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    ItemStatus,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeParty,
    SpecialtyCapacity,
)
from tests.mixins import client_for
from tests.programmes.factories import make_programme
from tests.programmes.helpers import PROGRAMME_PREFIXES, formset, post_data, sheets

D = datetime.date


def programme_form(**overrides):
    data = {
        "number": "15/KH-BVĐK",
        "title": "Kế hoạch hỗ trợ toàn diện TTYT Tiên Du",
        "kind": "support_plan",
        "framework": "line_direction",
        "signed_on": "2022-02-24",
        "start_date": "2022-01-01",
        "end_date": "2023-12-31",
        "status": "active",
        "min_secondment_months": 3,
        "max_secondment_months": 6,
        "description": "",
    }
    data.update(overrides)
    return data


def parties(network):
    return [
        {"org_unit": network.bvdk.pk, "side": "provider", "role": "signatory"},
        {"org_unit": network.tien_du.pk, "side": "recipient", "role": "signatory"},
        {
            "org_unit": network.bvdk.pk,
            "side": "provider",
            "role": "implementer",
            "area": "secondment",
            "assignment": "Phòng Tổ chức cán bộ",
        },
    ]


def item_row(number, area, start="2022-03-01", end="2022-12-31", **kw):
    row = {
        "number": number,
        "area": area,
        "title": f"Nội dung {number}",
        "planned_start": start,
        "planned_end": end,
        "status": "planned",
    }
    row.update(kw)
    return row


class TestProgrammeForm:
    def test_create_with_parties_areas_items(self, network, users):
        client, _user = client_for(users, "line")
        assert client.get(reverse("programmes:programme_add")).status_code == 200
        data = post_data(
            programme_form(),
            PROGRAMME_PREFIXES,
            parties=parties(network),
            areas=[{"area": "secondment"}, {"area": "training"}, {}],
            items=[
                item_row(1, "secondment", provider=network.bvdk.pk, recipient=network.tien_du.pk),
                item_row(2, "training", recipient=network.tyt_tien_du.pk),
                {"number": 1, "status": "planned"},  # a blank row as the browser sends it
            ],
        )
        response = client.post(reverse("programmes:programme_add"), data)
        assert response.status_code == 302, _errors(response)
        p = Programme.objects.get()
        assert response["Location"] == p.get_absolute_url()
        assert p.parties.count() == 3 and p.areas.count() == 2 and p.items.count() == 2

    def test_without_a_receiving_side_nothing_is_saved(self, network, users):
        client, _user = client_for(users, "line")
        data = post_data(
            programme_form(),
            PROGRAMME_PREFIXES,
            parties=[{"org_unit": network.bvdk.pk, "side": "provider", "role": "signatory"}],
            areas=[{"area": "training"}],
            items=[item_row(1, "training")],
        )
        response = client.post(reverse("programmes:programme_add"), data)
        assert response.status_code == 400
        errors = " ".join(response.context["formsets"]["parties"].non_form_errors())
        assert "ở mỗi bên" in errors
        assert not Programme.objects.exists()
        assert not ProgrammeItem.objects.exists() and not ProgrammeArea.objects.exists()

    def test_an_item_outside_the_areas_saves_nothing(self, network, users):
        client, _user = client_for(users, "line")
        data = post_data(
            programme_form(),
            PROGRAMME_PREFIXES,
            parties=parties(network)[:2],
            areas=[{"area": "training"}],
            items=[item_row(1, "training"), item_row(2, "equipment")],
        )
        response = client.post(reverse("programmes:programme_add"), data)
        assert response.status_code == 400
        assert "Nội dung 2" in " ".join(response.context["formsets"]["items"].non_form_errors())
        assert not Programme.objects.exists()

    def test_edit_marks_done_removes_and_adds(self, network, users):
        p = make_programme(
            network.bvdk,
            network.tien_du,
            areas=[ContentArea.TRAINING],
            items=[
                ProgrammeItem(
                    number=1,
                    area="training",
                    title="A",
                    planned_start=D(2022, 3, 1),
                    planned_end=D(2022, 6, 30),
                ),
                ProgrammeItem(
                    number=2,
                    area="training",
                    title="B",
                    planned_start=D(2022, 3, 1),
                    planned_end=D(2022, 6, 30),
                ),
            ],
        )
        party_rows = [
            {"id": x.pk, "org_unit": x.org_unit_id, "side": x.side, "role": x.role}
            for x in p.parties.order_by("side")
        ]
        area = p.areas.get()
        a, b = p.items.order_by("number")
        data = programme_form(title=p.title, number="")
        data.update(formset("parties", party_rows, initial=2))
        data.update(
            formset(
                "areas", [{"id": area.pk, "area": "training"}, {"area": "management"}], initial=1
            )
        )
        data.update(
            formset(
                "items",
                [
                    item_row(
                        1,
                        "training",
                        "2022-03-01",
                        "2022-06-30",
                        id=a.pk,
                        status="done",
                        done_on="2022-06-15",
                        result="40 học viên",
                    ),
                    item_row(2, "training", "2022-03-01", "2022-06-30", id=b.pk, DELETE="on"),
                    item_row(3, "management", "2023-01-01", "2023-06-30"),
                ],
                initial=2,
            )
        )
        client, _user = client_for(users, "line")
        response = client.post(reverse("programmes:programme_edit", args=[p.uid]), data)
        assert response.status_code == 302, _errors(response)
        assert set(p.items.values_list("number", "status")) == {(1, "done"), (3, "planned")}
        assert p.items.get(number=1).result == "40 học viên"
        assert p.areas.count() == 2

    def test_edit_is_refused_out_of_scope_and_to_readers(self, network, users):
        p = make_programme(network.bvdk, network.tien_du)
        url = reverse("programmes:programme_edit", args=[p.uid])
        assert client_for(users, "doh_tn")[0].get(url).status_code == 404
        assert client_for(users, "clerk")[0].get(url).status_code == 403
        assert client_for(users, "viewer")[0].get(url).status_code == 403


@pytest.fixture
def plan(network, catalog):
    p = make_programme(
        network.bvdk,
        network.tien_du,
        number="15/KH-BVĐK",
        areas=[ContentArea.TRAINING, ContentArea.TECHNIQUE_TRANSFER],
        items=[
            ProgrammeItem(
                number=1,
                area="training",
                title="Đào tạo quản lý",
                planned_start=D(2022, 3, 1),
                planned_end=D(2022, 6, 30),
                status=ItemStatus.DONE,
                done_on=D(2022, 6, 20),
            ),
            ProgrammeItem(
                number=2,
                area="training",
                title="Đào tạo trạm y tế",
                planned_start=D(2022, 9, 1),
                planned_end=D(2023, 3, 31),
            ),
            ProgrammeItem(
                number=3,
                area="technique_transfer",
                title="Chuyển giao theo kíp",
                planned_start=D(2022, 5, 1),
                planned_end=D(2023, 12, 31),
                status=ItemStatus.IN_PROGRESS,
            ),
        ],
    )
    transfer = Programme.transfers.rel.related_model
    for technique, state in (
        (catalog.umbilical, "training"),
        (catalog.surfactant, "accepted"),
        (catalog.exchange, "training"),
    ):
        transfer.objects.create(
            technique=technique,
            provider=network.bvdk,
            recipient=network.tien_du,
            programme=p,
            state=state,
            state_date=D(2022, 6, 1),
        )
    return p


class TestProgrammeDetail:
    def test_progress_transfers_and_timeline(self, plan, users):
        client, _user = client_for(users, "clerk")
        response = client.get(plan.get_absolute_url())
        assert response.status_code == 200
        ctx = response.context
        assert ctx["progress"]["done"] == 1 and ctx["progress"]["total"] == 3
        assert [i.number for i in ctx["progress"]["late_items"]] == [2, 3]  # today is after 2023
        by_state = {t["state"]: t["n"] for t in ctx["transfers"]}
        assert by_state["training"] == 2 and by_state["accepted"] == 1
        assert ctx["transfers_total"] == 3
        years = {y["year"]: y for y in ctx["timeline"]}
        assert set(years) == {2022, 2023}
        bar = next(b for b in years[2022]["bars"] if b["item"].number == 1)
        assert bar["left"] == "16.16"  # 1 March = day 59 of 365
        assert bar["css"] == "done"
        assert next(b for b in years[2023]["bars"] if b["item"].number == 2)["starts_before"]
        assert "Outcome" not in response.content.decode()

    def test_transfers_outside_scope_are_not_counted(self, plan, network, users, catalog):
        transfer = Programme.transfers.rel.related_model
        transfer.objects.create(
            technique=catalog.bladder,
            provider=network.bvdk,
            recipient=network.tu_son,
            programme=plan,
            state="planned",
            state_date=D(2022, 6, 1),
        )
        clerk = client_for(users, "clerk")[0].get(plan.get_absolute_url()).context
        doh = client_for(users, "doh")[0].get(plan.get_absolute_url()).context
        assert clerk["transfers_total"] == 3 and doh["transfers_total"] == 4

    def test_export_workbook(self, plan, users):
        client, _user = client_for(users, "line")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get(plan.get_absolute_url(), {"export": "xlsx"})
        assert response.status_code == 200
        book = sheets(response)
        assert list(book) == ["Parties", "Content areas", "Items", "Progress"]
        assert [r[0] for r in book["Items"][1:]] == [1, 2, 3]
        assert book["Items"][1][9] == datetime.datetime(2022, 6, 20)
        progress = dict(book["Progress"][1:])
        assert progress["Items done"] == 1
        assert progress["Transfers: Training"] == 2

    def test_list_filters_and_export(self, plan, network, users):
        other = make_programme(
            network.bvdk,
            network.tu_son,
            number="9/KH",
            start_date=D(2024, 1, 1),
            end_date=D(2024, 12, 31),
        )
        client, _user = client_for(users, "doh")
        url = reverse("programmes:programme_list")

        def numbers(params):
            return {p.number for p in client.get(url, params).context["object_list"]}

        assert numbers({}) == {plan.number, other.number}
        assert numbers({"party": "tu son"}) == {other.number}
        assert numbers({"party": network.tien_du.uid}) == {plan.number}
        assert numbers({"year": 2023}) == {plan.number}
        assert numbers({"active_on": "2024-05-01"}) == {other.number}
        assert numbers({"area": "technique_transfer"}) == {plan.number}
        assert numbers({"kind": "cooperation"}) == set()
        assert numbers({"status": "active"}) == {plan.number, other.number}
        export = client.get(url, {"export": "xlsx", "year": 2022})
        rows = next(iter(sheets(export).values()))[1:]
        assert [r[0] for r in rows] == [plan.number]
        assert rows[0][11:14] == [3, 1, rows[0][13]]


class TestAssessmentPages:
    def test_create_with_specialty_scores(self, network, users, catalog):
        client, _user = client_for(users, "line")
        assert client.get(reverse("programmes:assessment_add")).status_code == 200
        data = {
            "facility": network.tien_du.pk,
            "assessor": network.bvdk.pk,
            "date": "2022-02-17",
            "team": "12 thành viên",
            "staff_score": 4,
            "equipment_score": 3,
            "infrastructure_score": 5,
            "conclusion": "Đủ điều kiện nhận chuyển giao một số kỹ thuật",
        }
        data.update(
            formset(
                "specialties",
                [
                    {"specialty": catalog.nhi.pk, "score": 3, "staff_count": 5},
                    {"specialty": catalog.hscc.pk, "score": 4},
                    {},
                ],
            )
        )
        response = client.post(reverse("programmes:assessment_add"), data)
        assert response.status_code == 302, _errors(response)
        a = Assessment.objects.get()
        assert {c.specialty.code: c.score for c in a.specialties.all()} == {"NHI": 3, "HSCC": 4}
        page = client.get(a.get_absolute_url())
        assert page.status_code == 200 and "Nhi khoa" in page.content.decode()

    def test_a_bad_score_saves_nothing(self, network, users, catalog):
        client, _user = client_for(users, "line")
        data = {
            "facility": network.tien_du.pk,
            "assessor": network.bvdk.pk,
            "date": "2022-02-17",
            "staff_score": 4,
            "equipment_score": 3,
            "infrastructure_score": 5,
        }
        data.update(formset("specialties", [{"specialty": catalog.nhi.pk, "score": 11}]))
        response = client.post(reverse("programmes:assessment_add"), data)
        assert response.status_code == 400
        assert not Assessment.objects.exists() and not SpecialtyCapacity.objects.exists()

    def test_edit_and_list_export(self, network, users, catalog):
        a = services.save_assessment(
            Assessment(
                facility=network.tien_du,
                assessor=network.bvdk,
                date=D(2022, 2, 17),
                staff_score=4,
                equipment_score=3,
                infrastructure_score=5,
            ),
            [SpecialtyCapacity(specialty=catalog.nhi, score=3)],
        )
        cap = a.specialties.get()
        data = {
            "facility": network.tien_du.pk,
            "assessor": network.bvdk.pk,
            "date": "2022-02-17",
            "staff_score": 6,
            "equipment_score": 3,
            "infrastructure_score": 5,
        }
        data.update(
            formset(
                "specialties", [{"id": cap.pk, "specialty": catalog.nhi.pk, "score": 5}], initial=1
            )
        )
        client, _user = client_for(users, "doh")
        response = client.post(reverse("programmes:assessment_edit", args=[a.pk]), data)
        assert response.status_code == 302, _errors(response)
        a.refresh_from_db()
        assert a.staff_score == 6 and a.specialties.get().score == 5
        export = client.get(reverse("programmes:assessment_list"), {"export": "xlsx"})
        rows = next(iter(sheets(export).values()))[1:]
        assert rows[0][0] == network.tien_du.name and rows[0][3] == 6
        assert rows[0][7] == "Nhi khoa: 5"


def test_party_formset_names_every_unit_in_the_form(network, users):
    """The unit search box renders only the chosen unit, not the whole network."""
    p = make_programme(network.bvdk, network.tien_du)
    client, _user = client_for(users, "line")
    text = client.get(reverse("programmes:programme_edit", args=[p.uid])).content.decode()
    assert network.bvdk.name in text and network.tien_du.name in text
    assert network.phu_binh.name not in text
    assert ProgrammeParty.objects.count() == 2


def _errors(response):
    ctx = response.context
    found = {"form": ctx["form"].errors.get_json_data()} if "form" in ctx else {}
    for prefix, fs in (ctx.get("formsets") or {}).items():
        found[prefix] = [f.errors for f in fs.forms if f.errors], list(fs.non_form_errors())
    return found
