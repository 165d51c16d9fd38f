from doha.aggregate.management.commands import compute_activities
from doha.visits.figures import STORED_BY, compute_actions


class Command(compute_activities.Command):
    compute = staticmethod(compute_actions)
    stored_by = STORED_BY
    help = (
        "Compute the follow-up action figures (actions due in the month for the owner "
        "facility, and of those the actions done on time) per facility and month from the "
        "visit records, and write what changed as data values (data set DS_VISIT_ACTIONS, "
        "created when missing). Safe to run again. Default: the last 36 months up to this "
        "month."
    )
