"""Shared admin building blocks. Rule-bearing fields are never edited in the admin: they change only through admin
actions that call the same services as the API, with the operator recorded."""

from django.contrib import admin, messages
from rest_framework.exceptions import APIException


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators read these rows; no add, change or delete (audit logs, consents, pending challenges)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def run_service_action(modeladmin, request, queryset, service, done: str) -> None:
    """Call `service(obj, operator)` for each selected row; a refusal (the service's own 4xx) is reported, not
    forced through."""
    changed, refused = 0, []
    for obj in queryset:
        try:
            service(obj, request.user)
            changed += 1
        except APIException as exc:
            refused.append(f"{obj}: {exc.detail}")
    if changed:
        modeladmin.message_user(request, f"{changed} {done}.", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.WARNING)
