from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from doha.users.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Scope"), {"fields": ("role", "org_unit")}))
    list_display = ("username", "last_name", "first_name", "role", "org_unit", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("org_unit",)
