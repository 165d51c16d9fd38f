"""Donations from .xlsx or .csv, all or nothing per file.

One row an item, as Excel users list a gift; the rows of one donation share its reference
(any text: "TT-01", "1"...), in any order. The donation's own columns (donor, recipient,
date, programme, description) are read from the first row of the reference; later rows may
leave them empty or repeat them, but not say otherwise.

Each item's rules are checked on its row (``services.item_problems``), then each donation
goes through ``services.save_donation`` with the user, as on the form and the API: a
refusal of the donation itself (the donor as recipient, units outside the programme, the
scope) is named on the first row of the reference.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.core.tabular import parse_date
from doha.core.text import fold
from doha.donations import services
from doha.donations.models import Donation, DonationItem
from doha.rotations.tabular_import import TabularImport, cell_text

COLUMNS = (
    ("reference", gettext_lazy("Donation reference")),
    ("donor_code", gettext_lazy("Donor code")),
    ("recipient_code", gettext_lazy("Recipient code")),
    ("date", gettext_lazy("Date")),
    ("programme", gettext_lazy("Programme number")),
    ("description", gettext_lazy("Description")),
    ("item", gettext_lazy("Item")),
    ("quantity", gettext_lazy("Quantity")),
    ("unit", gettext_lazy("Unit")),
    ("unit_value", gettext_lazy("Unit value (VND)")),
    ("total_value", gettext_lazy("Total value (VND)")),
)
DONATION_KEYS = ("donor_code", "recipient_code", "date", "programme", "description")


@dataclass
class _Gift:
    """The rows of one reference: the donation, read from its first row, and its items."""

    first_row: int
    cells: dict
    donation: Donation
    items: list = field(default_factory=list)
    refused: bool = False


class DonationImport(TabularImport):
    columns = COLUMNS
    required = ("reference", "donor_code", "recipient_code", "date", "item", "quantity", "unit")
    aliases = {
        gettext_lazy("Donor"): "donor_code",
        gettext_lazy("Recipient"): "recipient_code",
        gettext_lazy("Programme"): "programme",
    }
    hints = {
        "reference": gettext_lazy(
            "Rows with the same reference are the items of one donation; its other "
            "columns are read from its first row."
        ),
        "programme": gettext_lazy("Optional; the donor and the recipient must be its parties."),
        "quantity": gettext_lazy("More than zero; a decimal comma is accepted."),
        "unit": gettext_lazy("e.g. thùng, chiếc, bộ"),
        "unit_value": gettext_lazy("Whole đồng; when given, the total is computed from it."),
    }
    field_columns = {"donor": "donor_code", "recipient": "recipient_code"}
    filename = "mau-nhap-tai-tro"
    sheet_title = gettext_lazy("Donations")

    def __init__(self, user, dry_run=False):
        super().__init__(user, dry_run)
        self.gifts: dict[str, _Gift] = {}

    def import_row(self, number, values):
        reference = self.present(number, values, "reference")
        gift = self.gifts.get(fold(reference)) if reference else None
        if reference and gift is None:
            gift = self.gifts[fold(reference)] = self.read_donation(number, values)
        elif gift is not None:
            self.check_same_donation(number, values, gift, reference)
        item = DonationItem(
            item=self.present(number, values, "item"),
            quantity=self.decimal(number, values, "quantity"),
            unit=self.present(number, values, "unit"),
            unit_value=self.integer(number, values, "unit_value"),
            total_value=self.integer(number, values, "total_value"),
        )
        if not self.row_refused():
            for key, reason in services.item_problems(item):
                self.error(number, key, reason)
        if gift is not None:
            gift.items.append(item)
            gift.refused = gift.refused or self.row_refused()

    def read_donation(self, number, values) -> _Gift:
        donation = Donation(
            donor=self.unit(number, values, "donor_code"),
            recipient=self.unit(number, values, "recipient_code"),
            date=self.date(number, values, "date"),
            programme=self.programme(number, values, "programme"),
            description=self.text(values, "description", multiline=True),
        )
        cells = {key: self.comparable(key, values.get(key)) for key in DONATION_KEYS}
        return _Gift(number, cells, donation)

    def check_same_donation(self, number, values, gift, reference):
        for key in DONATION_KEYS:
            value = self.comparable(key, values.get(key))
            if value not in ("", gift.cells[key]):
                self.error(
                    number,
                    key,
                    _(
                        "Differs from row %(row)s, the first of the donation %(reference)s: "
                        "leave it empty or write the same."
                    )
                    % {"row": gift.first_row, "reference": reference},
                )

    @staticmethod
    def comparable(key, cell):
        if key == "date":
            try:
                return parse_date(cell) or ""
            except ValueError:
                pass
        return fold(cell_text(cell))

    def finish(self):
        for gift in self.gifts.values():
            if gift.refused:
                continue

            def save(gift=gift):
                services.save_donation(gift.donation, gift.items, user=self.user)
                self.report.created += 1

            self.save(gift.first_row, save)
