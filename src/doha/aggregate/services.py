"""Metadata services: the default category objects and the option combos of a combo."""

import itertools

from django.db import transaction

from doha.aggregate.models import (
    DEFAULT_CATEGORY_COMBO_UID,
    DEFAULT_CATEGORY_OPTION_UID,
    DEFAULT_CATEGORY_UID,
    DEFAULT_NAME,
    DEFAULT_OPTION_COMBO_UID,
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
)


@transaction.atomic
def ensure_defaults() -> CategoryOptionCombo:
    """The "default" option, category, combo and option combo, with DHIS2's UIDs."""
    option, _ = CategoryOption.objects.get_or_create(
        uid=DEFAULT_CATEGORY_OPTION_UID,
        defaults={"name": DEFAULT_NAME, "code": DEFAULT_NAME, "short_name": DEFAULT_NAME},
    )
    category, _ = Category.objects.get_or_create(
        uid=DEFAULT_CATEGORY_UID,
        defaults={"name": DEFAULT_NAME, "code": DEFAULT_NAME, "short_name": DEFAULT_NAME},
    )
    CategoryMembership.objects.get_or_create(category=category, option=option)
    combo, _ = CategoryCombo.objects.get_or_create(
        uid=DEFAULT_CATEGORY_COMBO_UID,
        defaults={"name": DEFAULT_NAME, "code": DEFAULT_NAME, "short_name": DEFAULT_NAME},
    )
    CategoryComboMembership.objects.get_or_create(combo=combo, category=category)
    coc, created = CategoryOptionCombo.objects.get_or_create(
        uid=DEFAULT_OPTION_COMBO_UID,
        defaults={"name": DEFAULT_NAME, "code": DEFAULT_NAME, "category_combo": combo},
    )
    if created:
        coc.options.add(option)
    return coc


def default_combo() -> CategoryCombo:
    ensure_defaults()
    return CategoryCombo.objects.get(uid=DEFAULT_CATEGORY_COMBO_UID)


def default_option_combo() -> CategoryOptionCombo:
    """The default option combo: one query when it exists (it always does after the first
    migration's data or the first call), created with its category objects otherwise."""
    coc = CategoryOptionCombo.objects.filter(uid=DEFAULT_OPTION_COMBO_UID).first()
    return coc if coc is not None else ensure_defaults()


@transaction.atomic
def generate_option_combos(combo: CategoryCombo) -> list[CategoryOptionCombo]:
    """One option combo per cell of the categories' cartesian product, named "A, B" in
    category order. Existing combos are kept (their UIDs are in other systems' data)."""
    categories = combo.ordered_categories()
    existing = {
        frozenset(c.options.values_list("pk", flat=True)): c
        for c in combo.option_combos.prefetch_related("options")
    }
    result = []
    for order, options in enumerate(
        itertools.product(*[category.ordered_options() for category in categories])
    ):
        key = frozenset(o.pk for o in options)
        coc = existing.get(key)
        name = ", ".join(o.name for o in options)
        if coc is None:
            coc = CategoryOptionCombo.objects.create(
                category_combo=combo, name=name, sort_order=order
            )
            coc.options.set(options)
        elif coc.name != name or coc.sort_order != order:
            coc.name, coc.sort_order = name, order
            coc.save(update_fields=["name", "sort_order", "last_updated"])
        result.append(coc)
    return result
