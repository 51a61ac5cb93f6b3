from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError

from QuickCare.exceptions import Conflict
from users.models import User
from users.services import member_account_complete

from .models import DoctorAvailability, DoctorLeave, DoctorProfile
from .selectors import active_doctor_memberships, doctor_profile_of


def _require_membership(*, doctor: DoctorProfile, clinic) -> None:
    if not active_doctor_memberships().filter(user_id=doctor.user_id, clinic=clinic).exists():
        raise PermissionDenied("You can only set hours at a clinic where you are an active doctor.")


def _the_only_clinic(doctor: DoctorProfile):
    """A new window without `clinic` (contract row 1.5): the doctor's one clinic, or a 400 naming the choices."""
    clinics = [m.clinic for m in active_doctor_memberships().filter(user_id=doctor.user_id).select_related("clinic")]
    if len(clinics) == 1:
        return clinics[0]
    if not clinics:
        raise PermissionDenied("You can only set hours at a clinic where you are an active doctor.")
    choices = ", ".join(f"{c.name} ({c.pk})" for c in clinics)
    raise ValidationError({"clinic": [f"You work at several clinics; say which one: {choices}."]})


@transaction.atomic
def availability_save(*, doctor: DoctorProfile, window: DoctorAvailability | None = None, **fields):
    """Create or change a weekly window. A doctor is in one place at a time: windows of the same doctor on the
    same day may not overlap, at any clinic."""
    DoctorProfile.objects.select_for_update().get(pk=doctor.pk)  # serialise a doctor's window writes
    if window is None and fields.get("clinic") is None:
        fields["clinic"] = _the_only_clinic(doctor)
    window = window or DoctorAvailability(doctor=doctor)
    for field, value in fields.items():
        setattr(window, field, value)
    if "clinic" in fields:
        _require_membership(doctor=doctor, clinic=window.clinic)
    if window.is_active:
        clash = (
            doctor.availability.filter(
                is_active=True, day=window.day, start_time__lt=window.end_time, end_time__gt=window.start_time
            )
            .exclude(pk=window.pk)
            .select_related("clinic")
            .first()
        )
        if clash:
            raise Conflict(
                f"This overlaps your {clash.day} hours {clash.start_time:%H:%M}-{clash.end_time:%H:%M}"
                f" at {clash.clinic.name}."
            )
    window.save()
    return window


def availability_deactivate(*, window: DoctorAvailability) -> None:
    window.is_active = False
    window.save(update_fields=["is_active"])


@transaction.atomic
def leave_create(*, doctor: DoctorProfile, clinic=None, cancel_appointments: bool = False, **fields) -> DoctorLeave:
    """A leave over booked appointments is refused (409, listing them) unless they are to be cancelled. It takes
    the doctor row lock that every booking takes, so a booking and a leave for the same day cannot both succeed."""
    from appointments.services import appointments_release  # appointments stands on doctors: looked up lazily

    DoctorProfile.objects.select_for_update().get(pk=doctor.pk)
    if clinic is not None:
        _require_membership(doctor=doctor, clinic=clinic)
    held = doctor.appointments.filter(appointment_date__range=(fields["start_date"], fields["end_date"]))
    if clinic is not None:
        held = held.filter(clinic=clinic)
    appointments_release(
        appointments=held,
        cancel=cancel_appointments,
        reason="The doctor is on leave.",
        what="this leave",
        by=doctor.user,
    )
    return DoctorLeave.objects.create(doctor=doctor, clinic=clinic, **fields)


@transaction.atomic
def doctor_profile_update(*, profile: DoctorProfile, **fields) -> DoctorProfile:
    """The doctor's own edit of their profile. The first save that leaves a specialty publishes them (contract
    2.0): only the doctor, never the owner who added them, puts them in the directory."""
    for field, value in fields.items():
        setattr(profile, field, value)
    if profile.listed_at is None and profile.specialty:
        profile.listed_at = timezone.now()
    profile.save()
    return profile


DOCTOR_ONBOARDING_FIELDS = ("specialty", "qualification", "experience_years", "registration_number")


@transaction.atomic
def member_onboarding_complete(*, user: User, data: dict) -> User:
    """Staff added without an account finish it (contract 2.1): the account's part (users.services), and for a
    doctor their own profile, which is also what lists them in the directory (doctor_profile_update)."""
    doctor_fields = {field: data.pop(field) for field in DOCTOR_ONBOARDING_FIELDS if field in data}
    user = member_account_complete(user=user, data=data)
    profile = doctor_profile_of(user)
    if doctor_fields and profile is not None:
        doctor_profile_update(profile=profile, **doctor_fields)
    return user
