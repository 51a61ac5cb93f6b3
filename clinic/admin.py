from django.contrib import admin

from .models import Clinic, ClinicMember, ClinicTimeSlot


class MemberInline(admin.TabularInline):
    model = ClinicMember
    fk_name = "clinic"
    extra = 0
    raw_id_fields = ["user", "added_by"]


class TimeSlotInline(admin.TabularInline):
    model = ClinicTimeSlot
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic_type", "city", "owner", "phone", "is_active", "created_at"]
    list_filter = ["clinic_type", "is_active", "city"]
    search_fields = ["name", "slug", "city", "registration_number", "owner__contact", "owner__name"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MemberInline, TimeSlotInline]


@admin.register(ClinicMember)
class ClinicMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "clinic", "member_role", "status", "department", "joined_at", "left_at"]
    list_filter = ["member_role", "status"]
    search_fields = ["user__contact", "user__name", "clinic__name"]
    list_select_related = ["user", "clinic"]
    raw_id_fields = ["user", "clinic", "added_by"]


@admin.register(ClinicTimeSlot)
class ClinicTimeSlotAdmin(admin.ModelAdmin):
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
