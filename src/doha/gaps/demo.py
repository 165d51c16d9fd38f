"""Technique gaps in the demo: referrals out by specialty and an open needs survey.

Run after the rest of the demo (it reads the capability register and the org units that
``web.demo`` and ``web.demo_line_direction`` created):

* loads the referrals-by-specialty metadata and assigns its data set to the hospitals and
  health centres of Bắc Ninh and Thái Nguyên (the former Bắc Giang and Bắc Kạn included);
* writes their referrals out by specialty for the last 12 complete months, through the
  aggregate write path: a facility refers more patients in a specialty where it performs
  fewer of the techniques its level allows, health centres more than hospitals, so the
  ranking of gaps has the demand it is meant to show (surgery, obstetrics and imaging at
  the health centres above all);
* opens the Bắc Ninh DOH's needs survey of the year, asking its health centres, and
  registers TTYT Tiên Du's request for one technique, so that "already requested" shows and
  the other gaps can be sent to matching in one step.

Each value and record is looked up first; loading again changes nothing.
"""

from __future__ import annotations

import datetime
import random
from contextlib import nullcontext

from auditlog.context import set_actor
from django.db import transaction
from django.utils import timezone

from doha.aggregate.activities import SystemWriter
from doha.aggregate.datavalues import CREATE_AND_UPDATE, ValueRow, apply_values
from doha.aggregate.models import CategoryOptionCombo, DataElement, DataSet, PeriodType
from doha.aggregate.periods import period_containing
from doha.catalog.models import Specialty
from doha.gaps import services
from doha.gaps.metadata import DATA_SET, load_gap_metadata
from doha.orgunits.models import FacilityType, OrgUnit
from doha.programmes import services as programme_services
from doha.programmes.models import (
    Framework,
    NeedsSurvey,
    Priority,
    SurveyResponse,
    SurveyStatus,
    TechniqueNeed,
)

STORED_BY = "demo-gaps"
DOHS = ("BN-SYT", "TN-SYT")
REPORTING_TYPES = (
    FacilityType.PROVINCIAL_HOSPITAL,
    FacilityType.SPECIALTY_HOSPITAL,
    FacilityType.HEALTH_CENTRE,
)
# Referrals out a month, for a health centre that performs none of a specialty's techniques
# (chapter number -> patients); a hospital refers a third as many.
MONTHLY_REFERRALS = {
    1: 4,
    2: 6,
    3: 5,
    9: 3,
    10: 9,
    12: 3,
    13: 8,
    14: 2,
    15: 2,
    16: 1,
    18: 7,
    20: 4,
    21: 2,
    22: 2,
    23: 1,
    24: 1,
    27: 6,
}
SURVEY_TITLE = "Khảo sát nhu cầu chuyển giao kỹ thuật năm %(year)s của các Trung tâm Y tế"
TIEN_DU = "BN-TTYT-TIENDU"


def _reporting_units() -> list[OrgUnit]:
    dohs = list(OrgUnit.objects.filter(code__in=DOHS))
    units = []
    for doh in dohs:
        units += list(
            OrgUnit.objects.filter(
                path__startswith=doh.path, active=True, facility_type__in=REPORTING_TYPES
            ).exclude(technical_level="")
        )
    return sorted({u.pk: u for u in units}.values(), key=lambda u: u.code)


def _months(today: datetime.date, count: int = services.MONTHS):
    period = period_containing(today, PeriodType.MONTHLY).previous()
    months = []
    for _ in range(count):
        months.append(period)
        period = period.previous()
    return list(reversed(months))


@transaction.atomic
def load_demo_gaps(today: datetime.date | None = None) -> dict:
    """Load the gap part of the demo (see the module's description). Returns counts."""
    today = today or timezone.localdate()
    load_gap_metadata()
    units = _reporting_units()
    data_set = DataSet.objects.get(code=DATA_SET)
    assigned = set(data_set.org_units.values_list("pk", flat=True))
    missing = [u for u in units if u.pk not in assigned]
    if missing:
        data_set.org_units.add(*missing)
    values = _referral_values(units, today)
    summary = apply_values(
        SystemWriter(STORED_BY),
        values,
        strategy=CREATE_AND_UPDATE,
        atomic=True,
        stored_by=STORED_BY,
    )
    if not summary.ok:
        lines = [f"{c.object}: {c.value}" for c in summary.conflicts[:20]]
        raise RuntimeError("Demo referrals refused:\n" + "\n".join(lines))
    needs = _survey(today)
    return {
        "facilities": len(units),
        "values": len(values),
        "imported": summary.imported,
        "needs": needs,
    }


