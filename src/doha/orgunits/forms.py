from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.core.tabular import date_range_error
from doha.orgunits.models import AdminEdition, AdminUnit, OrgUnit


class AdminUnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


def admin_unit_queryset(user):
    """Post-2025 provinces and communes; limited to the user's province when it has one."""
    qs = AdminUnit.objects.filter(edition=AdminEdition.CURRENT).select_related("parent")
    root = getattr(user, "scope_root", None)
    if not user.is_system_admin and root is not None and root.admin_unit_id:
        qs = qs.filter(province_code=root.admin_unit.province_code)
    return qs.order_by("level", "name")


class OrgUnitForm(forms.ModelForm):
    admin_unit = AdminUnitChoiceField(
        label=_("Administrative unit"), queryset=AdminUnit.objects.none(), required=False
    )

    class Meta:
        model = OrgUnit
        fields = [
            "code",
            "name",
            "short_name",
            "facility_type",
            "technical_level",
            "former_level",
            "parent",
            "admin_unit",
            "address",
            "opening_date",
        ]
        widgets = {"opening_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["admin_unit"].queryset = admin_unit_queryset(user)
        parents = OrgUnit.objects.restrict(user, "view").filter(active=True)
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
            # Moving is its own form: it asks for the date the move takes effect.
            del self.fields["parent"]
        else:
            self.fields["parent"].queryset = parents
            self.fields["parent"].required = not user.is_system_admin

    # The model's own rules may name a field this form does not show (the closing date is
    # set by retiring, the parent by moving): put the error on the field the user changed,
    # else on the form, instead of failing with "has no field named ...".
    hidden_field_errors = {"closing_date": "opening_date"}

    def add_error(self, field, error):
        if field is None and hasattr(error, "error_dict"):
            errors = {}
            for name, messages in error.error_dict.items():
                if name != NON_FIELD_ERRORS and name not in self.fields:
                    name = self.hidden_field_errors.get(name, NON_FIELD_ERRORS)
                errors.setdefault(name, []).extend(messages)
            error = ValidationError(errors)
        super().add_error(field, error)

    def clean_opening_date(self):
        value = self.cleaned_data.get("opening_date")
        problem = date_range_error(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is None and not self.user.is_system_admin:
            raise forms.ValidationError(_("Choose the unit this facility belongs to."))
        return parent


class MoveForm(forms.Form):
    parent = forms.ModelChoiceField(label=_("New parent unit"), queryset=OrgUnit.objects.none())
    date = forms.DateField(
        label=_("Effective from"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, unit=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            OrgUnit.objects.restrict(user, "change")
            .filter(active=True)
            .exclude(path__startswith=unit.path)
        )


class RetireForm(forms.Form):
    date = forms.DateField(
        label=_("Closing date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        help_text=_("Columns as in the export. Nothing is saved if any row is refused."),
    )
    dry_run = forms.BooleanField(label=_("Check only, do not save"), required=False)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        if f.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return f
