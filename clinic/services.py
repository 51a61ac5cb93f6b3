import logging

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from notifications.models import Kind
from notifications.services import notify, record_sent
from notifications.templates import DLT_TEMPLATE_IDS, ROLES
from QuickCare.exceptions import Conflict
from users.models import RoleId, User
from users.services import member_onboarding_pending, temporary_password_issue
from users.sms import SMSError, get_sms_backend
from users.throttles import ContactThrottle

from .models import Clinic, ClinicMember, ClinicTimeSlot, MemberRole, MemberStatus, PatientLookup
from .selectors import active_memberships

ROLE_FOR_MEMBER = {
    MemberRole.DOCTOR: RoleId.DOCTOR,
    MemberRole.LAB_MEMBER: RoleId.LAB_MEMBER,
    MemberRole.RECEPTIONIST: RoleId.RECEPTIONIST,
}
# A user's single role follows their memberships only while it is one of these; an owner or admin keeps theirs.
ROLES_FOLLOWING_MEMBERSHIP = {RoleId.PATIENT, *ROLE_FOR_MEMBER.values()}
ROLE_PRECEDENCE = [MemberRole.DOCTOR, MemberRole.LAB_MEMBER, MemberRole.RECEPTIONIST]

logger = logging.getLogger("quickcare.clinic")


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "clinic"
    taken = set(Clinic.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _overlap(a, b) -> bool:
    return a["start_time"] < b["end_time"] and b["start_time"] < a["end_time"]


def _check_slot_free(*, clinic: Clinic, slot: dict, exclude_pk=None) -> None:
    clash = (
        ClinicTimeSlot.objects.filter(
            clinic=clinic,
            is_active=True,
            day_of_week=slot["day_of_week"],
            start_time__lt=slot["end_time"],
            end_time__gt=slot["start_time"],
        )
        .exclude(pk=exclude_pk)
        .first()
    )
    if clash:
        raise Conflict(f"This time overlaps the {clash.day_name} slot {clash.start_time:%H:%M}-{clash.end_time:%H:%M}.")


@transaction.atomic
def clinic_create(*, owner: User, time_slots: list[dict] = (), **fields) -> tuple[Clinic, list[ClinicTimeSlot]]:
    for i, slot in enumerate(time_slots):
        for other in time_slots[:i]:
            if slot["day_of_week"] == other["day_of_week"] and _overlap(slot, other):
                raise Conflict(f"time_slots[{i}] overlaps another slot sent for the same day.")
    for attempt in range(3):
        try:
            with transaction.atomic():  # a concurrent clinic of the same name may take the slug first
                clinic = Clinic.objects.create(owner=owner, slug=_unique_slug(fields["name"]), **fields)
            break
        except IntegrityError:
            if attempt == 2:
                raise Conflict("Could not give this clinic a unique address; please retry.") from None
    slots = ClinicTimeSlot.objects.bulk_create([ClinicTimeSlot(clinic=clinic, **slot) for slot in time_slots])
    clinic.member_count = 0
    return clinic, slots


@transaction.atomic
def clinic_onboarding_complete(*, owner: User, time_slots: list[dict] = (), **fields):
    """Clinic-owner step 3: the first clinic and its weekly slots, then the owner's onboarding is complete."""
    owner = User.objects.select_for_update().get(pk=owner.pk)
    if owner.is_complete_onboarding:
        raise Conflict("Onboarding is already complete. Use POST /api/clinics/ to add another clinic.")
    clinic, slots = clinic_create(owner=owner, time_slots=time_slots, **fields)
    owner.is_partial_onboarding, owner.is_complete_onboarding = False, True
    owner.save(update_fields=["is_partial_onboarding", "is_complete_onboarding", "updated_at"])
    return clinic, slots


@transaction.atomic
def clinic_deactivate(*, clinic: Clinic, cancel_appointments: bool = False, by=None) -> None:
    """Closing a clinic with upcoming appointments is refused (409, listing them) unless they are to be cancelled
    (recorded as done by `by`, its owner by default). Its doctors' row locks (the ones bookings take) keep a booking
    from landing while it closes."""
    from appointments.services import appointments_release  # appointments stands on clinic: looked up lazily

    doctors = apps.get_model("doctors", "DoctorProfile").objects.filter(user__clinic_memberships__clinic=clinic)
    list(doctors.select_for_update(of=("self",)).values_list("pk", flat=True))
    appointments_release(
        appointments=clinic.appointments.all(),
        cancel=cancel_appointments,
        reason="The clinic has closed.",
        what="this clinic's calendar",
        by=by or clinic.owner,
    )
    clinic.is_active = False
    clinic.save(update_fields=["is_active", "updated_at"])
    for member in clinic.members.filter(status=MemberStatus.ACTIVE).select_related("user"):
        sync_role(member.user)  # a membership of an inactive clinic no longer gives a role


@transaction.atomic
def time_slot_save(*, clinic: Clinic, slot: ClinicTimeSlot | None = None, **fields) -> ClinicTimeSlot:
    Clinic.objects.select_for_update().get(pk=clinic.pk)  # serialise slot writes per clinic: no racing overlaps
    slot = slot or ClinicTimeSlot(clinic=clinic)
    for field, value in fields.items():
        setattr(slot, field, value)
    if slot.is_active:
        _check_slot_free(clinic=clinic, slot=vars(slot), exclude_pk=slot.pk)
    slot.save()
    return slot


def sync_role(user: User) -> None:
    """`roles` is derived (contract 2.0): the role of the person's most senior active membership at an active clinic,
    else the role they registered with. An owner's or an administrator's role never follows memberships."""
    if user.roles_id not in ROLES_FOLLOWING_MEMBERSHIP:
        return
    active = set(
        user.clinic_memberships.filter(status=MemberStatus.ACTIVE, clinic__is_active=True).values_list(
            "member_role", flat=True
        )
    )
    role = next((ROLE_FOR_MEMBER[r] for r in ROLE_PRECEDENCE if r in active), user.registered_role_id)
    if user.roles_id != role:
        user.roles_id = role
        user.save(update_fields=["roles", "updated_at"])


def doctor_profile_ensure(*, user: User):
    """The DoctorProfile a clinic creates when it adds a doctor (kept if they leave and come back). It is not in the
    directory until the doctor fills it in themselves (`doctors.services.doctor_profile_update`).

    `doctors` stands on `clinic` (it reads memberships everywhere), so this one reference back is looked up lazily
    instead of imported.
    """
    profile, _ = apps.get_model("doctors", "DoctorProfile").objects.get_or_create(user=user)
    return profile


def _after_membership_change(member: ClinicMember) -> None:
    if member.member_role == MemberRole.DOCTOR and member.status == MemberStatus.ACTIVE:
        doctor_profile_ensure(user=member.user)
    sync_role(member.user)


def _tell_added_person(*, member: ClinicMember) -> None:
    """The person learns which clinic added them, as what, and how to leave (contract 2.0): a message of the one
    pipeline, sent after the add commits."""
    context = {"clinic": member.clinic.name, "role": ROLES[member.member_role]}
    notify(recipient=member.user, kind=Kind.MEMBER_ADDED, context=context)


def _account_for_new_staff(*, contact: str, name: str, member_role: str) -> User:
    """Staff without an account yet (contract 2.1): the account, with the member's role and no usable password."""
    if not name:
        raise ValidationError(
            {"name": ["No QuickCare account uses this number: give the person's name to create one."]}
        )
    if User.objects.filter(contact=contact).exists():  # a deactivated account keeps its number
        raise ValidationError({"contact": ["This number belongs to a deactivated account; ask QuickCare support."]})
    return User.objects.create_user(contact=contact, name=name, password=None, roles_id=ROLE_FOR_MEMBER[member_role])


@transaction.atomic
def member_add(
    *, clinic: Clinic, contact: str, member_role: str, added_by: User, name: str = "", **details
) -> ClinicMember:
    """Add a person by number. Someone with no account gets one, and a temporary password in
    `member.invite_password` (never stored as text) that the caller sends once the add has committed
    (staff_invite_send)."""
    adds = ContactThrottle("member_add_owner")
    adds.check(added_by.pk)
    user = User.objects.filter(contact=contact, is_active=True).first()
    invite_password = None
    if user is None:
        user = _account_for_new_staff(contact=contact, name=name, member_role=member_role)
        invite_password = temporary_password_issue(user=user)
    if user.pk == clinic.owner_id:
        raise ValidationError("You own this clinic; you cannot add yourself as a member.")
    if user.roles_id not in ROLES_FOLLOWING_MEMBERSHIP:
        raise ValidationError("This account belongs to a clinic owner or an administrator and cannot be a member.")
    member = ClinicMember.objects.select_for_update().filter(clinic=clinic, user=user).first()
    if member is not None and member.status == MemberStatus.ACTIVE:
        raise Conflict("This person is already an active member of this clinic.")
    member = member or ClinicMember(clinic=clinic, user=user)  # re-adding reactivates the old row
    member.member_role, member.status, member.left_at, member.added_by = (
        member_role,
        MemberStatus.ACTIVE,
        None,
        added_by,
    )
    member.department = details.get("department", "")
    member.notes = details.get("notes", "")
    member.joined_at = details.get("joined_at") or timezone.localdate()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # the same person added twice at once
        raise Conflict("This person is already an active member of this clinic.") from None
    _after_membership_change(member)
    adds.record(added_by.pk)
    member.invite_password = invite_password
    if invite_password is None:
        _tell_added_person(member=member)
    return member


def staff_invite_send(*, member: ClinicMember, password: str) -> str:
    """Send a new member their temporary password, after the add (or the resend) has committed; the answer's
    `_info`, which says who was told what, never the password itself. A failed send leaves the member added."""
    hours = settings.STAFF_TEMP_PASSWORD_HOURS
    role = MemberRole(member.member_role).label.lower()
    message = (
        f"{member.clinic.name} added you on QuickCare as {role}. Log in with your number and the temporary password "
        f"{password} within {hours} hours, then choose your own password."
    )
    who = f"{member.user.name} ({member.user.contact})"
    # The password goes out at once, by SMS, and is never stored: the recipient's list keeps the words without it.
    kept = {
        "recipient": member.user,
        "kind": Kind.STAFF_INVITATION,
        "context": {"clinic": member.clinic.name, "role": ROLES[member.member_role]},
    }
    try:
        get_sms_backend().send(
            contact=member.user.contact, message=message, template_id=DLT_TEMPLATE_IDS[Kind.STAFF_INVITATION]
        )
    except SMSError as exc:
        logger.warning("Could not send the temporary password of member %s", member.pk)
        record_sent(**kept, sent=False, error=str(exc))
        return f"The SMS to {who} could not be sent. Send a new temporary password with resend-invite."
    record_sent(**kept, sent=True)
    return f"Sent {who} an SMS with a temporary password, valid {hours} hours and usable once."


INVITE_RESENDS = "invite_resend_member"


def staff_invite_resend(*, member: ClinicMember) -> str:
    """A new temporary password for a member who has not set up their account (the old one is void): at most 3 a day
    per member (429), 409 once the person has finished onboarding. Returns the `_info` of staff_invite_send."""
    if not member_onboarding_pending(member.user):
        raise Conflict("This person has already set up their account.")
    resends = ContactThrottle(INVITE_RESENDS)
    resends.check(member.pk)
    password = temporary_password_issue(user=member.user)
    resends.record(member.pk)
    return staff_invite_send(member=member, password=password)


@transaction.atomic
def member_update(*, member: ClinicMember, status: str | None = None, **fields) -> ClinicMember:
    """The owner's edit. `status` is the web app's toggle (contract row 1.7): `inactive` ends the membership as
    DELETE does, `active` brings an ended one back."""
    if status == MemberStatus.ACTIVE and member.status == MemberStatus.INACTIVE:
        member.status, member.left_at = MemberStatus.ACTIVE, None
    if member.status != MemberStatus.ACTIVE and "member_role" in fields:
        raise Conflict("This member has left the clinic; add them again to give them a role.")
    for field, value in fields.items():
        setattr(member, field, value)
    member.save()
    if status == MemberStatus.INACTIVE:
        member_remove(member=member)
    else:
        _after_membership_change(member)
    return member


@transaction.atomic
def member_remove(*, member: ClinicMember) -> None:
    """Soft remove (by the owner, or the person leaving): the row stays for history and re-adding, and the person
    gets back the role they had before."""
    if member.status == MemberStatus.INACTIVE:
        return
    member.status, member.left_at = MemberStatus.INACTIVE, timezone.localdate()
    member.save(update_fields=["status", "left_at"])
    sync_role(member.user)


STAFF_ROLES = (MemberRole.DOCTOR, MemberRole.LAB_MEMBER, MemberRole.RECEPTIONIST)


@transaction.atomic
def patient_lookup(*, staff: User, contact: str, ip: str | None) -> User:
    """A clinic's doctor, lab member or receptionist finds the patient in front of them by number (contract 2.2).
    Only patient accounts are found; every lookup is recorded for the patient."""
    if not active_memberships(*STAFF_ROLES).filter(user_id=staff.pk).exists():
        raise PermissionDenied("Only a clinic's doctors, lab members and receptionists can look up patients.")
    patient = User.objects.filter(contact=contact, is_active=True, roles_id=RoleId.PATIENT).first()
    if patient is None:
        raise NotFound("No patient uses this number.")
    PatientLookup.objects.create(patient=patient, looked_up_by=staff, ip_address=ip)
    return patient
