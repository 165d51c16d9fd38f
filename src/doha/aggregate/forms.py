"""Forms of the statistics metadata pages: data elements, data sets (and their facilities),
categories, category combinations, indicators and validation rules.

Indicator and validation-rule expressions are checked by ``doha.analytics.expressions.validate``
(syntax, data elements, option combos and constants that exist).
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.aggregate.metadata import combo_has_data
from doha.aggregate.models import (
    DEFAULT_CATEGORY_COMBO_UID,
    DEFAULT_CATEGORY_OPTION_UID,
    DEFAULT_CATEGORY_UID,
    Category,
    CategoryCombo,
    CategoryOption,
    DataDimensionType,
    DataElement,
    DataElementSource,
    DataSet,
    DataValue,
)
from doha.analytics.expressions import validate as validate_expression
from doha.analytics.models import Indicator, IndicatorType, ValidationRule
from doha.orgunits.models import FacilityType, OrgUnit

# The activity figures that fill computed data elements (see doha.aggregate.activities).
ACTIVITY_FIGURES = (
    "transfers_accepted",
    "rotation_staff",
    "people_trained",
    "consultations",
    "donation_value",
)


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class NamedMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})" if obj.code else obj.name


class MetadataForm(forms.ModelForm):
    """The base of every metadata form: ``user`` is accepted (ObjectFormView passes it)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


def check_expression(value):
    errors = validate_expression(value)
    if errors:
        raise forms.ValidationError(errors)
    return value


class DataElementForm(MetadataForm):
    category_combo = NamedChoiceField(
        label=gettext_lazy("Disaggregation"), queryset=CategoryCombo.objects.none()
    )

    class Meta:
        model = DataElement
        fields = [
            "name",
            "short_name",
            "form_name",
            "code",
            "description",
            "value_type",
            "aggregation_type",
            "category_combo",
            "zero_is_significant",
            "source",
            "computed_from",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_combo"].queryset = CategoryCombo.objects.filter(
            data_dimension_type=DataDimensionType.DISAGGREGATION
        ).order_by("name")
        if not self.instance.pk:
            self.initial.setdefault(
                "category_combo",
                CategoryCombo.objects.filter(uid=DEFAULT_CATEGORY_COMBO_UID).first(),
            )
        self.fields["computed_from"].help_text = _("For computed elements, one of: %(keys)s.") % {
            "keys": ", ".join(ACTIVITY_FIGURES)
        }

    def clean(self):
        data = super().clean()
        source = data.get("source")
        computed_from = (data.get("computed_from") or "").strip()
        if source == DataElementSource.COMPUTED:
            if computed_from not in ACTIVITY_FIGURES:
                self.add_error(
                    "computed_from",
                    _("Name the activity figure that fills it: %(keys)s.")
                    % {"keys": ", ".join(ACTIVITY_FIGURES)},
                )
        elif computed_from:
            self.add_error(
                "computed_from", _("Only a computed data element is filled from activities.")
            )
        instance = self.instance
        if instance.pk and DataValue.objects.filter(data_element=instance).exists():
            stored = DataElement.objects.get(pk=instance.pk)
            combo = data.get("category_combo")
            if combo is not None and combo.pk != stored.category_combo_id:
                self.add_error(
                    "category_combo",
                    _("Data values are stored for this element: its disaggregation cannot change."),
                )
            if data.get("value_type") and data["value_type"] != stored.value_type:
                self.add_error(
                    "value_type",
                    _("Data values are stored for this element: its value type cannot change."),
                )
        return data


class DataSetForm(MetadataForm):
    category_combo = NamedChoiceField(
        label=gettext_lazy("Attribute combination"), queryset=CategoryCombo.objects.none()
    )
    elements = NamedMultipleChoiceField(
        label=gettext_lazy("Data elements"),
        queryset=DataElement.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("New elements go at the end of the form, without a section."),
    )

    class Meta:
        model = DataSet
        fields = [
            "name",
            "short_name",
            "code",
            "description",
            "period_type",
            "category_combo",
            "open_future_periods",
            "expiry_days",
            "timely_days",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_combo"].queryset = CategoryCombo.objects.filter(
            Q(data_dimension_type=DataDimensionType.ATTRIBUTE) | Q(uid=DEFAULT_CATEGORY_COMBO_UID)
        ).order_by("name")
        self.fields["elements"].queryset = DataElement.objects.order_by("name")
        if self.instance.pk:
            self.initial.setdefault(
                "elements", list(self.instance.data_elements.values_list("pk", flat=True))
            )
        else:
            self.initial.setdefault(
                "category_combo",
                CategoryCombo.objects.filter(uid=DEFAULT_CATEGORY_COMBO_UID).first(),
            )


