from django.contrib import admin

from QuickCare.admin import ReadOnlyAdmin, ReadOnlyInline, run_service_action

from . import services
from .models import Actor, Appointment, AppointmentHistory, AppointmentStatus, IdempotencyKey


class AppointmentHistoryInline(ReadOnlyInline):
    """Every change of status, time and check-in, written only by the services (contract section 3)."""

    model = AppointmentHistory
    fields = [
        "at",
        "event",
        "by",
        "by_role",
        "from_status",
        "to_status",
        "from_date",
        "from_time",
        "to_date",
        "to_time",
        "reason",
    ]
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Bookings are made and moved only by the services (the booking rules, APPOINTMENT_MOVES): every field that a
    rule depends on is read-only here, and operators cancel through an action that calls appointment_move."""

    list_display = [
        "id",
        "appointment_date",
        "appointment_time",
        "doctor",
        "patient",
        "clinic",
        "status",
        "mode",
        "fee_charged",
    ]
    list_filter = ["status", "mode", "appointment_type", "appointment_date"]
    search_fields = ["patient__contact", "patient__name", "doctor__user__name", "clinic__name"]
    list_select_related = ["doctor__user", "patient", "clinic"]
    date_hierarchy = "appointment_date"
    readonly_fields = [
        "patient",
        "doctor",
        "clinic",
        "appointment_date",
        "appointment_time",
        "appointment_type",
        "mode",
        "status",
        "fee_charged",
        "cancellation_reason",
        "token_number",
        "checked_in_at",
        "called_at",
        "booked_by",
        "status_changed_by",
        "created_at",
        "updated_at",
    ]
    inlines = [AppointmentHistoryInline]
    actions = ["cancel_as_operator"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel selected appointments (recorded as cancelled by you)")
    def cancel_as_operator(self, request, queryset):
        def cancel(appointment, operator):
            services.appointment_move(
                appointment=appointment,
                to=AppointmentStatus.CANCELLED,
                actor=Actor.OPERATOR,
                reason=f"Cancelled by QuickCare support ({operator.name or operator.contact}).",
                by=operator,
            )

        run_service_action(self, request, queryset, cancel, "appointments cancelled")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """Kept answers of bookings and reschedules sent with an Idempotency-Key: read-only."""

    list_display = ["created_at", "user", "key", "status_code"]
    search_fields = ["user__contact", "key"]
    list_select_related = ["user"]