def _referral_values(units, today) -> list[ValueRow]:
    element = DataElement.objects.get(code=services.REFERRALS_ELEMENT)
    cocs = {}
    for coc in CategoryOptionCombo.objects.filter(
        category_combo=element.category_combo_id
    ).prefetch_related("options"):
        options = list(coc.options.all())
        if len(options) == 1:
            cocs[options[0].code.removeprefix(services.SPECIALTY_OPTION_PREFIX)] = coc
    specialties = {s.pk: s for s in Specialty.objects.all()}
    months = _months(today)
    facilities = services.facilities_in_scope(SystemWriter(STORED_BY)).filter(
        pk__in=[u.pk for u in units]
    )
    counts = services.matrix_counts(facilities)
    rows = []
    for unit in units:
        hospital = unit.facility_type != FacilityType.HEALTH_CENTRE
        for specialty_id, cell in counts.get(unit.pk, {}).items():
            specialty = specialties[specialty_id]
            base = MONTHLY_REFERRALS.get(int(specialty.code) if specialty.code.isdigit() else 0)
            coc = cocs.get(specialty.code)
            if not base or coc is None or not cell.allowed:
                continue
            expected = base * (cell.gap / cell.allowed) * (1 / 3 if hospital else 1)
            for month in months:
                rng = random.Random(f"{unit.code}/{specialty.code}/{month.id}")
                number = round(expected * rng.uniform(0.6, 1.4))
                if number <= 0:
                    continue  # zero is not significant: not stored
                rows.append(
                    ValueRow(
                        data_element=element,
                        period=month,
                        org_unit=unit,
                        category_option_combo=coc,
                        value=str(number),
                    )
                )
    return rows


def _survey(today) -> int:
    """The Bắc Ninh DOH's survey of the year, open for 60 days, and Tiên Du's first request."""
    doh = OrgUnit.objects.filter(code="BN-SYT").first()
    tien_du = OrgUnit.objects.filter(code=TIEN_DU, active=True).first()
    if doh is None or tien_du is None:
        return 0
    from doha.users.models import User

    officer = User.objects.filter(username="syt.bacninh").first()
    title = SURVEY_TITLE % {"year": today.year}
    with set_actor(officer) if officer else nullcontext():
        survey = NeedsSurvey.objects.filter(organiser=doh, title=title).first()
        if survey is None:
            centres = OrgUnit.objects.filter(
                path__startswith=doh.path, active=True, facility_type=FacilityType.HEALTH_CENTRE
            )
            survey = programme_services.open_survey(
                NeedsSurvey(
                    title=title,
                    organiser=doh,
                    framework=Framework.LINE_DIRECTION,
                    opens_on=today,
                    deadline=today + datetime.timedelta(days=60),
                    status=SurveyStatus.OPEN,
                    description="Các Trung tâm Y tế đăng ký kỹ thuật cần chuyển giao, ưu tiên "
                    "các kỹ thuật còn thiếu có nhiều lượt chuyển tuyến đi.",
                ),
                list(centres),
                today=today,
            )
        if SurveyResponse.objects.filter(survey=survey, facility=tien_du).exists():
            return 0
        if survey.status != SurveyStatus.OPEN or survey.deadline < today:
            return 0
        ranked = services.facility_gap(tien_du, today=today).ranked()
        first = next((g for g in ranked if not g.requested), None)
        if first is None:
            return 0
        programme_services.save_response(
            survey,
            tien_du,
            contact="Phòng Kế hoạch - Nghiệp vụ",
            technique_needs=[
                TechniqueNeed(technique=first.technique, priority=Priority.HIGH, people_to_train=2)
            ],
            today=today,
        )
    return 1
