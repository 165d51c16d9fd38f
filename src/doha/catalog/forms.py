from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from doha.catalog.models import FacilityCapability, Specialty, Technique
from doha.catalog.services import FIRST_YEAR, facilities_for

DATE_WIDGET = {"type": "date"}
# The technique picker lists this many matches; the search box above it narrows them.
TECHNIQUE_OPTIONS = 100


def technique_options(query: str = "", selected: Technique | None = None) -> list[Technique]:
    qs = Technique.objects.filter(active=True).select_related("specialty")
    if query:
        qs = qs.search(query)
    options = list(qs.order_by("specialty__order", "code")[:TECHNIQUE_OPTIONS])
    if selected is not None and selected not in options:
        options.insert(0, selected)
    return options


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class TechniqueForm(forms.ModelForm):
    class Meta:
        model = Technique
        fields = [
            "code",
            "name",
            "specialty",
            "allowed_initial",
            "allowed_basic",
            "allowed_specialised",
            "is_official",
            "source",
            "active",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(active=True)


class CapabilityForm(forms.ModelForm):
    """Add a technique to a facility's register."""

    facility = FacilityChoiceField(label=_("Facility"), queryset=None)
    technique = forms.ModelChoiceField(
        label=_("Technique"),
        queryset=Technique.objects.filter(active=True),
        help_text=_("Type a few words of the name or the code in the search box to find it."),
    )

    class Meta:
        model = FacilityCapability
        fields = ["facility", "technique", "since", "acquisition", "note"]
        widgets = {"since": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, technique_query="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities_for(user, "add")
        selected = None
        value = self.data.get("technique") if self.is_bound else self.initial.get("technique")
        if value:
            selected = Technique.objects.filter(pk=getattr(value, "pk", value)).first()
        self.fields["technique"].widget.choices = [("", "---------")] + [
            (t.pk, str(t)) for t in technique_options(technique_query, selected)
        ]


class CapabilityEditForm(forms.ModelForm):
    class Meta:
        model = FacilityCapability
        fields = ["since", "acquisition", "note"]
        widgets = {"since": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class RetireForm(forms.Form):
    date = forms.DateField(
        label=_("Stopped performing on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )


class VolumeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR)
    cases = forms.IntegerField(label=_("Cases performed"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["year"].max_value = timezone.localdate().year


class TechniqueImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        help_text=_(
            "A technique list in the ministry's layout (STT, Tên kỹ thuật, A B C D) or in the "
            "layout of the export. Nothing is saved if any row is refused."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("The list the file comes from, e.g. Thông tư 43/2013/TT-BYT."),
    )
    official = forms.BooleanField(
        label=_("The codes are the ministry's"),
        required=False,
        initial=True,
        help_text=_("Untick for a list with codes made up locally (a column may say it per row)."),
    )
    specialty = forms.ModelChoiceField(
        label=_("Specialty of rows before any chapter heading"),
        queryset=Specialty.objects.all(),
        required=False,
    )
    dry_run = forms.BooleanField(label=_("Check only, do not save"), required=False)

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not (name.endswith(".xlsx") or name.endswith(".csv")):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        if f.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return f
