"""The DOH's semi-annual or annual review (sơ kết 6 tháng / tổng kết năm), after seed 004.

Every figure comes from the analytics query layer (``doha.analytics.query.run_query``), asked
as the user who generates the report, so the report shows exactly what that user may see:
totals of the report's unit, the same for the same period a year before, the unit's child
facilities, the commune health stations below it (health-record coverage), and months for
the charts. Sections: I. preventive medicine (outbreaks: dengue, food poisoning;
immunisation), II. examination and treatment (visits, admissions, referrals, health records,
hotline), III. line-direction activities (transfers accepted, rotations, trainees, remote
consultations, support received), IV. shortcomings and V. next tasks (the officer's text).

``collect(report, user)`` returns the figures (tests compare them with run_query and with
the files); ``build(report, version, progress)`` writes the .docx and the .xlsx annex.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from doha.aggregate.models import DataElement
from doha.analytics.models import Indicator
from doha.analytics.query import run_query
from doha.core.text import format_number, format_percent
from doha.orgunits.models import FacilityType, OrgUnit
from doha.reports import charts
from doha.reports.annex import Annex
from doha.reports.document import BuiltReport, DecreeDocument, letterhead_for
from doha.reports.periods import (
    period_ids,
    period_phrase,
    previous_period_ids,
    short_period,
    short_previous,
)

ELEMENTS = [
    "OPD_VISITS",
    "IPD_ADMISSIONS",
    "REFERRALS_OUT",
    "REFERRALS_IN",
    "HEALTH_RECORDS",
    "POPULATION",
    "CHILD_FULLY_IMMUNISED",
    "CHILDREN_UNDER1",
    "PREGNANT_VACCINATED",
    "DENGUE_CASES",
    "FOOD_POISONING_EVENTS",
    "HOTLINE_CALLS",
    "HOTLINE_RESOLVED",
    "MEDICAL_INCIDENTS",
    "ACT_TRANSFERS_ACCEPTED",
    "ACT_ROTATION_STAFF",
    "ACT_PEOPLE_TRAINED",
    "ACT_CONSULTATIONS",
    "ACT_DONATION_VALUE",
]
INDICATORS = [
    "IND_REFERRAL_RATE",
    "IND_HEALTH_RECORD_COVERAGE",
    "IND_FULL_IMMUNISATION",
    "IND_HOTLINE_RESOLVED",
]
FACILITY_CODES = [
    "OPD_VISITS",
    "IPD_ADMISSIONS",
    "REFERRALS_OUT",
    "IND_REFERRAL_RATE",
    "DENGUE_CASES",
    "FOOD_POISONING_EVENTS",
    "CHILD_FULLY_IMMUNISED",
    "PREGNANT_VACCINATED",
    "ACT_TRANSFERS_ACCEPTED",
    "ACT_ROTATION_STAFF",
    "ACT_PEOPLE_TRAINED",
    "ACT_CONSULTATIONS",
    "ACT_DONATION_VALUE",
]
COMMUNE_CODES = ["POPULATION", "HEALTH_RECORDS", "IND_HEALTH_RECORD_COVERAGE"]
MONTHLY_CODES = ["OPD_VISITS", "IPD_ADMISSIONS", "DENGUE_CASES"]


@dataclass
class Figures:
    """What the report says, by data element or indicator code."""

    current: dict[str, float] = field(default_factory=dict)
    previous: dict[str, float] = field(default_factory=dict)
    facilities: list[OrgUnit] = field(default_factory=list)
    by_facility: dict[tuple[str, str], float] = field(default_factory=dict)
    communes: list[OrgUnit] = field(default_factory=list)
    by_commune: dict[tuple[str, str], float] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    previous_months: list[str] = field(default_factory=list)
    monthly: dict[tuple[str, str], float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def facility(self, code: str, unit: OrgUnit):
        return self.by_facility.get((code, unit.uid))

    def commune(self, code: str, unit: OrgUnit):
        return self.by_commune.get((code, unit.uid))


def _uids(codes: list[str]) -> dict[str, str]:
    """{code: UID} of the data elements and indicators that exist."""
    found = dict(DataElement.objects.filter(code__in=codes).values_list("code", "uid"))
    found.update(Indicator.objects.filter(code__in=codes).values_list("code", "uid"))
    return {code: found[code] for code in codes if code in found}


def _query(user, ids: dict[str, str], pe: list[str], ou: list[str]) -> dict:
    """{(code, org unit UID): value} over the periods ``pe`` taken together."""
    if not ids or not ou:
        return {}
    result = run_query(user, dx=list(ids.values()), ou=ou, filters={"pe": pe})
    code_of = {uid: code for code, uid in ids.items()}
    dx, ou_at = result.dimensions.index("dx"), result.dimensions.index("ou")
    return {(code_of[row[dx]], row[ou_at]): row[-1] for row in result.rows}


def _month_ids(ids: list[str]) -> list[str]:
    from doha.aggregate.periods import parse_period

    months = []
    for pid in ids:
        months.extend(p.id for p in parse_period(pid).months())
    return months


def collect(report, user, progress=None) -> Figures:
    """Ask the query layer for everything the report shows."""
    progress = progress or (lambda percent, message="": None)
    unit = report.org_unit
    ids = _uids(ELEMENTS + INDICATORS)
    figures = Figures(missing=[c for c in ELEMENTS + INDICATORS if c not in ids])
    pe, pe_before = period_ids(report), previous_period_ids(report)

    progress(10, _("Totals of the period"))
    totals = _query(user, ids, pe, [unit.uid])
    figures.current = {code: value for (code, _ou), value in totals.items()}
    progress(20, _("The same period last year"))
    totals = _query(user, ids, pe_before, [unit.uid])
    figures.previous = {code: value for (code, _ou), value in totals.items()}

    progress(30, _("Figures by facility"))
    figures.facilities = list(
        OrgUnit.objects.filter(parent=unit, active=True).order_by("sort_name")
    )
    facility_ids = {c: ids[c] for c in FACILITY_CODES if c in ids}
    figures.by_facility = _query(user, facility_ids, pe, [u.uid for u in figures.facilities])

    progress(40, _("Health records by commune"))
    figures.communes = list(
        OrgUnit.objects.filter(
            path__startswith=unit.path,
            facility_type=FacilityType.COMMUNE_STATION,
            active=True,
        )
        .exclude(pk=unit.pk)
        .order_by("sort_name")
    )
    commune_ids = {c: ids[c] for c in COMMUNE_CODES if c in ids}
    figures.by_commune = _query(user, commune_ids, pe, [u.uid for u in figures.communes])

    progress(50, _("Figures by month"))
    figures.months = _month_ids(pe)
    figures.previous_months = _month_ids(pe_before)
    monthly_ids = {c: ids[c] for c in MONTHLY_CODES if c in ids}
    if monthly_ids:
        result = run_query(
            user,
            dx=list(monthly_ids.values()),
            pe=figures.months + figures.previous_months,
            ou=[unit.uid],
        )
        code_of = {uid: code for code, uid in monthly_ids.items()}
        dx, pe_at = result.dimensions.index("dx"), result.dimensions.index("pe")
        figures.monthly = {(code_of[row[dx]], row[pe_at]): row[-1] for row in result.rows}
    return figures


# ----------------------------------------------------------------------------- words


def count(value) -> str:
    """917405.0 -> "917.405"; no value -> "–"."""
    if value is None:
        return "–"
    return format_number(round(value))


def percent(value) -> str:
    if value is None:
        return "–"
    return format_percent(value, 1)


def change(current, previous) -> str:
    """ "tăng 5,2%", "giảm 3,0%", "không đổi"; empty without a figure to compare with."""
    if current is None or previous in (None, 0):
        return ""
    ratio = (current - previous) / previous * 100
    if abs(ratio) < 0.05:
        return _("unchanged")
    if ratio > 0:
        return _("up %(percent)s") % {"percent": format_percent(ratio, 1)}
    return _("down %(percent)s") % {"percent": format_percent(-ratio, 1)}


def change_points(current, previous) -> str:
    if current is None or previous is None:
        return ""
    points = current - previous
    if abs(points) < 0.05:
        return _("unchanged")
    if points > 0:
        return _("up %(points)s percentage points") % {"points": format_number(points, 1)}
    return _("down %(points)s percentage points") % {"points": format_number(-points, 1)}


def _compared(current, previous) -> str:
    """ " (cùng kỳ năm trước: 870.001; tăng 5,4%)"."""
    if previous is None:
        return ""
    moved = change(current, previous)
    if moved:
        return " " + _("(same period last year: %(previous)s; %(change)s)") % {
            "previous": count(previous),
            "change": moved,
        }
    return " " + _("(same period last year: %(previous)s)") % {"previous": count(previous)}


def _int(value):
    return None if value is None else round(value)


def _labels() -> dict[str, str]:
    return {
        "OPD_VISITS": _("Outpatient visits"),
        "IPD_ADMISSIONS": _("Inpatient treatments"),
        "REFERRALS_OUT": _("Referrals out"),
        "REFERRALS_IN": _("Referrals received"),
        "IND_REFERRAL_RATE": _("Referral rate (%)"),
        "HEALTH_RECORDS": _("People with a health record"),
        "POPULATION": _("Population"),
        "IND_HEALTH_RECORD_COVERAGE": _("Health-record coverage (%)"),
        "CHILD_FULLY_IMMUNISED": _("Children under one fully immunised"),
        "IND_FULL_IMMUNISATION": _("Full immunisation coverage (%)"),
        "PREGNANT_VACCINATED": _("Pregnant women vaccinated against tetanus"),
        "DENGUE_CASES": _("Dengue cases"),
        "FOOD_POISONING_EVENTS": _("Food poisoning events"),
        "HOTLINE_CALLS": _("Hotline calls"),
        "HOTLINE_RESOLVED": _("Hotline calls resolved"),
        "IND_HOTLINE_RESOLVED": _("Hotline calls resolved (%)"),
        "MEDICAL_INCIDENTS": _("Medical incidents"),
        "ACT_TRANSFERS_ACCEPTED": _("Transferred techniques accepted"),
        "ACT_ROTATION_STAFF": _("Staff on rotation or secondment"),
        "ACT_PEOPLE_TRAINED": _("Staff trained"),
        "ACT_CONSULTATIONS": _("Remote consultations"),
        "ACT_DONATION_VALUE": _("Support received (VND)"),
    }


def summary_rows(figures: Figures, codes: list[str]) -> list[list]:
    """[label, this period, same period last year, change] for each code."""
    labels = _labels()
    rows = []
    for code in codes:
        now, before = figures.current.get(code), figures.previous.get(code)
        if code.startswith("IND_"):
            rows.append([labels[code], percent(now), percent(before), change_points(now, before)])
        else:
            rows.append([labels[code], _int(now), _int(before), change(now, before)])
    return rows


def facility_rows(figures: Figures, codes: list[str]) -> list[list]:
    rows = []
    for unit in figures.facilities:
        row = [unit.short_name or unit.name]
        for code in codes:
            value = figures.facility(code, unit)
            row.append(percent(value) if code.startswith("IND_") else _int(value))
        rows.append(row)
    return rows


def _total_row(figures: Figures, codes: list[str]) -> list:
    row = [_("Total")]
    for code in codes:
        value = figures.current.get(code)
        row.append(percent(value) if code.startswith("IND_") else _int(value))
    return row


def commune_rows(figures: Figures) -> list[list]:
    rows = []
    for unit in figures.communes:
        rows.append(
            [
                unit.name,
                _int(figures.commune("POPULATION", unit)),
                _int(figures.commune("HEALTH_RECORDS", unit)),
                percent(figures.commune("IND_HEALTH_RECORD_COVERAGE", unit)),
            ]
        )
    return rows


def _month_label(month_id: str) -> str:
    return f"{month_id[4:6]}/{month_id[2:4]}"


# ----------------------------------------------------------------------------- the document

PREVENTIVE = [
    "DENGUE_CASES",
    "FOOD_POISONING_EVENTS",
    "CHILD_FULLY_IMMUNISED",
    "PREGNANT_VACCINATED",
]
TREATMENT = [
    "OPD_VISITS",
    "IPD_ADMISSIONS",
    "REFERRALS_OUT",
    "REFERRALS_IN",
    "IND_REFERRAL_RATE",
    "HEALTH_RECORDS",
    "IND_HEALTH_RECORD_COVERAGE",
    "HOTLINE_CALLS",
    "IND_HOTLINE_RESOLVED",
    "MEDICAL_INCIDENTS",
]
FACILITY_TREATMENT = ["OPD_VISITS", "IPD_ADMISSIONS", "REFERRALS_OUT", "IND_REFERRAL_RATE"]
FACILITY_ACTIVITIES = [
    "ACT_TRANSFERS_ACCEPTED",
    "ACT_ROTATION_STAFF",
    "ACT_PEOPLE_TRAINED",
    "ACT_CONSULTATIONS",
    "ACT_DONATION_VALUE",
]
ACTIVITIES = FACILITY_ACTIVITIES


def _free_text(doc: DecreeDocument, text: str, empty: str):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        doc.paragraph(empty, italic=True)
    for line in lines:
        doc.paragraph(line)


def write_document(report, figures: Figures, progress=None) -> bytes:
    progress = progress or (lambda percent, message="": None)
    cur, prev = figures.current, figures.previous
    labels = _labels()
    unit_label = _("Facility")
    doc = DecreeDocument(
        letterhead_for(report.issuer or report.org_unit),
        report.number,
        report.date,
        _("REPORT"),
        report.display_title(),
    )
    doc.paragraph(
        _(
            "Figures for %(unit)s over %(period)s, compared with the same period a year "
            "before, from the monthly statistics the facilities reported in doha."
        )
        % {"unit": report.org_unit.name, "period": period_phrase(report)},
        italic=True,
    )
    if figures.missing:
        doc.paragraph(
            _("Not in this system's statistics, so not reported: %(items)s.")
            % {"items": ", ".join(figures.missing)},
            italic=True,
        )

    # I. Preventive medicine
    doc.heading(_("I. PREVENTIVE MEDICINE"))
    doc.heading(_("1. Outbreak prevention and control"), level=2)
    doc.paragraph(
        _("Dengue fever: %(cases)s cases") % {"cases": count(cur.get("DENGUE_CASES"))}
        + _compared(cur.get("DENGUE_CASES"), prev.get("DENGUE_CASES"))
        + "."
    )
    events = cur.get("FOOD_POISONING_EVENTS")
    if events is not None and round(events) == 0:
        text = _("No food poisoning event was reported")
    else:
        text = _("Food poisoning: %(events)s events") % {"events": count(events)}
    doc.paragraph(text + _compared(events, prev.get("FOOD_POISONING_EVENTS")) + ".")
    progress(60, _("Charts"))
    if figures.monthly:
        doc.image(
            charts.lines(
                _("Dengue cases by month"),
                [_month_label(m) for m in figures.months],
                [
                    (
                        short_period(report),
                        [figures.monthly.get(("DENGUE_CASES", m)) for m in figures.months],
                    ),
                    (
                        short_previous(report),
                        [
                            figures.monthly.get(("DENGUE_CASES", m))
                            for m in figures.previous_months[: len(figures.months)]
                        ],
                    ),
                ],
            ),
            width_cm=15,
            caption=_("Chart 1. Dengue cases by month, this period and a year before"),
        )
    doc.heading(_("2. Immunisation"), level=2)
    doc.paragraph(
        _(
            "%(children)s children under one were fully immunised (%(coverage)s of the "
            "children under one); %(pregnant)s pregnant women were vaccinated against tetanus."
        )
        % {
            "children": count(cur.get("CHILD_FULLY_IMMUNISED")),
            "coverage": percent(cur.get("IND_FULL_IMMUNISATION")),
            "pregnant": count(cur.get("PREGNANT_VACCINATED")),
        }
    )
    doc.paragraph(_("Table 1. Preventive medicine"), bold=True, indent=False, align="center")
    doc.table(
        [_("Indicator"), short_period(report), short_previous(report), _("Change")],
        summary_rows(figures, PREVENTIVE),
        widths_cm=[7.0, 3.0, 3.0, 3.5],
    )
    if figures.facilities:
        codes = ["DENGUE_CASES", "FOOD_POISONING_EVENTS", "CHILD_FULLY_IMMUNISED"]
        doc.paragraph(
            _("Table 2. Preventive medicine by facility"), bold=True, indent=False, align="center"
        )
        doc.table(
            [unit_label] + [labels[c] for c in codes],
            facility_rows(figures, codes),
            widths_cm=[6.5, 3.0, 3.0, 4.0],
            total=_total_row(figures, codes),
            size=11,
        )

    # II. Examination and treatment
    doc.heading(_("II. MEDICAL EXAMINATION AND TREATMENT"))
    doc.heading(_("1. Results"), level=2)
    doc.paragraph(
        _(
            "The facilities examined %(visits)s outpatient visits and treated %(admissions)s "
            "inpatients; %(referrals)s patients were referred to other facilities (referral "
            "rate %(rate)s)."
        )
        % {
            "visits": count(cur.get("OPD_VISITS")),
            "admissions": count(cur.get("IPD_ADMISSIONS")),
            "referrals": count(cur.get("REFERRALS_OUT")),
            "rate": percent(cur.get("IND_REFERRAL_RATE")),
        }
    )
    doc.paragraph(
        _("Outpatient visits: %(value)s") % {"value": count(cur.get("OPD_VISITS"))}
        + _compared(cur.get("OPD_VISITS"), prev.get("OPD_VISITS"))
        + "; "
        + _("inpatient treatments: %(value)s") % {"value": count(cur.get("IPD_ADMISSIONS"))}
        + _compared(cur.get("IPD_ADMISSIONS"), prev.get("IPD_ADMISSIONS"))
        + "."
    )
    doc.paragraph(_("Table 3. Main figures"), bold=True, indent=False, align="center")
    doc.table(
        [_("Indicator"), short_period(report), short_previous(report), _("Change")],
        summary_rows(figures, TREATMENT),
        widths_cm=[7.0, 3.0, 3.0, 3.5],
    )
    if figures.monthly:
        doc.image(
            charts.grouped_bars(
                _("Outpatient visits by month"),
                [_month_label(m)[:2] for m in figures.months],
                [
                    (
                        short_period(report),
                        [figures.monthly.get(("OPD_VISITS", m)) for m in figures.months],
                    ),
                    (
                        short_previous(report),
                        [
                            figures.monthly.get(("OPD_VISITS", m))
                            for m in figures.previous_months[: len(figures.months)]
                        ],
                    ),
                ],
            ),
            width_cm=15,
            caption=_("Chart 2. Outpatient visits by month, this period and a year before"),
        )
    if figures.facilities:
        doc.heading(_("2. By facility"), level=2)
        doc.paragraph(
            _("Table 4. Examination and treatment by facility"),
            bold=True,
            indent=False,
            align="center",
        )
        doc.table(
            [unit_label] + [labels[c] for c in FACILITY_TREATMENT],
            facility_rows(figures, FACILITY_TREATMENT),
            widths_cm=[6.0, 3.0, 2.7, 2.5, 2.3],
            total=_total_row(figures, FACILITY_TREATMENT),
            size=11,
        )
    doc.heading(_("3. Personal health records"), level=2)
    with_records = sum(
        1 for u in figures.communes if (figures.commune("HEALTH_RECORDS", u) or 0) > 0
    )
    doc.paragraph(
        _(
            "Personal health records were made for %(records)s people in %(communes)s "
            "communes and wards (%(coverage)s of the population)"
        )
        % {
            "records": count(cur.get("HEALTH_RECORDS")),
            "communes": format_number(with_records),
            "coverage": percent(cur.get("IND_HEALTH_RECORD_COVERAGE")),
        }
        + _compared(cur.get("HEALTH_RECORDS"), prev.get("HEALTH_RECORDS"))
        + "."
    )
    if figures.communes:
        doc.paragraph(
            _("Table 5. Health-record coverage by commune"), bold=True, indent=False, align="center"
        )
        doc.table(
            [_("Commune health station"), _("Population"), _("With a record"), _("Coverage")],
            commune_rows(figures),
            widths_cm=[7.5, 3.0, 3.0, 3.0],
            total=[
                _("Total"),
                _int(cur.get("POPULATION")),
                _int(cur.get("HEALTH_RECORDS")),
                percent(cur.get("IND_HEALTH_RECORD_COVERAGE")),
            ],
            size=11,
        )
    doc.heading(_("4. Hotline and medical incidents"), level=2)
    doc.paragraph(
        _(
            "The hotline received %(calls)s calls, %(resolved)s of them resolved (%(rate)s); "
            "%(incidents)s medical incidents were reported."
        )
        % {
            "calls": count(cur.get("HOTLINE_CALLS")),
            "resolved": count(cur.get("HOTLINE_RESOLVED")),
            "rate": percent(cur.get("IND_HOTLINE_RESOLVED")),
            "incidents": count(cur.get("MEDICAL_INCIDENTS")),
        }
    )

    # III. Line direction
    progress(75, _("Writing the document"))
    doc.heading(_("III. LINE DIRECTION"))
    doc.paragraph(
        _(
            "%(transfers)s transferred techniques were accepted; %(rotations)s staff came on "
            "rotation or secondment; %(trained)s staff were trained; %(consultations)s remote "
            "consultations were held; support received was worth %(value)s đồng."
        )
        % {
            "transfers": count(cur.get("ACT_TRANSFERS_ACCEPTED")),
            "rotations": count(cur.get("ACT_ROTATION_STAFF")),
            "trained": count(cur.get("ACT_PEOPLE_TRAINED")),
            "consultations": count(cur.get("ACT_CONSULTATIONS")),
            "value": count(cur.get("ACT_DONATION_VALUE")),
        }
    )
    doc.paragraph(_("Table 6. Line-direction activities"), bold=True, indent=False, align="center")
    doc.table(
        [_("Indicator"), short_period(report), short_previous(report), _("Change")],
        summary_rows(figures, ACTIVITIES),
        widths_cm=[7.0, 3.0, 3.0, 3.5],
    )
    if figures.facilities:
        doc.paragraph(
            _("Table 7. Line-direction activities by facility"),
            bold=True,
            indent=False,
            align="center",
        )
        doc.table(
            [unit_label] + [labels[c] for c in FACILITY_ACTIVITIES],
            facility_rows(figures, FACILITY_ACTIVITIES),
            widths_cm=[5.0, 2.4, 2.4, 2.2, 2.2, 2.3],
            total=_total_row(figures, FACILITY_ACTIVITIES),
            size=10,
        )

    # IV, V: the officer's words
    doc.heading(_("IV. SHORTCOMINGS AND DIFFICULTIES"))
    _free_text(doc, report.shortcomings, _("None recorded."))
    doc.heading(_("V. KEY TASKS FOR THE NEXT PERIOD"))
    _free_text(doc, report.next_tasks, _("None recorded."))
    doc.closing()
    return doc.save()


# ----------------------------------------------------------------------------- the annex


def write_annex(report, figures: Figures) -> bytes:
    """The tables of the report as numbers (not text) in an .xlsx workbook."""
    labels = _labels()
    annex = Annex(report.display_title(), f"{report.org_unit.name} · {short_period(report)}")
    sheet = annex.sheet

    def raw(code, value):
        if value is None:
            return None
        return round(value, 1) if code.startswith("IND_") else round(value)

    codes = [c for c in ELEMENTS + INDICATORS if c in labels]
    sheet(
        _("Summary"),
        [_("Code"), _("Indicator"), short_period(report), short_previous(report), _("Change")],
        [
            [
                code,
                labels[code],
                raw(code, figures.current.get(code)),
                raw(code, figures.previous.get(code)),
                change_points(figures.current.get(code), figures.previous.get(code))
                if code.startswith("IND_")
                else change(figures.current.get(code), figures.previous.get(code)),
            ]
            for code in codes
        ],
        [24, 44, 14, 14, 18],
    )
    sheet(
        _("By facility"),
        [_("Code"), _("Facility")] + [labels[c] for c in FACILITY_CODES],
        [
            [unit.code, unit.name] + [raw(c, figures.facility(c, unit)) for c in FACILITY_CODES]
            for unit in figures.facilities
        ],
        [16, 40] + [14] * len(FACILITY_CODES),
    )
    sheet(
        _("Health records by commune"),
        [
            _("Code"),
            _("Commune health station"),
            _("Population"),
            _("With a record"),
            _("Coverage (%)"),
        ],
        [
            [unit.code, unit.name] + [raw(c, figures.commune(c, unit)) for c in COMMUNE_CODES]
            for unit in figures.communes
        ],
        [16, 40, 14, 14, 14],
    )
    sheet(
        _("By month"),
        [_("Month")] + [labels[c] for c in MONTHLY_CODES],
        [
            [f"{m[4:6]}/{m[:4]}"] + [raw(c, figures.monthly.get((c, m))) for c in MONTHLY_CODES]
            for m in figures.previous_months + figures.months
        ],
        [12, 18, 18, 18],
    )
    return annex.save()


def build(report, version, progress) -> BuiltReport:
    """The registered builder of the "semiannual" kind."""
    with translation.override(report.language):
        figures = collect(report, version.created_by, progress)
        docx = write_document(report, figures, progress)
        progress(90, _("Writing the annex"))
        xlsx = write_annex(report, figures)
    return BuiltReport(docx=docx, xlsx=xlsx)
