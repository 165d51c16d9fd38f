"""Sustainment from the monthly per-technique counts (TECH_CASES): the metadata made on
acceptance, the rule (sustained at 6/12, fell silent with its months, too early, no data),
the summary for the report, the checks recorded from the counts, and the pages."""

import datetime

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from doha.aggregate.activities import SystemWriter
from doha.aggregate.datavalues import ValueRow, apply_values
from doha.aggregate.models import CategoryOption, DataElement, DataSet
from doha.aggregate.periods import parse_period
from doha.transfers import sustainment
from doha.transfers.models import TransferState
from tests.mixins import new_client, table_from_export
from tests.transfers.factories import TechniqueFactory, advance, make_transfer

D = datetime.date
# ``advance`` accepts on 2025-02-28: month 1 is 03/2025, month 6 08/2025, month 12 02/2026.
MONTHS = [f"2025{m:02d}" for m in range(3, 13)] + ["202601", "202602"]


def accepted(network, technique=None, recipient=None):
    transfer = make_transfer(network.bvdk, recipient or network.tien_du, technique)
    return advance(transfer, TransferState.ACCEPTED)


def write(transfer, counts: dict):
    sustainment.sync_technique_options()
    element = DataElement.objects.get(code=sustainment.DATA_ELEMENT_CODE)
    coc = sustainment.option_combos()[transfer.technique.code]
    summary = apply_values(
        SystemWriter("test"),
        [
            ValueRow(
                data_element=element,
                period=parse_period(period),
                org_unit=transfer.recipient,
                category_option_combo=coc,
                value=str(n),
            )
            for period, n in counts.items()
        ],
    )
    assert summary.ok, summary.conflicts


def login(user):
    client = new_client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_option_created_on_acceptance(network, django_capture_on_commit_callbacks):
    technique = TechniqueFactory(code="03.0045", name="Thở máy không xâm nhập")
    transfer = make_transfer(network.bvdk, network.tien_du, technique)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = advance(transfer, TransferState.INDEPENDENT)
    assert not CategoryOption.objects.filter(code="03.0045").exists()
    with django_capture_on_commit_callbacks(execute=True):
        advance(transfer, TransferState.ACCEPTED)
    option = CategoryOption.objects.get(code="03.0045")
    assert option.name == "03.0045 Thở máy không xâm nhập"
    coc = sustainment.option_combos()["03.0045"]
    assert coc.code == "03.0045"
    element = DataElement.objects.get(code="TECH_CASES")
    assert element.category_combo.code == "TECH_TRANSFERRED"
    assert element.zero_is_significant
    data_set = DataSet.objects.get(code="DS_TECH_CASES")
    assert data_set.period_type == "Monthly"
    assert list(data_set.org_units.all()) == [network.tien_du]
    assert data_set.elements.filter(data_element=element).exists()


def test_sync_command_is_idempotent(network):
    accepted(network)
    accepted(network, recipient=network.tu_son)
    call_command("sync_technique_options", stdout=open("/dev/null", "w"))
    assert CategoryOption.objects.filter(categories__code="TECH_TRANSFERRED").count() == 2
    assert sustainment.sync_technique_options() == {"options": 0, "facilities": 0}
    assert DataSet.objects.get(code="DS_TECH_CASES").org_units.count() == 2


def test_sustained_at_6_and_12(network):
    transfer = accepted(network)
    write(transfer, {p: 2 for p in MONTHS})
    six = sustainment.evaluate(transfer, D(2025, 9, 1))
    assert six.status == sustainment.SUSTAINED_6
    assert six.cases_1_6 == 12
    assert six.months[6].ended is False
    twelve = sustainment.evaluate(transfer, D(2026, 3, 1))
    assert twelve.status == sustainment.SUSTAINED_12
    assert (twelve.cases_1_6, twelve.cases_7_12) == (12, 12)
    assert twelve.performed == {6: True, 12: True}


def test_one_case_in_the_last_three_months_is_enough(network):
    transfer = accepted(network)
    write(transfer, {"202503": 4, "202506": 1, "202512": 1})
    assert sustainment.evaluate(transfer, D(2026, 3, 1)).status == sustainment.SUSTAINED_12


def test_fell_silent_lists_the_months_without_cases(network):
    transfer = accepted(network)
    write(transfer, {"202503": 3, "202504": 2, "202505": 0, "202506": 0})
    result = sustainment.evaluate(transfer, D(2025, 11, 5))
    assert result.status == sustainment.SILENT
    assert result.performed == {6: False}
    assert result.silent_months == ["202505", "202506", "202507", "202508"]
    # The last month ended is 10/2025: no case since 05/2025, six months.
    assert (result.silent_since, result.silent_for) == ("202505", 6)
    assert result.silence_text == "no cases since 05/2025: 6 months"


def test_fell_silent_at_12_after_resuming(network):
    transfer = accepted(network)
    counts = {p: 1 for p in MONTHS[:8]}  # cases to 10/2025, none in 11/2025-02/2026
    counts["202604"] = 2  # performed again later
    write(transfer, counts)
    result = sustainment.evaluate(transfer, D(2026, 5, 1))
    assert result.status == sustainment.SILENT
    assert result.performed == {6: True, 12: False}
    assert result.silent_months == ["202511", "202512", "202601", "202602"]
    assert result.silent_since is None
    assert result.silence_text == "months without cases: 11/2025, 12/2025, 01/2026, 02/2026"


