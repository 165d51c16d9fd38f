"""The demo loader on the test network (which carries the demo's codes)."""

from doha.aggregate.models import DataValue
from doha.gaps import services
from doha.gaps.demo import load_demo_gaps
from doha.programmes.models import NeedsSurvey, TechniqueNeed


def test_load_demo_gaps_ranks_by_referrals_and_is_idempotent(network, catalogue, users):
    first = load_demo_gaps()
    assert first["facilities"] >= 2
    assert first["values"] > 0 and first["imported"] == first["values"]
    assert first["needs"] == 1
    values = DataValue.objects.filter(data_element__code=services.REFERRALS_ELEMENT).count()
    assert values == first["values"]

    result = services.facility_gap(network.tien_du, user=users.doh)
    assert result.referrals_available
    ranked = result.ranked()
    # Tiên Du performs none of the allowed surgery (10) techniques: surgery leads, and the
    # demo's survey already holds Tiên Du's request for it.
    assert ranked[0].technique.code == "T-B1"
    assert ranked[0].referral_points > 0 and ranked[0].requested
    survey = NeedsSurvey.objects.get(organiser=network.syt_bn)
    assert set(survey.facilities.all()) >= {network.tien_du, network.tu_son}
    assert services.open_surveys_for(network.tien_du, users.clerk) == [survey]

    again = load_demo_gaps()
    assert again["imported"] == 0 and again["needs"] == 0
    assert DataValue.objects.filter(data_element__code=services.REFERRALS_ELEMENT).count() == values
    assert TechniqueNeed.objects.count() == 1
    assert NeedsSurvey.objects.count() == 1
