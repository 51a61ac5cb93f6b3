from django.contrib import admin

from QuickCare.admin import ReadOnlyAdmin, ReadOnlyInline, run_service_action

from . import services
from .models import AdmissionDocumentType, Clinic, ClinicMember, ClinicTimeSlot, PatientLookup


class MemberInline(admin.TabularInline):
    """Shown, never edited here: a membership gives a role and a doctor profile (clinic.services)."""

    model = ClinicMember
    fk_name = "clinic"
    extra = 0
    fields = ["user", "member_role", "status", "department", "joined_at", "left_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimeSlotInline(ReadOnlyInline):  # no overlaps: owners set hours through the API (time_slot_save)
    model = ClinicTimeSlot


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic_type", "city", "owner", "phone", "is_active", "created_at"]
    list_filter = ["clinic_type", "is_active", "city"]
    search_fields = ["name", "slug", "city", "registration_number", "owner__contact", "owner__name"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["is_active", "created_at", "updated_at"]  # closing goes through clinic_deactivate
    inlines = [MemberInline, TimeSlotInline]


@admin.register(ClinicMember)
class ClinicMemberAdmin(admin.ModelAdmin):
    """Role, status and the people are read-only: ending a membership goes through member_remove (which gives the
    person their earlier role back); owners add members through the API."""

    list_display = ["user", "clinic", "member_role", "status", "department", "joined_at", "left_at"]
    list_filter = ["member_role", "status"]
    search_fields = ["user__contact", "user__name", "clinic__name"]
    list_select_related = ["user", "clinic"]
    readonly_fields = ["user", "clinic", "member_role", "status", "joined_at", "left_at", "added_by", "created_at"]
    actions = ["end_memberships"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="End selected memberships (the person gets their earlier role back)")
    def end_memberships(self, request, queryset):
        run_service_action(
            self, request, queryset.select_related("user"), lambda m, _: services.member_remove(member=m), "ended"
        )


@admin.register(ClinicTimeSlot)
class ClinicTimeSlotAdmin(ReadOnlyAdmin):
    list_display = [
        "clinic",
        "day_of_week",
        "start_time",
        "end_time",
        "slot_duration_minutes",
        "max_appointments",
        "is_active",
    ]
    list_filter = ["day_of_week", "is_active"]
    search_fields = ["clinic__name"]
    list_select_related = ["clinic"]


@admin.register(PatientLookup)
class PatientLookupAdmin(ReadOnlyAdmin):
    """Append-only: who looked up which patient, kept for the patient (contract 2.2)."""

    list_display = ["looked_up_at", "patient", "looked_up_by", "ip_address"]
    search_fields = ["patient__contact", "looked_up_by__contact"]
    list_select_related = ["patient", "looked_up_by"]


@admin.register(AdmissionDocumentType)
class AdmissionDocumentTypeAdmin(admin.ModelAdmin):
    """A clinic's admission checklist (contract 2.6); no rule hangs on it beyond its clinic."""

    list_display = ["name", "clinic", "is_mandatory", "is_active"]
    list_filter = ["is_mandatory", "is_active"]
    search_fields = ["name", "clinic__name"]
    list_select_related = ["clinic"]
