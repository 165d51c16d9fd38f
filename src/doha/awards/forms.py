from django import forms
from django.utils.translation import gettext_lazy as _

from doha.awards.models import Award
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.programmes.models import Programme


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.position or obj.get_profession_display()} · {obj.facility}"


class AwardForm(forms.ModelForm):
    issuer = UnitChoiceField(label=_("Issuer"), queryset=OrgUnit.objects.none(), required=False)
    recipient_unit = UnitChoiceField(
        label=_("Recipient unit"), queryset=OrgUnit.objects.none(), required=False
    )
    recipient_person = PersonChoiceField(
        label=_("Recipient person"), queryset=HealthWorker.objects.none(), required=False
    )

    class Meta:
        model = Award
        fields = [
            "kind",
            "decision_number",
            "decision_date",
            "issuer",
            "issuer_name",
            "recipient_unit",
            "recipient_person",
            "recipient_name",
            "reason",
            "programme",
        ]
        widgets = {
            "decision_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = OrgUnit.objects.filter(active=True).order_by("sort_name")
        self.fields["issuer"].queryset = units
        self.fields["recipient_unit"].queryset = units
        self.fields["recipient_person"].queryset = (
            HealthWorker.objects.restrict(user, "view")
            .select_related("facility")
            .order_by("sort_name")
        )
        self.fields["programme"].queryset = Programme.objects.restrict(user, "view").order_by(
            "-start_date"
        )

    def _post_clean(self):
        # The service checks the model's rules (and names the fields); only build it here.
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields)
