from django.contrib import admin

from doha.catalog.models import CapabilityVolume, FacilityCapability, Specialty, Technique


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order", "is_official", "active"]
    search_fields = ["code", "name"]


@admin.register(Technique)
class TechniqueAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "specialty", "is_official", "active"]
    list_filter = ["specialty", "is_official", "active"]
    search_fields = ["code", "search_text"]


class VolumeInline(admin.TabularInline):
    model = CapabilityVolume
    extra = 0


@admin.register(FacilityCapability)
class FacilityCapabilityAdmin(admin.ModelAdmin):
    list_display = ["facility", "technique", "since", "acquisition", "active"]
    list_filter = ["acquisition", "active"]
    raw_id_fields = ["facility", "technique"]
    inlines = [VolumeInline]
