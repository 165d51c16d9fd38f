"""The frame the spreadsheet imports of issue 4 share: rotations, training courses and
enrolments, remote consultations and donations.

An import reads a .xlsx or .csv file with the pieces of ``doha.core.tabular`` (read_rows,
header_map, ChoiceLookup, parse_date, ImportReport, Rollback) in the way the staff register's
import does (``doha.people.importexport.import_workers``):

* all or nothing per file: every row is read and saved inside one transaction, rolled back
  when any row is refused or when the user only checks the file;
* every row goes through the app's service, with the user, as the form and the API do: the
  business rules and the scope (which facilities the user may record for) are the
  service's, and so are the messages; a refusal names the row, the column and the reason;
* an empty template (the import's columns, in the active language) is downloaded from the
  import page.

Nothing here is about rotations: it lives in this app only because ``doha.core`` is not
part of the change that brought it. ``TabularImport`` and the cell readers belong in
``doha.core.tabular``, ``ImportView`` in ``doha.core.views`` and the page in ``web/``.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.tabular import (
    ChoiceLookup,
    ImportReport,
    Rollback,
    UnreadableFile,
    date_range_error,
    export_response,
    header_map,
    is_blank_row,
    parse_bool,
    parse_date,
    read_rows,
)
from doha.core.text import fold, nfc
from doha.core.views import ScopedViewMixin
from doha.orgunits.forms import ImportForm
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme

_THOUSANDS = re.compile(r"^-?\d{1,3}([.,]\d{3})+$")
_LIST_SEPARATORS = re.compile(r"[;,\n]+")
MOMENT_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y",
)


def cell_text(cell, multiline: bool = False) -> str:
    """A cell as text: Excel turns codes and licence numbers into numbers (1234.0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if multiline:
        return unicodedata.normalize("NFC", str(cell)).strip()
    return nfc(str(cell)).strip()


def split_list(text: str) -> list[str]:
    """ "A; B, C" -> ["A", "B", "C"] (a list written in one cell)."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text or "") if part.strip()]


class TabularImport:
    """One kind of file: its columns, and how each row becomes records through a service.

    A subclass names its ``columns`` ((key, label) pairs: the header may be written with
    either, in Vietnamese or English), the ``required`` ones, ``hints`` shown on the page,
    ``field_columns`` (a service's field -> the column that holds it) and the template's
    ``filename``, and writes ``import_row(number, values)``; ``finish()`` saves what rows
    only gather (a donation of several rows).
    """

    columns: tuple = ()
    required: tuple = ()
    aliases: dict = {}
    hints: dict[str, object] = {}
    field_columns: dict[str, str] = {}
    filename = "mau-nhap"
    sheet_title = gettext_lazy("Data")
    max_rows = 20000

    def __init__(self, user, dry_run: bool = False):
        self.user = user
        self.report = ImportReport(dry_run=dry_run, columns=self.columns)
        self._mark = 0
        self._units: dict[str, OrgUnit] | None = None

    # The file ---------------------------------------------------------------------------

    def run(self, uploaded) -> ImportReport:
        report = self.report
        try:
            rows = read_rows(uploaded)
        except UnreadableFile as exc:
            report.error(0, "", str(exc))
            return report
        except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
            report.error(0, "", _("The file cannot be read: it is not a valid .xlsx or .csv file."))
            return report
        # Numbered as the spreadsheet numbers them, blank rows skipped (not renumbered).
        numbered = [(n, row) for n, row in enumerate(rows, start=1) if not is_blank_row(row)]
        if not numbered:
            report.error(0, "", _("The file is empty."))
            return report
        (header_number, header), body = numbered[0], numbered[1:]
        mapping, unknown = header_map(header, self.columns, self.folded_aliases())
        if unknown:
            report.error(
                header_number, "", _("Unknown columns: %(names)s") % {"names": ", ".join(unknown)}
            )
        for key in self.required:
            if key not in mapping.values():
                report.error(header_number, key, _("This column is missing."))
        if len(body) > self.max_rows:
            report.error(0, "", _("At most %(n)s rows per file.") % {"n": self.max_rows})
        if report.errors:
            return report
        report.rows = len(body)
        try:
            with transaction.atomic():
                for number, raw in body:
                    values = {key: raw[i] if i < len(raw) else None for i, key in mapping.items()}
                    self._mark = len(report.errors)
                    self.import_row(number, values)
                self.finish()
                if report.errors or report.dry_run:
                    raise Rollback
        except Rollback:
            pass
        return report

    def folded_aliases(self) -> dict[str, str]:
        """Other headers a column may carry (``aliases``: text or a translatable label,
        read in Vietnamese and English), accents and case ignored."""
        folded = {}
        for name, key in self.aliases.items():
            for lang in ("vi", "en"):
                with translation.override(lang):
                    folded[fold(str(name))] = key
        return folded

    def import_row(self, number: int, values: dict) -> None:
        raise ImproperlyConfigured(f"{type(self).__name__} must define import_row()")

    def finish(self) -> None:
        """Called once every row is read, before the transaction ends."""

    # Errors and saving ------------------------------------------------------------------

    def error(self, number: int, key: str, message) -> None:
        self.report.error(number, key, message)

    def row_refused(self) -> bool:
        """Whether the row being read has been refused so far."""
        return len(self.report.errors) > self._mark

    def save(self, number: int, action, scope_column: str = "") -> bool:
        """Run ``action`` (the service call, which counts what it did) in a savepoint; a
        refusal becomes the row's errors, on the column holding the refused field."""
        try:
            with transaction.atomic():
                action()
        except ValidationError as exc:
            self.refused(number, exc)
            return False
        except PermissionDenied as exc:
            self.error(number, scope_column, str(exc) or _("Your role does not allow this action."))
            return False
        return True

    def refused(self, number: int, exc: ValidationError) -> None:
        keys = {key for key, _label in self.columns}
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.error(number, "", message)
            return
        for field, messages in exc.message_dict.items():
            key = self.field_columns.get(field, field)
            for message in messages:
                self.error(number, key if key in keys else "", message)

    # Cells ------------------------------------------------------------------------------

    def text(self, values: dict, key: str, multiline: bool = False) -> str:
        return cell_text(values.get(key), multiline)

    def present(self, number: int, values: dict, key: str, required: bool | None = None) -> str:
        """The cell's text; an empty cell of a required column is a row error."""
        text = self.text(values, key)
        if required is None:
            required = key in self.required
        if not text and required:
            self.error(number, key, _("This field is required."))
        return text

    def choice(self, number: int, values: dict, key: str, choices, default=None):
        """A choice by its value or label (Vietnamese or English); empty: ``default``."""
        text = self.present(number, values, key)
        if not text:
            return default
        value = ChoiceLookup(choices)(text)
        if value is None:
            self.error(number, key, _("Unknown value: %(value)s") % {"value": text})
        return value

    def date(self, number: int, values: dict, key: str) -> datetime.date | None:
        cell = values.get(key)
        if not self.present(number, values, key):
            return None
        try:
            value = parse_date(cell)
        except ValueError:
            self.error(
                number, key, _("Not a date: %(value)s (write dd/mm/yyyy).") % {"value": cell}
            )
            return None
        problem = date_range_error(value)
        if problem:
            self.error(number, key, problem)
            return None
        return value

    def moment(self, number: int, values: dict, key: str) -> datetime.datetime | None:
        """A date and time (dd/mm/yyyy hh:mm), in the site's time zone."""
        cell = values.get(key)
        text = self.present(number, values, key)
        if not text:
            return None
        value = None
        if isinstance(cell, datetime.datetime):
            value = cell
        elif isinstance(cell, datetime.date):
            value = datetime.datetime.combine(cell, datetime.time())
        else:
            for fmt in MOMENT_FORMATS:
                try:
                    value = datetime.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if value is None:
            self.error(
                number,
                key,
                _("Not a date and time: %(value)s (write dd/mm/yyyy hh:mm).") % {"value": text},
            )
            return None
        problem = date_range_error(value.date())
        if problem:
            self.error(number, key, problem)
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def flag(self, number: int, values: dict, key: str, default: bool = False) -> bool:
        try:
            return parse_bool(values.get(key), empty=default)
        except ValueError:
            self.error(
                number, key, _("Write yes or no, not %(value)s.") % {"value": values.get(key)}
            )
            return default

    def integer(self, number: int, values: dict, key: str) -> int | None:
        """A whole number; 1.500.000 and 1,500,000 are read as one and a half million."""
        cell = values.get(key)
        text = self.present(number, values, key)
        if not text:
            return None
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            if float(cell).is_integer():
                return int(cell)
        else:
            digits = text.replace(" ", "").replace("đ", "").replace("VND", "")
            if _THOUSANDS.match(digits):
                digits = digits.replace(".", "").replace(",", "")
            if re.fullmatch(r"-?\d+", digits):
                return int(digits)
        self.error(number, key, _("Not a whole number: %(value)s") % {"value": text})
        return None

    def decimal(self, number: int, values: dict, key: str) -> Decimal | None:
        """A number; a decimal comma (1,5) is read as a point."""
        cell = values.get(key)
        text = self.present(number, values, key)
        if not text:
            return None
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return Decimal(str(cell))
        digits = text.replace(" ", "")
        if "," in digits and "." in digits:
            digits = digits.replace(".", "").replace(",", ".")
        elif "," in digits:
            digits = digits.replace(",", ".")
        try:
            value = Decimal(digits)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.error(number, key, _("Not a number: %(value)s") % {"value": text})
            return None
        return value

    # Records named in a cell --------------------------------------------------------------

    def unit(self, number: int, values: dict, key: str, required: bool | None = None):
        """An open org unit by its code. Whether the user may record for it is the
        service's rule (as for the form and the API)."""
        code = self.present(number, values, key, required)
        if not code:
            return None
        if self._units is None:
            self._units = {u.code.lower(): u for u in OrgUnit.objects.all()}
        unit = self._units.get(code.lower())
        if unit is None:
            self.error(number, key, _("No unit has the code %(code)s.") % {"code": code})
        elif not unit.active:
            self.error(number, key, _("This facility is closed."))
            return None
        return unit

    def worker(self, number: int, values: dict, key: str, text: str | None = None):
        """A health worker by UID or practising licence number (as the staff register's
        import matches them), among those the user may see."""
        if text is None:
            text = self.present(number, values, key)
        if not text:
            return None
        found = HealthWorker.objects.filter(uid=text).first() or (
            HealthWorker.objects.filter(licence_number__iexact=text).first()
        )
        if found is None:
            self.error(
                number,
                key,
                _("No health worker has the UID or licence number %(value)s.") % {"value": text},
            )
            return None
        if not HealthWorker.objects.restrict(self.user, "view").filter(pk=found.pk).exists():
            self.error(number, key, _("This health worker is outside your scope."))
            return None
        return found

    def programme(self, number: int, values: dict, key: str):
        """A programme the user may see, by its number (544/CT-SYT) or its UID."""
        text = self.present(number, values, key)
        if not text:
            return None
        visible = Programme.objects.restrict(self.user, "view")
        matches = list(visible.filter(number__iexact=text)[:2]) or list(visible.filter(uid=text))
        if len(matches) > 1:
            self.error(
                number,
                key,
                _("Several programmes have the number %(number)s: write its UID instead.")
                % {"number": text},
            )
            return None
        if not matches:
            self.error(
                number,
                key,
                _("No programme in your scope has the number %(number)s.") % {"number": text},
            )
            return None
        return matches[0]

    # The page ---------------------------------------------------------------------------

    @classmethod
    def column_rows(cls) -> list[dict]:
        return [
            {
                "key": key,
                "label": label,
                "required": key in cls.required,
                "hint": cls.hints.get(key, ""),
            }
            for key, label in cls.columns
        ]

    @classmethod
    def template_response(cls, fmt: str):
        """An empty file with the import's columns, in the active language."""
        labels = [str(label) for _key, label in cls.columns]
        return export_response(
            labels,
            [],
            fmt,
            cls.filename,
            sheet_title=str(cls.sheet_title),
            widths=[max(14, len(label) + 4) for label in labels],
        )


class TemplateImportForm(ImportForm):
    """The facilities' import form, pointing to the template instead of the export."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Use the columns of the template. Nothing is saved if any row is refused."
        )


class ImportView(ScopedViewMixin, TemplateView):
    """The import page: the columns, an empty template (``?template=xlsx`` or ``csv``),
    the upload (``action = "import"``, as for the staff register) and the report."""

    action = "import"
    template_name = "imports/import_page.html"
    importer: type[TabularImport] | None = None
    title = ""
    intro = ""
    list_url = ""
    list_label = ""
    active_nav = ""
    # Related pages, as (URL name, label): the other import of the same app, say.
    see_also: tuple = ()

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("template")
        if fmt in {"xlsx", "csv"}:
            return self.importer.template_response(fmt)
        return self.render_to_response(self.get_context_data(form=TemplateImportForm()))

    def post(self, request, *args, **kwargs):
        form = TemplateImportForm(request.POST, request.FILES)
        report = None
        status = 400
        if form.is_valid():
            importer = self.importer(request.user, dry_run=form.cleaned_data["dry_run"])
            report = importer.run(form.cleaned_data["file"])
            status = 200 if report.ok else 400
        return self.render_to_response(
            self.get_context_data(form=form, report=report), status=status
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title,
            intro=self.intro,
            list_url=reverse(self.list_url),
            list_label=self.list_label,
            import_columns=self.importer.column_rows(),
            see_also=[(reverse(name), label) for name, label in self.see_also],
            active_nav=self.active_nav,
        )
        return ctx
