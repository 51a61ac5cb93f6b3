from django.contrib import admin

from .models import DoctorAvailability, DoctorLeave, DoctorProfile


class AvailabilityInline(admin.TabularInline):
    model = DoctorAvailability
    extra = 0
    raw_id_fields = ["clinic"]


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "specialty", "experience_years", "first_visit_fee", "offers_video_consultation"]
    list_filter = ["specialty", "offers_video_consultation"]
    search_fields = ["user__name", "user__contact", "registration_number"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [AvailabilityInline]


@admin.register(DoctorAvailability)
class DoctorAvailabilityAdmin(admin.ModelAdmin):
    list_display = [
        "doctor",
        "clinic",
        "day",
        "start_time",
        "end_time",
        "slot_duration_minutes",
        "max_patients",
        "is_active",
    ]
    list_filter = ["day", "is_active"]
    search_fields = ["doctor__user__name", "clinic__name"]
    list_select_related = ["doctor__user", "clinic"]
    raw_id_fields = ["doctor", "clinic"]


@admin.register(DoctorLeave)
class DoctorLeaveAdmin(admin.ModelAdmin):
    list_display = ["doctor", "clinic", "start_date", "end_date", "reason"]
    search_fields = ["doctor__user__name"]
    list_select_related = ["doctor__user", "clinic"]
    raw_id_fields = ["doctor", "clinic"]
