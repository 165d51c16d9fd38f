"""Django admin of the aggregate app: a system administrator's view of the metadata and the
stored values. Day-to-day metadata work happens on the /statistics/ pages; values are entered
and imported there too (the admin is read-only for them)."""

from django.contrib import admin

from doha.aggregate.models import (
    Category,
    CategoryCombo,
    CategoryComboMembership,
    CategoryMembership,
    CategoryOption,
    CategoryOptionCombo,
    CompleteRegistration,
    DataElement,
    DataSet,
    DataSetElement,
    DataValue,
    DataValueAudit,
)


class MetadataAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "uid")
    search_fields = ("name", "code", "uid")
    readonly_fields = ("created", "last_updated")


class CategoryMembershipInline(admin.TabularInline):
    model = CategoryMembership
    extra = 0
    autocomplete_fields = ("option",)


class CategoryComboMembershipInline(admin.TabularInline):
    model = CategoryComboMembership
    extra = 0
    autocomplete_fields = ("category",)


class DataSetElementInline(admin.TabularInline):
    model = DataSetElement
    extra = 0
    autocomplete_fields = ("data_element", "category_combo")


@admin.register(CategoryOption)
class CategoryOptionAdmin(MetadataAdmin):
    pass


@admin.register(Category)
class CategoryAdmin(MetadataAdmin):
    inlines = [CategoryMembershipInline]


@admin.register(CategoryCombo)
class CategoryComboAdmin(MetadataAdmin):
    inlines = [CategoryComboMembershipInline]
    list_display = ("name", "code", "uid", "data_dimension_type")


@admin.register(CategoryOptionCombo)
class CategoryOptionComboAdmin(MetadataAdmin):
    list_display = ("name", "category_combo", "code", "uid")
    list_filter = ("category_combo",)
    readonly_fields = ("category_combo", "created", "last_updated")
    filter_horizontal = ("options",)


@admin.register(DataElement)
class DataElementAdmin(MetadataAdmin):
    list_display = ("name", "code", "uid", "value_type", "aggregation_type", "category_combo")
    list_filter = ("value_type", "aggregation_type", "source", "category_combo")
    autocomplete_fields = ("category_combo",)


@admin.register(DataSet)
class DataSetAdmin(MetadataAdmin):
    list_display = ("name", "code", "uid", "period_type")
    inlines = [DataSetElementInline]
    raw_id_fields = ("org_units",)
    autocomplete_fields = ("category_combo",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Values change through entry, import and the API only, where they are audited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataValue)
class DataValueAdmin(ReadOnlyAdmin):
    list_display = (
        "data_element",
        "period",
        "org_unit",
        "category_option_combo",
        "value",
        "deleted",
        "last_updated",
    )
    list_filter = ("deleted", "period_type")
    search_fields = ("period", "org_unit__name", "org_unit__code", "data_element__code")
    list_select_related = ("data_element", "org_unit", "category_option_combo")
    raw_id_fields = ("org_unit",)


@admin.register(DataValueAudit)
class DataValueAuditAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "audit_type",
        "data_element",
        "period",
        "org_unit",
        "previous_value",
        "value",
        "modified_by",
    )
    list_filter = ("audit_type",)
    list_select_related = ("data_element", "org_unit")


@admin.register(CompleteRegistration)
class CompleteRegistrationAdmin(ReadOnlyAdmin):
    list_display = ("data_set", "period", "org_unit", "completed", "date", "stored_by")
    list_filter = ("completed", "data_set")
    list_select_related = ("data_set", "org_unit")
