from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from .models import Clinic, ClinicMember, MemberRole, MemberStatus


def active_memberships(*roles: str) -> QuerySet[ClinicMember]:
    """Members in the contract's sense: an active membership at an active clinic (with one of `roles`, if given)."""
    members = ClinicMember.objects.filter(status=MemberStatus.ACTIVE, clinic__is_active=True)
    return members.filter(member_role__in=roles) if roles else members


def clinics_with_member_count() -> QuerySet[Clinic]:
    """Active clinics with `member_count` (active members), in name order."""
    return (
        Clinic.objects.filter(is_active=True)
        .annotate(member_count=Count("members", filter=Q(members__status=MemberStatus.ACTIVE)))
        .order_by("name", "id")
    )  # Meta.ordering is not applied to GROUP BY queries


def clinic_for_owner(*, user, clinic_id) -> Clinic:
    """An active clinic the caller owns: unknown -> 404, someone else's (a public object) -> 403. The one ownership
    check of every clinic write."""
    clinic = clinics_with_member_count().filter(pk=clinic_id).first()
    if clinic is None:
        raise NotFound("Clinic not found.")
    if clinic.owner_id != user.pk:
        raise PermissionDenied("Only this clinic's owner can manage it.")
    return clinic


def clinic_for_desk(*, user, clinic_id) -> Clinic:
    """An active clinic whose day the caller runs: its owner or one of its receptionists. Unknown -> 404, another
    clinic's (a public object) -> 403. The one check of every front-desk endpoint."""
    clinic = Clinic.objects.filter(pk=clinic_id, is_active=True).first()
    if clinic is None:
        raise NotFound("Clinic not found.")
    if (
        clinic.owner_id != user.pk
        and not active_memberships(MemberRole.RECEPTIONIST).filter(clinic=clinic, user_id=user.pk).exists()
    ):
        raise PermissionDenied("Only this clinic's owner and receptionists can see its appointments.")
    return clinic


def clinic_for_doctor(*, user, clinic_id=None) -> Clinic:
    """An active clinic where the caller is a doctor now (their queue's clinic). Unknown -> 404; one where they are
    not a doctor (a public object) -> 403. Without `clinic_id`, their only clinic (400 when they have several)."""
    theirs = Clinic.objects.filter(
        is_active=True,
        members__in=active_memberships(MemberRole.DOCTOR).filter(user_id=user.pk),
    )
    if clinic_id is None:
        clinics = list(theirs[:2])
        if len(clinics) > 1:
            raise ValidationError({"clinic_id": ["You are a doctor at several clinics: say which one."]})
        if not clinics:
            raise PermissionDenied("You are not a doctor of any active clinic.")
        return clinics[0]
    clinic = theirs.filter(pk=clinic_id).first()
    if clinic is not None:
        return clinic
    if not Clinic.objects.filter(pk=clinic_id, is_active=True).exists():
        raise NotFound("Clinic not found.")
    raise PermissionDenied("You are not a doctor of this clinic.")
