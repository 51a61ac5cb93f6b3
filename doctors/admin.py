from django.contrib import admin

from QuickCare.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import DoctorAvailability, DoctorLeave, DoctorProfile


# Windows and leaves carry the scheduling rules (no overlaps, membership, booked patients): doctors set them through
# the API (doctors.services); the admin shows them.
class AvailabilityInline(ReadOnlyInline):
    model = DoctorAvailability


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "specialty", "experience_years", "first_visit_fee", "offers_video_consultation"]
    list_filter = ["specialty", "offers_video_consultation"]
    search_fields = ["user__name", "user__contact", "registration_number"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["listed_at"]  # set only by the doctor's own first profile save
    inlines = [AvailabilityInline]


@admin.register(DoctorAvailability)
class DoctorAvailabilityAdmin(ReadOnlyAdmin):
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


@admin.register(DoctorLeave)
class DoctorLeaveAdmin(ReadOnlyAdmin):
    list_display = ["doctor", "clinic", "start_date", "end_date", "reason"]
    search_fields = ["doctor__user__name"]
    list_select_related = ["doctor__user", "clinic"]
