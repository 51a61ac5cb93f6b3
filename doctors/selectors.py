"""Reads with rules: which doctors the public sees, and which of their weekly windows are bookable."""

from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, When

from clinic.models import ClinicMember, MemberRole, MemberStatus

from .models import DoctorAvailability, DoctorProfile, Weekday

# Weekday names sort alphabetically; this puts Monday first.
DAY_ORDER = Case(*[When(day=day, then=i) for i, day in enumerate(Weekday.values)])


def active_doctor_memberships() -> QuerySet[ClinicMember]:
    """Memberships that make a doctor bookable: active, as a doctor, at an active clinic."""
    return ClinicMember.objects.filter(
        status=MemberStatus.ACTIVE, member_role=MemberRole.DOCTOR, clinic__is_active=True
    )


def listed_doctors() -> QuerySet[DoctorProfile]:
    """Doctors the public may see: active members of at least one active clinic, with those clinics prefetched."""
    return (
        DoctorProfile.objects.filter(Exists(active_doctor_memberships().filter(user_id=OuterRef("user_id"))))
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__clinic_memberships",
                queryset=active_doctor_memberships().select_related("clinic").order_by("joined_at"),
                to_attr="active_clinics",
            )
        )
        .order_by("id")
    )


def bookable_windows(*, doctor: DoctorProfile) -> QuerySet[DoctorAvailability]:
    """A window counts only while it is active and its doctor is an active member of its (active) clinic."""
    membership = active_doctor_memberships().filter(user_id=doctor.user_id, clinic_id=OuterRef("clinic_id"))
    return doctor.availability.filter(Exists(membership), is_active=True)
