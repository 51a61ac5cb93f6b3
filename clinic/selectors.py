from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied

from .models import Clinic, MemberStatus


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
