"""The gap, the matrix and the ranking, computed by the services."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from doha.aggregate.activities import SystemWriter
from doha.aggregate.datavalues import ValueRow, apply_values
from doha.aggregate.models import CategoryOptionCombo, DataElement, DataSet
from doha.aggregate.periods import parse_period
from doha.gaps import services
from doha.gaps.metadata import load_gap_metadata
from doha.programmes import services as programme_services
from doha.programmes.models import NeedsSurvey, NeedStatus, TechniqueNeed
from tests.transfers.factories import need_for

D = datetime.date
TODAY = D(2025, 6, 15)


def codes(techniques):
    return sorted(t.code for t in techniques)


def test_gap_is_allowed_minus_performed(network, catalogue):
    result = services.facility_gap(network.tien_du, today=TODAY)
    by_code = {s.specialty.code: s for s in result.specialties}
    # T-A3 is above Tiên Du's level: neither allowed nor performed; T-B2 is retired.
    assert by_code["03"].allowed == 2
    assert codes(by_code["03"].performed) == ["T-A1"]
    # A capability no longer performed is a gap again.
    assert codes(g.technique for g in by_code["03"].missing) == ["T-A2"]
    assert by_code["10"].allowed == 1
    assert codes(g.technique for g in by_code["10"].missing) == ["T-B1"]
    assert (result.allowed, result.performed, result.gap) == (3, 1, 2)


def test_no_gap_without_technical_level_or_for_an_authority(network, catalogue):
    assert services.facility_gap(network.syt_bn, today=TODAY).specialties == []
    network.tu_son.technical_level = ""
    assert services.facility_gap(network.tu_son, today=TODAY).specialties == []


def test_matrix_counts_equal_the_facility_page(network, catalogue, users):
    matrix = services.gap_matrix(users.doh, network.syt_bn)
    assert matrix.rows
    for row in matrix.rows:
        page = services.facility_gap(row.facility, today=TODAY)
        expected = {s.specialty.pk: (s.allowed, len(s.performed), s.gap) for s in page.specialties}
        got = {pk: (c.allowed, c.performed, c.gap) for pk, c in row.cells.items()}
        assert got == expected, row.facility.code
    tien_du = next(r for r in matrix.rows if r.facility == network.tien_du)
    assert (tien_du.allowed, tien_du.performed, tien_du.gap) == (3, 1, 2)
    # The specialised hospital performs T-A3; the DOH is no facility of the matrix.
    bvdk = next(r for r in matrix.rows if r.facility == network.bvdk)
    assert bvdk.cells[catalogue.a.pk].performed == 1
    assert network.syt_bn not in [r.facility for r in matrix.rows]


def test_matrix_only_counts_facilities_in_scope(network, catalogue, users):
    clerk = {r.facility.code for r in services.gap_matrix(users.clerk, network.tien_du).rows}
    assert clerk == {"BN-TTYT-TIENDU", "TYT-09319"}
    # Asked for the whole province, the clerk still sees only its own subtree.
    wider = {r.facility.code for r in services.gap_matrix(users.clerk, network.syt_bn).rows}
    assert wider == clerk
    other = {r.facility.code for r in services.gap_matrix(users.doh_tn, None).rows}
    assert not any(code.startswith("BN-") for code in other)
    assert "TN-TTYT-PHUBINH" in other


def referrals(facility, specialty_code, per_month, months=12, last="202505"):
    load_gap_metadata()
    element = DataElement.objects.get(code=services.REFERRALS_ELEMENT)
    DataSet.objects.get(code="DS_REFERRALS_SPECIALTY").org_units.add(facility)
    coc = CategoryOptionCombo.objects.get(
        category_combo=element.category_combo, options__code=f"SPEC_{specialty_code}"
    )
    period = parse_period(last)
    rows = []
    for _ in range(months):
        rows.append(
            ValueRow(
                data_element=element,
                period=period,
                org_unit=facility,
                category_option_combo=coc,
                value=str(per_month),
            )
        )
        period = period.previous()
    summary = apply_values(SystemWriter("test"), rows)
    assert summary.ok, summary.conflicts


def test_ranking_order_and_components(network, catalogue, users):
    referrals(network.tien_du, "10", 10)  # 120 in 12 months: the full 50 points
    need_for(network.tien_du, catalogue.a2)
    result = services.facility_gap(network.tien_du, user=users.doh, today=TODAY)
    assert result.referrals_available
    ranked = result.ranked()
    assert [g.technique.code for g in ranked] == ["T-B1", "T-A2"]
    b1, a2 = ranked
    # T-B1: 120 referrals -> 50; no request; Từ Sơn performs it nearby -> 20 / 2.
    assert b1.referrals == 120
    assert b1.components == {"referrals": 50, "requests": 0, "nearby": 10}
    assert b1.score == 60
    assert b1.nearby == 1 and not b1.requested
    # T-A2: no referrals in its specialty; requested once; nobody nearby performs it.
    assert a2.components == {"referrals": 0, "requests": 15, "nearby": 20}
    assert a2.score == 35 and a2.requested
    assert b1.why() == (
        "120 patients were referred out in Ngoại khoa in the last 12 months; "
        "1 facility nearby already performs it."
    )
    assert "Requested in 1 needs survey (+15)" in a2.reasons()


def test_referrals_outside_the_last_12_months_do_not_count(network, catalogue, users):
    referrals(network.tien_du, "10", 10, months=3, last="202403")
    result = services.facility_gap(network.tien_du, user=users.doh, today=TODAY)
    b1 = next(g for g in result.ranked() if g.technique.code == "T-B1")
    assert b1.referrals == 0


def test_without_referral_statistics_the_component_is_zero(network, catalogue):
    result = services.facility_gap(network.tien_du, today=TODAY)
    assert not result.referrals_available
    assert all(g.referral_points == 0 for g in result.ranked())


@pytest.fixture
def survey(network, users):
    return programme_services.open_survey(
        NeedsSurvey(
            title="Nhu cầu 2025",
            organiser=network.syt_bn,
            deadline=D(2025, 7, 31),
            opens_on=D(2025, 6, 1),
        ),
        [network.tien_du, network.tu_son],
        user=users.doh,
        today=TODAY,
    )


def test_send_to_matching_creates_needs_once(network, catalogue, users, survey):
    created, skipped = services.send_to_matching(
        network.tien_du,
        [catalogue.b1.pk, catalogue.a2.pk],
        survey=survey,
        user=users.clerk,
        today=TODAY,
    )
    assert codes(n.technique for n in created) == ["T-A2", "T-B1"]
    assert skipped == []
    needs = TechniqueNeed.objects.filter(response__facility=network.tien_du)
    assert needs.count() == 2
    assert all(n.status == NeedStatus.OPEN for n in needs)
    assert "demand score" in needs.first().note
    result = services.facility_gap(network.tien_du, today=TODAY)
    assert all(g.requested for g in result.ranked())
    with pytest.raises(ValidationError) as exc:
        services.send_to_matching(
            network.tien_du, [catalogue.b1.pk], survey=survey, user=users.clerk, today=TODAY
        )
    assert "already been requested" in str(exc.value)
    assert needs.count() == 2


def test_send_to_matching_keeps_earlier_needs_and_skips_requested(
    network, catalogue, users, survey
):
    services.send_to_matching(
        network.tien_du, [catalogue.a2.pk], survey=survey, user=users.clerk, today=TODAY
    )
    created, skipped = services.send_to_matching(
        network.tien_du,
        [catalogue.a2.pk, catalogue.b1.pk],
        survey=survey,
        user=users.clerk,
        today=TODAY,
    )
    assert codes(n.technique for n in created) == ["T-B1"]
    assert codes(skipped) == ["T-A2"]
    assert TechniqueNeed.objects.filter(response__facility=network.tien_du).count() == 2


def test_send_to_matching_refuses_what_is_not_a_gap(network, catalogue, users, survey):
    for technique in (catalogue.a1, catalogue.a3):  # performed; above the level
        with pytest.raises(ValidationError) as exc:
            services.send_to_matching(
                network.tien_du, [technique.pk], survey=survey, user=users.clerk, today=TODAY
            )
        assert exc.value.message_dict["techniques"] == [
            f"Not a gap of this facility: {technique.code}"
        ]


def test_send_to_matching_follows_the_survey_rules(network, catalogue, users, survey):
    # Out of the clerk's scope.
    with pytest.raises(ValidationError) as exc:
        services.send_to_matching(
            network.tu_son, [catalogue.a2.pk], survey=survey, user=users.clerk, today=TODAY
        )
    assert "facility" in exc.value.message_dict
    # After the deadline.
    with pytest.raises(ValidationError) as exc:
        services.send_to_matching(
            network.tien_du,
            [catalogue.a2.pk],
            survey=survey,
            user=users.clerk,
            today=D(2025, 8, 15),
        )
    assert "survey" in exc.value.message_dict
    # No survey chosen.
    with pytest.raises(ValidationError) as exc:
        services.send_to_matching(
            network.tien_du, [catalogue.a2.pk], survey=None, user=users.clerk, today=TODAY
        )
    assert "survey" in exc.value.message_dict


def test_a_new_survey_for_the_gaps(network, catalogue, users):
    created, _ = services.send_to_matching(
        network.tien_du,
        [catalogue.b1.pk],
        survey=services.NEW_SURVEY,
        user=users.doh,
        today=TODAY,
    )
    survey = created[0].response.survey
    assert survey.organiser == network.syt_bn
    assert list(survey.facilities.all()) == [network.tien_du]
    # A clerk may not open surveys.
    with pytest.raises(ValidationError) as exc:
        services.send_to_matching(
            network.tien_du,
            [catalogue.a2.pk],
            survey=services.NEW_SURVEY,
            user=users.clerk,
            today=TODAY,
        )
    assert "survey" in exc.value.message_dict
