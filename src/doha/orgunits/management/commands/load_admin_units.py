from django.core.management.base import BaseCommand

from doha.orgunits.adminunits import load_admin_units


class Command(BaseCommand):
    help = (
        "Load Vietnam's administrative units (pre- and post-2025 sets with the old-to-new "
        "mapping) from the installed vietnamadminunits package. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            dest="provinces",
            default=[],
            help="Limit to a post-2025 province key (e.g. bacninh); repeatable.",
        )

    def handle(self, *args, provinces, **options):
        result = load_admin_units(provinces or None)
        for key, value in result.counts.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(f"mappings: {result.mappings}")
