from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from doha.aggregate.activities import (
    STORED_BY,
    ActivityError,
    compute_activities,
    months_between,
)
from doha.aggregate.models import PeriodType
from doha.aggregate.periods import period_containing
from doha.orgunits.models import OrgUnit

DEFAULT_MONTHS = 36


class Command(BaseCommand):
    # What the command computes (``compute_services`` reuses the command with its own).
    compute = staticmethod(compute_activities)
    stored_by = STORED_BY
    help = (
        "Compute the activity figures (transfers accepted, rotation staff, people trained, "
        "remote consultations, donation value) per facility and month from the records, and "
        "write what changed as data values. Safe to run again: unchanged figures are left "
        "alone. Default: the last 36 months up to this month."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--start",
            help="First period, a DHIS2 period id (202401; 2024 or 2024Q1 for their months).",
        )
        parser.add_argument("--end", help="Last period (default: this month).")
        parser.add_argument(
            "--org-unit",
            action="append",
            dest="org_units",
            default=[],
            help="Only this facility (its code or UID); repeatable.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; write nothing."
        )

    def handle(self, *args, start, end, org_units, dry_run, **options):
        this_month = period_containing(timezone.localdate(), PeriodType.MONTHLY)
        end = end or this_month.id
        if not start:
            first = this_month
            for _i in range(DEFAULT_MONTHS - 1):
                first = first.previous()
            start = first.id
        units = None
        if org_units:
            units = []
            for key in org_units:
                unit = OrgUnit.objects.filter(code=key).first() or (
                    OrgUnit.objects.filter(uid=key).first()
                )
                if unit is None:
                    raise CommandError(f"--org-unit: no facility has the code or UID “{key}”.")
                units.append(unit)
        try:
            months = months_between(start, end)
            summary = self.compute(months[0], months[-1], org_units=units, dry_run=dry_run)
            self.summary = summary
        except ActivityError as exc:
            raise CommandError(str(exc)) from exc
        if not summary.elements:
            self.stderr.write(
                "No computed data elements: load the default metadata first "
                "(manage.py load_metadata)."
            )
            return
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{summary.periods[0]}–{summary.periods[-1]} ({len(summary.periods)} months, "
            f"{summary.elements} data elements, stored by {self.stored_by}): "
            f"{summary.created} values {verb} created, {summary.updated} updated, "
            f"{summary.deleted} deleted; {summary.unchanged} unchanged."
        )
        for conflict in summary.conflicts:
            self.stderr.write(conflict)
        if summary.conflicts:
            raise CommandError("The write path refused the values above; nothing was written.")
