from django.core.management.base import BaseCommand, CommandError

from doha.catalog.importexport import STARTER_FILE, load_starter_catalogue
from doha.catalog.models import Specialty, Technique


class Command(BaseCommand):
    help = (
        "Load the technique catalogue shipped with doha: the chapters of the ministry's list "
        "as specialties and the starter techniques (local codes, marked as not official). "
        "Safe to run again; reads only the package's data file (no network)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=str(STARTER_FILE),
            help="Another .csv/.xlsx in the same layout (default: the starter catalogue).",
        )

    def handle(self, *args, file, **options):
        from pathlib import Path

        report = load_starter_catalogue(Path(file))
        if not report.ok:
            lines = [f"row {e.row}, {e.field}: {e.message}" for e in report.errors]
            raise CommandError("Nothing was loaded:\n" + "\n".join(lines))
        for note in report.notes:
            self.stdout.write(note)
        self.stdout.write(
            f"Kỹ thuật / techniques: created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}"
        )
        self.stdout.write(
            f"Chuyên khoa / specialties: {Specialty.objects.count()}; "
            f"kỹ thuật / techniques: {Technique.objects.count()}"
        )
