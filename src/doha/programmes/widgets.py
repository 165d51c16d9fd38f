"""A select whose options come from an accent-insensitive search (htmx), for long lists
(the technique catalogue, every facility of the network): only the chosen option is
rendered; typing in the search box loads the matches into the select."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SearchSelect(forms.Select):
    template_name = "programmes/widgets/search_select.html"

    def __init__(self, lookup: str, attrs=None, placeholder=None):
        super().__init__(attrs)
        self.lookup = lookup
        self.placeholder = placeholder or _("Type to search…")

    def optgroups(self, name, value, attrs=None):
        values = {str(v) for v in value if v not in (None, "")}
        choices = [("", "---------")]
        iterator = self.choices
        if values and hasattr(iterator, "queryset"):
            objects = iterator.queryset.filter(pk__in=[v for v in values if v.isdigit()])
            choices += [iterator.choice(obj) for obj in objects]
        groups = []
        for index, (option_value, label) in enumerate(choices):
            selected = str(option_value) in values
            option = self.create_option(name, option_value, label, selected, index, attrs=attrs)
            groups.append((None, [option], index))
        return groups

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = reverse(self.lookup)
        context["widget"]["placeholder"] = self.placeholder
        return context
