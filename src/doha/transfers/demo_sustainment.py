"""Demo of sustainment from the monthly counts: the receiving facilities' monthly
``TECH_CASES`` values for the demo's accepted transfers (web/demo_line_direction.py).

* TTYT Tiên Du keeps performing laparoscopic surgery (27.001) and endoscopy (20.001) every
  month since their acceptance in 2022: sustained at 6 and 12 months, and still going.
* TTYT Tiên Du performed the anaesthesia technique (09.001, accepted 15/05/2023) three
  months, reported zeros for five more months and then nothing: it fell silent, "no cases
  since 09/2023".
* BVĐK tỉnh Đắk Nông performs Nhi Đồng 2's six paediatric techniques (seed 002) every month
  after their acceptance in 2017: sustained at 12 months.

Counts come from a generator seeded by the technique and the month, so loading again writes
nothing new (values are created only where none is stored: a clerk's correction stays).
Only months that have ended are written, at most four years after acceptance.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from doha.transfers import sustainment

STORED_BY = "demo"
STEADY, SILENT = "steady", "silent"
MAX_MONTHS = 48
# (technique code, receiving facility code) -> (pattern, typical cases a month)
PATTERNS = {
    ("DH.27.001", "BN-TTYT-TIENDU"): (STEADY, 5),
    ("DH.20.001", "BN-TTYT-TIENDU"): (STEADY, 22),
    ("DH.09.001", "BN-TTYT-TIENDU"): (SILENT, 2),
    **{(f"DH.03.00{n}", "DNO-BVDK"): (STEADY, 3) for n in range(1, 7)},
}
SILENT_CASES = [3, 2, 1]  # months 1-3; then zeros reported for months 4-8, then nothing
SILENT_ZEROS = 5


def _counts(pattern: str, typical: int, code: str, months: list[str]) -> dict[str, int]:
    if pattern == SILENT:
        out = dict(zip(months, SILENT_CASES, strict=False))
        for period in months[len(SILENT_CASES) : len(SILENT_CASES) + SILENT_ZEROS]:
            out[period] = 0
        return out
    out = {}
    for period in months:
        rng = random.Random(f"sustainment/{code}/{period}")
        out[period] = max(1, typical + rng.randint(-typical // 2, typical // 2 + 1))
    return out


@transaction.atomic
def load_demo_sustainment(today: datetime.date | None = None) -> int:
    """Write the demo's monthly counts; returns how many values were created."""
    from doha.aggregate.activities import SystemWriter
    from doha.aggregate.datavalues import CREATE, ValueRow, apply_values
    from doha.aggregate.models import DataElement
    from doha.aggregate.periods import parse_period

    today = today or timezone.localdate()
    sustainment.sync_technique_options()
    element = DataElement.objects.filter(code=sustainment.DATA_ELEMENT_CODE).first()
    if element is None:
        return 0  # no accepted transfer in the database
    cocs = sustainment.option_combos()
    transfers = list(
        sustainment.accepted_transfers()
        .filter(
            technique__code__in={code for code, _unit in PATTERNS},
            recipient__code__in={unit for _code, unit in PATTERNS},
        )
        .select_related("technique", "recipient")
    )
    accepted = sustainment._accepted_dates(transfers)
    last = sustainment.month_key(*sustainment.last_month_ended(today))
    rows = []
    for transfer in transfers:
        key = (transfer.technique.code, transfer.recipient.code)
        if key not in PATTERNS or transfer.technique.code not in cocs:
            continue
        start = accepted.get(transfer.pk, transfer.state_date)
        months = []
        for number in range(1, MAX_MONTHS + 1):
            period = sustainment.month_key(
                *sustainment.shift_month(start.year, start.month, number)
            )
            if period > last:
                break
            months.append(period)
        pattern, typical = PATTERNS[key]
        for period, count in _counts(pattern, typical, transfer.technique.code, months).items():
            rows.append(
                ValueRow(
                    data_element=element,
                    period=parse_period(period),
                    org_unit=transfer.recipient,
                    category_option_combo=cocs[transfer.technique.code],
                    value=str(count),
                )
            )
    if not rows:
        return 0
    summary = apply_values(
        SystemWriter(STORED_BY), rows, strategy=CREATE, atomic=True, stored_by=STORED_BY
    )
    if not summary.ok:
        lines = [f"{c.object}: {c.value}" for c in summary.conflicts[:20]]
        raise RuntimeError("Demo sustainment counts refused:\n" + "\n".join(lines))
    return summary.imported
