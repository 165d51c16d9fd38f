"""Programme outcome evaluation against synthetic figures with a known effect."""

import datetime
import io
import math
import random
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from doha.aggregate.models import DataElement, DataValue
from doha.aggregate.periods import parse_period
from doha.aggregate.services import default_option_combo
from doha.aggregate.signals import values_changed
from doha.analytics.evaluation import (
    EvaluationError,
    evaluate,
    evaluate_programme,
)
from doha.orgunits.models import FacilityType, OrgUnit, TechnicalLevel
from doha.programmes.models import PartyRole, ProgrammeParty, Side
from tests.aggregate.factories import DataElementFactory
from tests.analytics.conftest import put
from tests.conftest import fetch_network
from tests.factories import OrgUnitFactory
from tests.programmes.factories import make_programme

START = datetime.date(2024, 1, 15)
FIRST = datetime.date(2023, 1, 1)
END = datetime.date(2024, 12, 1)
MONTHS = [datetime.date(2023 + i // 12, i % 12 + 1, 1) for i in range(24)]
SEASON = [1.02, 0.88, 1.02, 1.00, 1.02, 1.06, 1.06, 1.06, 1.02, 0.98, 0.94, 0.94]


def month_id(day):
    return f"{day.year:04d}{day.month:02d}"


pytestmark = pytest.mark.usefixtures("shared_world")

CODES = ("OPD_VISITS", "REFERRALS_OUT", "IPD_ADMISSIONS")


def make_centres(parent, prefix, n, seed):
    rng = random.Random(seed)
    units = [
        OrgUnitFactory(
            code=f"{prefix}{i:02d}",
            name=f"Trung tâm Y tế {prefix} {i}",
            facility_type=FacilityType.HEALTH_CENTRE,
            technical_level=TechnicalLevel.BASIC,
            parent=parent,
        )
        for i in range(n)
    ]
    return units, [rng.uniform(4000, 6000) for _ in range(n)]


def store(elements, units, sizes, *, effect=0.0, seed="x", treated=False, months=MONTHS):
    """Monthly visits, referrals (about 5 per 100 visits) and admissions (12 per 100); from
    START the treated facilities' referrals are multiplied by 1 + effect, their admissions
    by 1 - effect. Rows as ``tests/analytics/conftest.py``'s ``put`` writes them, inserted
    together, then one ``values_changed`` for the rollups."""
    default = default_option_combo()
    now = timezone.now()
    rows, keys = [], set()
    for unit, size in zip(units, sizes, strict=True):
        rng = random.Random(f"{seed}/{unit.code}")
        rate = rng.uniform(0.04, 0.06)
        for month in months:
            after = treated and month >= datetime.date(START.year, START.month, 1)
            opd = size * SEASON[month.month - 1] * math.exp(rng.gauss(0, 0.04))
            referrals = opd * rate * (1 + (effect if after else 0)) * math.exp(rng.gauss(0, 0.06))
            admissions = opd * 0.12 * (1 - (effect if after else 0)) * math.exp(rng.gauss(0, 0.05))
            period = parse_period(month_id(month))
            for code, value in zip(CODES, (opd, referrals, admissions), strict=True):
                number = round(value)
                rows.append(
                    DataValue(
                        data_element=elements[code],
                        period=period.id,
                        period_type=period.period_type,
                        start_date=period.start,
                        end_date=period.end,
                        org_unit=unit,
                        category_option_combo=default,
                        attribute_option_combo=default,
                        value=str(number),
                        numeric_value=float(number),
                        deleted=False,
                        created=now,
                        last_updated=now,
                    )
                )
                keys.add((elements[code].pk, unit.pk, period.start))
    DataValue.objects.bulk_create(rows)
    values_changed.send(sender=DataValue, keys=keys)


@pytest.fixture(scope="module")
def synthetic(shared_world, django_db_blocker):
    """In Bắc Ninh: 8 supported centres whose referral rate falls by 25% from START and 12
    comparison centres. In Thái Nguyên: the same with no effect. 24 months, with noise."""
    with django_db_blocker.unblock():
        network = fetch_network()
        elements = {c: DataElementFactory(code=c, name=c, short_name=c) for c in CODES}
        for parent, prefix, effect in ((network.syt_bn, "E", -0.25), (network.syt_tn, "N", 0.0)):
            treated, sizes = make_centres(parent, f"{prefix}T", 8, f"{prefix}/treated")
            store(elements, treated, sizes, effect=effect, seed=prefix, treated=True)
            comparison, sizes = make_centres(parent, f"{prefix}C", 12, f"{prefix}/comparison")
            store(elements, comparison, sizes, seed=prefix)


def _units(prefix, n):
    found = {u.code: u for u in OrgUnit.objects.filter(code__startswith=prefix)}
    return [found[f"{prefix}{i:02d}"] for i in range(n)]


@pytest.fixture
def world(synthetic, network, users):
    return SimpleNamespace(
        network=network,
        users=users,
        elements={e.code: e for e in DataElement.objects.filter(code__in=CODES)},
        treated=_units("ET", 8),
        comparison=_units("EC", 12),
        treated_none=_units("NT", 8),
        comparison_none=_units("NC", 12),
    )


def test_known_effect_is_found_and_its_interval_covers_it(world):
    users, treated, comparison = world.users, world.treated, world.comparison
    result = evaluate(users.doh, treated=treated, start=START, outcome="referral_rate", end=END)
    assert result.verdict == "effect", result.reasons
    did = result.did
    assert did.ci_low <= -0.25 <= did.ci_high
    assert did.ci_high < 0
    assert did.n_treated == 8
    assert did.n_comparison == 12
    assert did.n_months == 24
    assert {m.unit.pk for m in result.comparison} == {u.pk for u in comparison}
    assert result.sentence.startswith("The referral rate fell by ")
    assert "compared with the comparison group" in result.sentence
    # Raw means: the treated group's rate fell, the comparison group's did not.
    assert did.means["treated"]["change"] < -0.15
    assert abs(did.means["comparison"]["change"]) < 0.05
    # Every comparison facility says why it was chosen.
    for match in result.comparison:
        assert match.reason.startswith("same type (")
        assert "same level (" in match.reason
        assert "%" in match.reason
        assert match.treated in treated
    # One time series per treated facility, each seeing a fall in level.
    assert len(result.its) == 8
    assert sum(1 for its in result.its if its.level_change < 0) >= 7


def test_admissions_rise_is_found(world):
    users, treated = world.users, world.treated
    result = evaluate(users.doh, treated=treated, start=START, outcome="admissions", end=END)
    assert result.verdict == "effect"
    assert result.did.ci_low <= 0.25 <= result.did.ci_high
    assert result.sentence.startswith("Inpatient admissions rose by ")


def test_no_effect_gives_no_evidence(world):
    result = evaluate(
        world.users.doh_tn,
        treated=world.treated_none,
        start=START,
        outcome="referral_rate",
        end=END,
    )
    assert result.verdict == "no_evidence"
    assert result.did.ci_low <= 0 <= result.did.ci_high
    assert result.sentence.startswith("No evidence of a change")
    assert "includes no change" in result.sentence


def test_sentence_in_vietnamese(world):
    users, treated = world.users, world.treated
    with translation.override("vi"):
        result = evaluate(users.doh, treated=treated, start=START, outcome="referral_rate", end=END)
    assert result.sentence.startswith("Tỷ lệ chuyển tuyến giảm ")
    assert "(KTC 95%: " in result.sentence
    assert result.sentence.endswith("so với nhóm so sánh.")


def test_chart_is_a_png(world):
    users, treated = world.users, world.treated
    result = evaluate(users.doh, treated=treated, start=START, outcome="referral_rate", end=END)
    png = result.chart_png()
    assert png.startswith(b"\x89PNG")
    from PIL import Image

    assert Image.open(io.BytesIO(png)).size[0] > 400
    assert len(result.series["months"]) == 24
    assert all(v is not None for v in result.series["treated"])


def test_one_treated_facility_is_not_enough(world):
    users, treated = world.users, world.treated
    result = evaluate(users.doh, treated=treated[:1], start=START, outcome="referral_rate", end=END)
    assert result.verdict == "insufficient"
    assert result.did is None
    assert any("too few supported facilities" in r for r in result.reasons)
    assert result.sentence.startswith("The data cannot support a conclusion: ")
    # The time series of that one facility is still shown.
    assert len(result.its) == 1


def test_no_comparison_group(world):
    network, users, elements = world.network, world.users, world.elements
    hospitals = [
        OrgUnitFactory(
            code=f"H{i}",
            name=f"Bệnh viện {i}",
            facility_type=FacilityType.SPECIALTY_HOSPITAL,
            technical_level=TechnicalLevel.SPECIALISED,
            parent=network.syt_bn,
        )
        for i in range(3)
    ]
    store(elements, hospitals, [20000, 21000, 22000], effect=-0.25, treated=True)
    result = evaluate(users.doh, treated=hospitals, start=START, outcome="referral_rate", end=END)
    assert result.verdict == "insufficient"
    assert any("no comparison group" in r for r in result.reasons)
    assert result.comparison == []


def test_too_few_months_before_and_after(world):
    users, treated = world.users, world.treated
    early = evaluate(
        users.doh,
        treated=treated,
        start=datetime.date(2023, 4, 1),
        outcome="referral_rate",
        end=END,
    )
    assert early.verdict == "insufficient"
    assert any(
        "too few months with figures before support started: 3, at least 6" in r
        for r in early.reasons
    )
    late = evaluate(
        users.doh,
        treated=treated,
        start=START,
        outcome="referral_rate",
        end=datetime.date(2024, 3, 31),
    )
    assert late.verdict == "insufficient"
    assert any(
        "too few months with figures after support started: 3, at least 6" in r
        for r in late.reasons
    )


def test_too_many_missing_months(world):
    users, elements, treated = world.users, world.elements, world.treated
    keys = set()
    for unit in treated[1:]:
        for month in MONTHS[3:12]:
            keys.add(put(elements["REFERRALS_OUT"], unit, month_id(month), None, send=False))
    values_changed.send(sender=DataValue, keys=keys)
    result = evaluate(users.doh, treated=treated, start=START, outcome="referral_rate", end=END)
    assert result.verdict == "insufficient"
    assert any("too many missing months: 7 of 20 facilities" in r for r in result.reasons)
    assert len([u for u, _reason in result.excluded]) == 7


def test_facilities_outside_scope_are_not_read(world):
    users, treated = world.users, world.treated
    result = evaluate(users.doh_tn, treated=treated, start=START, outcome="referral_rate", end=END)
    assert result.verdict == "insufficient"
    assert result.treated == []
    assert {reason for _unit, reason in result.excluded} == {"outside your scope"}
    assert any("no supported facility" in r for r in result.reasons)


def test_programme_uses_its_receiving_facilities(world):
    network, users, treated = world.network, world.users, world.treated
    programme = make_programme(
        network.bvdk, network.syt_bn, start_date=START, end_date=datetime.date(2025, 12, 31)
    )
    for unit in treated:
        ProgrammeParty.objects.create(
            programme=programme, org_unit=unit, side=Side.RECIPIENT, role=PartyRole.IMPLEMENTER
        )
    result = evaluate_programme(users.doh, programme, end=END)
    # The DOH itself is a receiving party but reports no statistics of its own.
    assert {u.pk for u in result.treated} == {u.pk for u in treated}
    assert result.start == START
    assert result.verdict == "effect"
    assert result.did.ci_low <= -0.25 <= result.did.ci_high


def test_supported_facilities_are_not_comparison(world):
    network, users, treated, comparison = (
        world.network,
        world.users,
        world.treated,
        world.comparison,
    )
    other = make_programme(network.bvdk, comparison[0], start_date=datetime.date(2022, 6, 1))
    assert other.pk
    result = evaluate(users.doh, treated=treated, start=START, outcome="referral_rate", end=END)
    assert comparison[0].pk not in {m.unit.pk for m in result.comparison}
    assert len(result.comparison) == 11


def test_bad_input_names_the_field(world):
    users = world.users
    with pytest.raises(EvaluationError) as error:
        evaluate(users.doh, treated=[], start=START, outcome="deaths")
    assert error.value.field == "outcome"
    with pytest.raises(EvaluationError) as error:
        evaluate(users.doh, treated=[], start=START, outcome="admissions", months_before=0)
    assert error.value.field == "months_before"
