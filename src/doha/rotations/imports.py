"""Rotations and secondments from .xlsx or .csv: one row a rotation, all or nothing per file.

Every row goes through ``services.create_rotation`` with the user, as the form and the API
do: the programme's policy (3 to 6 months by default), one person in one place at a time,
the facilities among the programme's parties and the scope are refused with the same
messages, named by row and column.
"""

import operator
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.catalog.models import Technique
from doha.rotations import services
from doha.rotations.models import Rotation, RotationKind
from doha.rotations.tabular_import import TabularImport, split_list

COLUMNS = (
    ("worker", gettext_lazy("Health worker (UID or licence number)")),
    ("kind", gettext_lazy("Kind")),
    ("from_facility_code", gettext_lazy("Sending facility code")),
    ("to_facility_code", gettext_lazy("Receiving facility code")),
    ("start", gettext_lazy("Start")),
    ("end", gettext_lazy("End")),
    ("purpose", gettext_lazy("Purpose")),
    ("programme", gettext_lazy("Programme number")),
    ("techniques", gettext_lazy("Technique codes")),
)


class RotationImport(TabularImport):
    columns = COLUMNS
    required = ("worker", "to_facility_code", "start", "end")
    aliases = {
        gettext_lazy("Health worker"): "worker",
        gettext_lazy("Practising licence number"): "worker",
        gettext_lazy("Sending facility"): "from_facility_code",
        gettext_lazy("Receiving facility"): "to_facility_code",
        gettext_lazy("Programme"): "programme",
        gettext_lazy("Techniques to transfer"): "techniques",
    }
    hints = {
        "worker": gettext_lazy("As in the staff register: its UID or practising licence number."),
        "kind": gettext_lazy("Rotation (Project 1816) or secondment; empty: rotation."),
        "from_facility_code": gettext_lazy("Empty: the worker's own facility."),
        "programme": gettext_lazy(
            "Optional. The period then follows the programme's policy; both facilities "
            "must be its parties."
        ),
        "techniques": gettext_lazy("Codes of the catalogue, separated by ;"),
    }
    field_columns = {"from_facility": "from_facility_code", "to_facility": "to_facility_code"}
    filename = "mau-nhap-luan-phien"
    sheet_title = gettext_lazy("Rotations")

    def import_row(self, number, values):
        rotation = Rotation(
            kind=self.choice(number, values, "kind", RotationKind, RotationKind.ROTATION),
            worker=self.worker(number, values, "worker"),
            from_facility=self.unit(number, values, "from_facility_code"),
            to_facility=self.unit(number, values, "to_facility_code"),
            start=self.date(number, values, "start"),
            end=self.date(number, values, "end"),
            purpose=self.text(values, "purpose", multiline=True),
            programme=self.programme(number, values, "programme"),
        )
        techniques = self.techniques(number, values)
        if self.row_refused():
            return

        def create():
            services.create_rotation(rotation, techniques=techniques, user=self.user)
            self.report.created += 1

        self.save(number, create)

    def techniques(self, number, values):
        codes = split_list(self.text(values, "techniques"))
        if not codes:
            return []
        wanted = reduce(operator.or_, (Q(code__iexact=code) for code in codes))
        found = {t.code.lower(): t for t in Technique.objects.filter(wanted, active=True)}
        techniques = []
        for code in codes:
            technique = found.get(code.lower())
            if technique is None:
                self.error(number, "techniques", _("Unknown value: %(value)s") % {"value": code})
            else:
                techniques.append(technique)
        return techniques
