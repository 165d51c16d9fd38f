from django.core.management.base import BaseCommand, CommandError

from doha.aggregate.metadata import MetadataError
from doha.gaps.metadata import load_gap_metadata


class Command(BaseCommand):
    help = (
        "Load the data element 'referrals out by specialty' (category: the catalogue's "
        "specialties) and its monthly data set, which rank technique gaps. Safe to run again."
    )

    def handle(self, *args, **options):
        try:
            counts = load_gap_metadata()
        except MetadataError as exc:
            raise CommandError("Nothing was loaded:\n" + "\n".join(exc.errors)) from exc
        for collection, c in counts.items():
            self.stdout.write(
                f"{collection}: created {c['created']}, updated {c['updated']}, "
                f"unchanged {c['unchanged']}"
            )
