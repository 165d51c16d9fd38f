from doha.aggregate.management.commands import compute_activities
from doha.aggregate.services_figures import STORED_BY, compute_services


class Command(compute_activities.Command):
    compute = staticmethod(compute_services)
    stored_by = STORED_BY
    help = (
        "Compute the service figures of preventive-medicine centres (service revenue by "
        "source, vaccine doses by antigen, adverse events by severity) per unit and month "
        "from the receipts and vaccination records, and write what changed as data values. "
        "Safe to run again: unchanged figures are left alone. Default: the last 36 months "
        "up to this month."
    )

    def handle(self, *args, **options):
        super().handle(*args, **options)
        summary = getattr(self, "summary", None)
        for key in getattr(summary, "unmapped", []):
            self.stderr.write(f"No option for {key}: left out.")
