"""Remote consultations from .xlsx or .csv: one row a consultation, all or nothing per file.

Every row goes through ``services.save_consultation`` with the user, as the form and the API
do: the de-identified summary (no citizen ID, no phone number), the hub other than the
requesting facility, the answer after the request and the scope are refused with the same
messages, named by row and column.
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.catalog.models import Specialty
from doha.core.text import fold
from doha.people.models import Sex
from doha.rotations.tabular_import import TabularImport, split_list
from doha.telehealth import services
from doha.telehealth.models import Consultation, Outcome, Urgency

COLUMNS = (
    ("requesting_code", gettext_lazy("Requesting facility code")),
    ("hub_code", gettext_lazy("Hub facility code")),
    ("specialty", gettext_lazy("Specialty")),
    ("urgency", gettext_lazy("Urgency")),
    ("patient_age", gettext_lazy("Patient's age (years)")),
    ("patient_sex", gettext_lazy("Patient's sex")),
    ("patient_summary", gettext_lazy("Patient summary")),
    ("requested_at", gettext_lazy("Requested at")),
    ("answered_at", gettext_lazy("Answered at")),
    ("participants", gettext_lazy("Participants (UID or licence number)")),
    ("participants_text", gettext_lazy("Other participants")),
    ("conclusion", gettext_lazy("Conclusion")),
    ("outcome", gettext_lazy("Outcome")),
)


class ConsultationImport(TabularImport):
    columns = COLUMNS
    required = (
        "requesting_code",
        "hub_code",
        "specialty",
        "patient_age",
        "patient_sex",
        "patient_summary",
        "requested_at",
    )
    aliases = {
        gettext_lazy("Requesting facility"): "requesting_code",
        gettext_lazy("Hub facility"): "hub_code",
        gettext_lazy("Age"): "patient_age",
        gettext_lazy("Sex"): "patient_sex",
        gettext_lazy("Participants"): "participants",
    }
    hints = {
        "specialty": gettext_lazy("Its code or name in the catalogue."),
        "urgency": gettext_lazy("Routine, urgent or emergency; empty: routine."),
        "patient_summary": gettext_lazy(
            "De-identified: no name, no ID number, no phone number, no address."
        ),
        "requested_at": gettext_lazy("dd/mm/yyyy hh:mm"),
        "answered_at": gettext_lazy("dd/mm/yyyy hh:mm; required once the outcome is known."),
        "participants": gettext_lazy("Health workers of the register, separated by ;"),
        "outcome": gettext_lazy(
            "Pending, treated locally, referred or transferred; empty: pending."
        ),
    }
    field_columns = {"requesting": "requesting_code", "hub": "hub_code"}
    filename = "mau-nhap-hoi-chan"
    sheet_title = gettext_lazy("Remote consultations")

    def import_row(self, number, values):
        consultation = Consultation(
            requesting=self.unit(number, values, "requesting_code"),
            hub=self.unit(number, values, "hub_code"),
            specialty=self.specialty(number, values),
            urgency=self.choice(number, values, "urgency", Urgency, Urgency.ROUTINE),
            patient_age=self.integer(number, values, "patient_age"),
            patient_sex=self.choice(number, values, "patient_sex", Sex),
            patient_summary=self.text(values, "patient_summary", multiline=True),
            requested_at=self.moment(number, values, "requested_at"),
            answered_at=self.moment(number, values, "answered_at"),
            participants_text=self.text(values, "participants_text"),
            conclusion=self.text(values, "conclusion", multiline=True),
            outcome=self.choice(number, values, "outcome", Outcome, Outcome.PENDING),
        )
        participants = [
            self.worker(number, values, "participants", text)
            for text in split_list(self.text(values, "participants"))
        ]
        if self.row_refused():
            return

        def create():
            services.save_consultation(consultation, participants, user=self.user)
            self.report.created += 1

        self.save(number, create)

    def specialty(self, number, values):
        text = self.present(number, values, "specialty")
        if not text:
            return None
        found = Specialty.objects.filter(Q(code__iexact=text) | Q(name__iexact=text), active=True)
        specialty = found.first() or next(
            (s for s in Specialty.objects.filter(active=True) if fold(s.name) == fold(text)),
            None,
        )
        if specialty is None:
            self.error(number, "specialty", _("Unknown value: %(value)s") % {"value": text})
        return specialty
