from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["patient", "doctor", "clinic"]
    date_hierarchy = "appointment_date"