def test_too_early_and_no_data(network):
    transfer = accepted(network)
    assert sustainment.evaluate(transfer, D(2025, 8, 30)).status == sustainment.TOO_EARLY
    # The last day of month 6 ends it.
    assert sustainment.evaluate(transfer, D(2025, 8, 31)).status == sustainment.NO_DATA
    other = accepted(network, recipient=network.tu_son)
    write(other, {"202504": 0})  # a reported zero is data
    result = sustainment.evaluate(other, D(2025, 9, 1))
    assert result.status == sustainment.SILENT
    assert result.months[1].cases == 0 and result.months[0].cases is None


def test_counts_of_another_facility_or_technique_do_not_count(network):
    transfer = accepted(network)
    other = accepted(network, recipient=network.tu_son)
    write(other, {p: 5 for p in MONTHS})
    assert sustainment.evaluate(transfer, D(2026, 3, 1)).status == sustainment.NO_DATA


def test_summary_counts_statuses(network):
    sustained = accepted(network)
    write(sustained, {p: 1 for p in MONTHS})
    silent = accepted(network, recipient=network.tu_son)
    write(silent, {"202503": 1})
    make_transfer(network.bvdk, network.tien_du)  # planned: not counted
    summary = sustainment.sustainment_summary(
        sustainment.TechniqueTransfer.objects.all(), D(2026, 3, 1)
    )
    assert summary == {
        "total": 2,
        "sustained_12": 1,
        "sustained_6": 0,
        "silent": 1,
        "too_early": 0,
        "no_data": 0,
    }


def test_record_checks_from_the_counts(network, users):
    good = accepted(network)
    write(good, {p: 2 for p in MONTHS})
    bad = accepted(network, recipient=network.tu_son)
    write(bad, {"202503": 1})
    count, problems = sustainment.record_checks_many(
        sustainment.TechniqueTransfer.objects.all(), D(2026, 3, 1), user=users.doh
    )
    assert (count, problems) == (4, [])  # two each
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.state == TransferState.SUSTAINED
    check = good.sustainment_checks.get(months_after=6)
    assert (check.checked_on, check.cases_in_period, check.still_performed) == (
        D(2025, 8, 31),
        12,
        True,
    )
    assert bad.state == TransferState.ACCEPTED
    assert not bad.sustainment_checks.get(months_after=6).still_performed
    assert not bad.capability.active
    # Again: nothing more to record.
    assert sustainment.record_checks_many(
        sustainment.TechniqueTransfer.objects.all(), D(2026, 3, 1)
    ) == (0, [])


def test_page_filters_export_and_scope(network, users):
    good = accepted(network)
    write(good, {p: 2 for p in MONTHS})
    silent = accepted(network, recipient=network.tu_son)
    write(silent, {"202503": 1})
    url = reverse("transfers:sustainment_list")
    response = login(users.doh).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert good.uid in body and silent.uid in body
    assert "Fell silent" in body and "no cases since 04/2025" in body
    response = login(users.doh).get(url, {"status": "silent"})
    assert silent.uid in response.content.decode()
    assert good.uid not in response.content.decode()
    response = login(users.doh).get(url, {"recipient": network.tu_son.uid})
    assert good.uid not in response.content.decode()
    response = login(users.doh).get(url, {"export": "xlsx"})
    header, rows = table_from_export(response)
    assert header[0] == "Technique code" and "T12" in header
    assert {r[3] for r in rows} == {network.tien_du.name, network.tu_son.name}
    assert any(r[-2] == "Fell silent" for r in rows)
    # Thái Nguyên's DOH sees neither transfer.
    response = login(users.doh_tn).get(url)
    assert good.uid not in response.content.decode()
    # The viewer sees the page but cannot record the checks.
    viewer = login(users.viewer)
    assert viewer.get(url).status_code == 200
    assert viewer.post(url).status_code == 403
    # The block on the transfer's page.
    block = login(users.doh).get(reverse("transfers:sustainment_counts", args=[silent.uid]))
    assert 'data-status="silent"' in block.content.decode()
    detail = login(users.doh).get(silent.get_absolute_url())
    assert reverse("transfers:sustainment_counts", args=[silent.uid]) in detail.content.decode()
    assert (
        login(users.doh_tn)
        .get(reverse("transfers:sustainment_counts", args=[silent.uid]))
        .status_code
        == 404
    )


def test_record_checks_button(network, users):
    good = accepted(network)
    write(good, {p: 2 for p in MONTHS})
    url = reverse("transfers:sustainment_list")
    response = login(users.doh).post(url)
    assert response.status_code == 302
    assert good.sustainment_checks.count() == 2


def test_demo_counts(network):
    from doha.transfers.demo_sustainment import load_demo_sustainment

    steady = accepted(network, TechniqueFactory(code="DH.27.001"))
    silent = accepted(network, TechniqueFactory(code="DH.09.001"))
    assert load_demo_sustainment(D(2026, 3, 5)) == 12 + 8
    assert load_demo_sustainment(D(2026, 3, 5)) == 0
    assert sustainment.evaluate(steady, D(2026, 3, 5)).status == sustainment.SUSTAINED_12
    result = sustainment.evaluate(silent, D(2026, 3, 5))
    assert result.status == sustainment.SILENT
    assert result.silence_text == "no cases since 06/2025: 9 months"
