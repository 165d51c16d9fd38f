from django.core.management.base import BaseCommand, CommandError

from doha.aggregate.metadata import (
    COLLECTIONS,
    DEFAULT_FILE,
    MetadataError,
    load_metadata,
    read_metadata_file,
)


class Command(BaseCommand):
    help = (
        "Load aggregate metadata in DHIS2's JSON shape (category options, categories, "
        "combinations, data elements, data sets, sections, indicator types, indicators, "
        "validation rules), upserting by UID. Without a file, loads the default data set of a "
        "provincial Department of Health shipped with doha. Safe to run again; a file with "
        "any error changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            default=str(DEFAULT_FILE),
            help="A DHIS2 metadata .json file (default: doha's default data set).",
        )

    def handle(self, *args, file, **options):
        try:
            counts = load_metadata(read_metadata_file(file))
        except MetadataError as exc:
            raise CommandError("Nothing was loaded:\n" + "\n".join(exc.errors)) from exc
        data = read_metadata_file(file)
        for collection in COLLECTIONS:
            if collection in counts:
                c = counts[collection]
                self.stdout.write(
                    f"{collection}: created {c['created']}, updated {c['updated']}, "
                    f"unchanged {c['unchanged']}"
                )
        ignored = sorted(set(data) - set(COLLECTIONS) - {"system"})
        if ignored:
            self.stdout.write("Not loaded (doha keeps no such objects): " + ", ".join(ignored))