class DataSetUnitsForm(forms.Form):
    ASSIGN, REMOVE = "assign", "remove"

    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=OrgUnit.objects.none(),
        to_field_name="uid",
        help_text=gettext_lazy("The top of the subtree to assign or remove."),
    )
    include_below = forms.BooleanField(
        label=gettext_lazy("With every unit below it"), required=False, initial=True
    )
    facility_types = forms.MultipleChoiceField(
        label=gettext_lazy("Only these types"),
        choices=FacilityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave empty for every type."),
    )
    operation = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[
            (ASSIGN, gettext_lazy("Assign to the data set")),
            (REMOVE, gettext_lazy("Remove from the data set")),
        ],
        initial=ASSIGN,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "view").order_by("path")
        self.fields["org_unit"].label_from_instance = lambda u: (
            "\u2003" * max(u.depth - 1, 0) + u.name
        )


class CategoryForm(MetadataForm):
    options = NamedMultipleChoiceField(
        label=gettext_lazy("Options"),
        queryset=CategoryOption.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_options = forms.CharField(
        label=gettext_lazy("New options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: a name, or CODE | name."),
    )

    class Meta:
        model = Category
        fields = ["name", "short_name", "code", "description", "data_dimension_type"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options"].queryset = CategoryOption.objects.exclude(
            uid=DEFAULT_CATEGORY_OPTION_UID
        ).order_by("pk")
        if self.instance.pk:
            self.initial.setdefault(
                "options", [m.option_id for m in self.instance.memberships.all()]
            )

    def clean_new_options(self):
        specs, seen = [], set()
        for number, line in enumerate((self.cleaned_data.get("new_options") or "").splitlines()):
            line = line.strip()
            if not line:
                continue
            code, _sep, name = line.rpartition("|")
            code, name = code.strip(), name.strip()
            if not name:
                raise forms.ValidationError(
                    _("Line %(n)s: write a name after the |.") % {"n": number + 1}
                )
            if name in seen:
                raise forms.ValidationError(
                    _("Line %(n)s: %(name)s is written twice.") % {"n": number + 1, "name": name}
                )
            seen.add(name)
            specs.append((code, name))
        return specs

    def clean(self):
        data = super().clean()
        if self.instance.uid == DEFAULT_CATEGORY_UID:
            raise forms.ValidationError(_("The default category cannot be edited."))
        if not data.get("options") and not data.get("new_options"):
            self.add_error("options", _("A category needs at least one option."))
        return data


class CategoryComboForm(MetadataForm):
    categories = NamedMultipleChoiceField(
        label=gettext_lazy("Categories"),
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The option combinations are generated: one for each cell of the categories' "
            "product, named in category order."
        ),
    )

    class Meta:
        model = CategoryCombo
        fields = ["name", "short_name", "code", "description", "data_dimension_type"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.exclude(
            uid=DEFAULT_CATEGORY_UID
        ).order_by("pk")
        if self.instance.pk:
            self.initial.setdefault(
                "categories", [m.category_id for m in self.instance.category_memberships.all()]
            )
            if combo_has_data(self.instance):
                self.fields["categories"].disabled = True
                self.fields["categories"].help_text = _(
                    "Data values are stored under this combination: its categories cannot change."
                )

    def clean(self):
        data = super().clean()
        if self.instance.is_default:
            raise forms.ValidationError(_("The default combination cannot be edited."))
        return data


class IndicatorForm(MetadataForm):
    indicator_type = NamedChoiceField(
        label=gettext_lazy("Indicator type"), queryset=IndicatorType.objects.none()
    )

    class Meta:
        model = Indicator
        fields = [
            "name",
            "short_name",
            "code",
            "description",
            "indicator_type",
            "numerator",
            "numerator_description",
            "denominator",
            "denominator_description",
            "decimals",
            "annualized",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "numerator": forms.Textarea(attrs={"rows": 2}),
            "denominator": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "numerator": gettext_lazy(
                "DHIS2 syntax: #{dataElementUid}, #{dataElementUid.optionComboUid}, "
                "C{constantUid}, numbers and + - * / ( )."
            ),
            "denominator": gettext_lazy("1 when the indicator is a plain number."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator_type"].queryset = IndicatorType.objects.order_by("factor", "name")

    def clean_numerator(self):
        return check_expression(self.cleaned_data["numerator"])

    def clean_denominator(self):
        return check_expression(self.cleaned_data["denominator"])


class ValidationRuleForm(MetadataForm):
    class Meta:
        model = ValidationRule
        fields = [
            "name",
            "code",
            "description",
            "instruction",
            "importance",
            "period_type",
            "left_side",
            "left_side_description",
            "left_missing_value_strategy",
            "operator",
            "right_side",
            "right_side_description",
            "right_missing_value_strategy",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "left_side": forms.Textarea(attrs={"rows": 2}),
            "right_side": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_left_side(self):
        return check_expression(self.cleaned_data["left_side"])

    def clean_right_side(self):
        return check_expression(self.cleaned_data["right_side"])
