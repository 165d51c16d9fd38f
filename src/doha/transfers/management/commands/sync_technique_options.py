from django.core.management.base import BaseCommand

from doha.transfers.sustainment import DATA_ELEMENT_CODE, DATA_SET_CODE, sync_technique_options


class Command(BaseCommand):
    help = (
        f"Bring the per-technique monthly counts up to date with the accepted transfers: one "
        f"option per transferred technique under {DATA_ELEMENT_CODE}, the data set "
        f"{DATA_SET_CODE} and its assignment to the receiving facilities. Safe to run again."
    )

    def handle(self, *args, **options):
        result = sync_technique_options()
        self.stdout.write(
            f"{result['options']} technique option(s) added, "
            f"{result['facilities']} facility(ies) assigned to {DATA_SET_CODE}."
        )
