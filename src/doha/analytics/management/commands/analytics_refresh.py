"""Bring the analytics rollups up to date: the queued slices of large imports, or all."""

import time

from django.core.management.base import BaseCommand

from doha.analytics import rollup


class Command(BaseCommand):
    help = "Rebuild the analytics rollups: the slices large imports queued, or all with --all."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Rebuild every rollup from the data values."
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["all"]:
            rollup.refresh_all()
            self.stdout.write(f"Rollups rebuilt in {time.monotonic() - started:.1f} s.")
        else:
            count = rollup.apply_pending()
            self.stdout.write(
                f"{count} queued slice(s) rebuilt in {time.monotonic() - started:.1f} s."
            )
