from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from doctors.models import DoctorProfile
from users.models import RoleId, User

from .models import ConsentStatus, Document, DocumentConsent


def active_consents(*, now=None) -> QuerySet[DocumentConsent]:
    """A consent opens a document only while granted, unexpired, and the document not deleted: checked at every
    read, so revoking or expiring cuts access at once (no periodic job)."""
    return DocumentConsent.objects.filter(
        status=ConsentStatus.GRANTED, expires_at__gt=now or timezone.now(), document__is_deleted=False
    )


def documents_visible_to(user: User) -> QuerySet[Document]:
    """A patient's own documents; a doctor's consented ones; nothing for anyone else."""
    documents = Document.objects.filter(is_deleted=False).select_related("owner")
    role = getattr(user, "roles_id", None)
    if role == RoleId.PATIENT:
        return documents.filter(owner=user)
    if role == RoleId.DOCTOR:
        consented = active_consents().filter(document_id=OuterRef("pk"), doctor__user_id=user.pk)
        return documents.filter(Exists(consented))
    return documents.none()


def consent_used(*, user: User, document: Document) -> DocumentConsent | None:
    return active_consents().filter(document=document, doctor__user_id=user.pk).order_by("-expires_at").first()


def with_effective_status(consents: QuerySet[DocumentConsent]) -> QuerySet[DocumentConsent]:
    """Annotate `effective_status`: "expired" for a pending or granted consent past its expires_at."""
    return consents.annotate(
        effective_status=Case(
            When(
                Q(status__in=[ConsentStatus.PENDING, ConsentStatus.GRANTED], expires_at__lte=timezone.now()),
                then=Value(ConsentStatus.EXPIRED),
            ),
            default=F("status"),
        )
    )


def doctor_profile_of(user: User) -> DoctorProfile | None:
    return DoctorProfile.objects.filter(user=user).first()
