from django.contrib import admin

from doha.rotations.models import Rotation


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    list_display = ["worker", "kind", "from_facility", "to_facility", "start", "end", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["worker", "from_facility", "to_facility", "programme"]
    filter_horizontal = ["techniques"]
