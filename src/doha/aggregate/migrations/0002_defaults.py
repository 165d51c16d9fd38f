from django.db import migrations

DEFAULTS = {
    "option": "xYerKDKCefk",
    "category": "GLevLNI9wkl",
    "combo": "bjDvmb4bfuf",
    "coc": "HllvX50cXC0",
}


def create_defaults(apps, schema_editor):
    """DHIS2's "default" category objects, with the UIDs every DHIS2 client knows."""
    CategoryOption = apps.get_model("aggregate", "CategoryOption")
    Category = apps.get_model("aggregate", "Category")
    CategoryMembership = apps.get_model("aggregate", "CategoryMembership")
    CategoryCombo = apps.get_model("aggregate", "CategoryCombo")
    CategoryComboMembership = apps.get_model("aggregate", "CategoryComboMembership")
    CategoryOptionCombo = apps.get_model("aggregate", "CategoryOptionCombo")
    names = {"name": "default", "code": "default", "short_name": "default"}
    option, _ = CategoryOption.objects.get_or_create(uid=DEFAULTS["option"], defaults=names)
    category, _ = Category.objects.get_or_create(uid=DEFAULTS["category"], defaults=names)
    CategoryMembership.objects.get_or_create(category=category, option=option)
    combo, _ = CategoryCombo.objects.get_or_create(uid=DEFAULTS["combo"], defaults=names)
    CategoryComboMembership.objects.get_or_create(combo=combo, category=category)
    coc, created = CategoryOptionCombo.objects.get_or_create(
        uid=DEFAULTS["coc"],
        defaults={"name": "default", "code": "default", "category_combo": combo},
    )
    if created:
        coc.options.add(option)


class Migration(migrations.Migration):
    dependencies = [("aggregate", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
