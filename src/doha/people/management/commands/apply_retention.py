"""Apply the personal-data retention settings (Decree 13/2023/NĐ-CP).

    manage.py apply_retention [--dry-run]

Deletes access-log entries older than DOHA_RETENTION_ACCESS_LOG_YEARS and anonymises the
vaccination clients without a visit for DOHA_RETENTION_CLIENT_INACTIVE_YEARS (name, guardian,
phone and address removed; date of birth, sex, visits and doses kept for the statistics).
Each run is recorded (people.RetentionRun, audited); --dry-run only counts.
"""

from django.core.management.base import BaseCommand

from doha.core import privacy


class Command(BaseCommand):
    help = "Delete or anonymise personal data past its retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        report = privacy.apply_retention(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{report.access_entries} access-log entries {verb} deleted; "
            f"{report.clients} vaccination clients {verb} anonymised."
        )
        for name in sorted(privacy.RETENTION_DEFAULTS):
            years = privacy.retention_years(name)
            self.stdout.write(f"  {name} = {years if years else 'off'}")
