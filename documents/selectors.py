from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, UUIDField, Value, When
from django.utils import timezone

from clinic.models import Clinic, MemberRole
from clinic.selectors import active_memberships
from doctors.selectors import active_doctor_memberships
from users.models import RoleId, User
from users.permissions import ADMISSION_STAFF_ROLES, MayOpenDocuments

from .models import (
    AdmissionSubmission,
    ConsentEvent,
    ConsentEventKind,
    ConsentStatus,
    Document,
    DocumentConsent,
    EmergencyAccess,
)


def active_consents(*, now=None) -> QuerySet[DocumentConsent]:
    """A consent opens a document only while granted, unexpired, the document not deleted, and its doctor still a
    doctor of an active clinic: checked at every read, so revoking, expiring or leaving the last clinic cuts access
    at once (no periodic job)."""
    return DocumentConsent.objects.filter(
        Exists(active_doctor_memberships().filter(user_id=OuterRef("doctor__user_id"))),
        status=ConsentStatus.GRANTED,
        expires_at__gt=now or timezone.now(),
        document__is_deleted=False,
    )


def active_emergency_accesses(*, now=None):
    """Emergency accesses still open: unexpired, the document not deleted, the doctor still a doctor of an active
    clinic (leaving the last one ends it, as for a consent)."""
    return EmergencyAccess.objects.filter(
        Exists(active_doctor_memberships().filter(user_id=OuterRef("doctor_id"))),
        expires_at__gt=now or timezone.now(),
        document__is_deleted=False,
    )


def admission_staff_clinics(user: User) -> QuerySet[Clinic]:
    """The active clinics whose admission submissions `user` may open: those they own, and those where they are a
    receptionist or a doctor now (contract 2.6). Leaving the clinic ends it at once."""
    staff_here = active_memberships(MemberRole.RECEPTIONIST, MemberRole.DOCTOR).filter(
        user_id=user.pk, clinic_id=OuterRef("pk")
    )
    return Clinic.objects.filter(Q(owner_id=user.pk) | Exists(staff_here), is_active=True)


def admission_submissions_open_to(user: User) -> QuerySet[AdmissionSubmission]:
    """Open (not withdrawn) submissions to one of `admission_staff_clinics(user)`."""
    return AdmissionSubmission.objects.filter(clinic__in=admission_staff_clinics(user), withdrawn_at__isnull=True)


def documents_visible_to(user: User) -> QuerySet[Document]:
    """The one access rule. Everyone's own documents (whatever their role: contract 2.0); for a doctor or lab member
    also what they put into a patient's records (contract 2.4) while still a doctor or lab member of the clinic it
    came through; for a doctor also what an active consent opens, annotated with that consent as `consent_id_used`;
    for a clinic's owner, receptionists and doctors what a patient submitted to it for admission (contract 2.6),
    annotated as `admission_id_used`; for a doctor, last, what their emergency access opens (contract 5.5), as
    `emergency_id_used`. Own documents and uploads carry none of these; nothing for other roles."""
    documents = Document.objects.filter(is_deleted=False).select_related("owner", "uploaded_by")
    role = getattr(user, "roles_id", None)
    if role not in MayOpenDocuments.roles:
        return documents.none()
    no_grant = Value(None, output_field=UUIDField())
    visible = Q(owner=user)
    if role in (RoleId.DOCTOR, RoleId.LAB_MEMBER):
        still_there = active_memberships(MemberRole.DOCTOR, MemberRole.LAB_MEMBER).filter(
            user_id=user.pk, clinic_id=OuterRef("clinic_id")
        )
        visible |= Q(uploaded_by=user) & Exists(still_there)
    consent = emergency = no_grant
    if role == RoleId.DOCTOR:
        consents = active_consents().filter(document_id=OuterRef("pk"), doctor__user_id=user.pk)
        consent = Subquery(consents.order_by("-expires_at").values("pk")[:1])
        emergencies = active_emergency_accesses().filter(document_id=OuterRef("pk"), doctor_id=user.pk)
        emergency = Subquery(emergencies.order_by("-expires_at").values("pk")[:1])
    admission = no_grant
    if role in ADMISSION_STAFF_ROLES:
        submissions = admission_submissions_open_to(user).filter(document_id=OuterRef("pk"))
        admission = Subquery(submissions.order_by("-submitted_at").values("pk")[:1])
    documents = documents.annotate(
        consent_id_used=Case(When(visible, then=no_grant), default=consent, output_field=UUIDField())
    )
    documents = documents.annotate(
        admission_id_used=Case(
            When(visible | Q(consent_id_used__isnull=False), then=no_grant), default=admission, output_field=UUIDField()
        )
    )
    granted = visible | Q(consent_id_used__isnull=False) | Q(admission_id_used__isnull=False)
    documents = documents.annotate(
        emergency_id_used=Case(When(granted, then=no_grant), default=emergency, output_field=UUIDField())
    )
    return documents.filter(granted | Q(emergency_id_used__isnull=False))


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


def consents_shown(consents: QuerySet[DocumentConsent]) -> QuerySet[DocumentConsent]:
    """Consents with everything their answer shows (serializers.ConsentSerializer) in two queries for any number:
    document and patient, doctor, the doctor's active clinics (`active_clinics`), `effective_status`, and
    `opens_now` (whether the one access rule, `active_consents`, lets it open its document at this moment)."""
    clinics = Prefetch(
        "doctor__user__clinic_memberships",
        queryset=active_doctor_memberships().select_related("clinic"),
        to_attr="active_clinics",
    )
    consents = consents.select_related("document__owner", "doctor__user").annotate(
        opens_now=Exists(active_consents().filter(pk=OuterRef("pk")))
    )
    return with_effective_status(consents).prefetch_related(clinics)


def consents_for_patient(user: User) -> QuerySet[DocumentConsent]:
    """Requests for the patient's documents."""
    return consents_shown(DocumentConsent.objects.filter(document__owner_id=user.pk))


def consents_of_doctor(user: User) -> QuerySet[DocumentConsent]:
    """The doctor's own requests."""
    return consents_shown(DocumentConsent.objects.filter(doctor__user_id=user.pk))


def consents_of_party(user: User) -> QuerySet[DocumentConsent]:
    """Consents this person is a party to: as the document's owner or as the asking doctor."""
    return DocumentConsent.objects.filter(Q(document__owner_id=user.pk) | Q(doctor__user_id=user.pk))


def consent_history(consent: DocumentConsent) -> list[ConsentEvent]:
    """Every change, oldest first. The expiry happens by the clock, so it is written when first observed: the first
    read of the history (or export) after `expires_at` of a pending or granted consent stores it, at `expires_at`
    (an expiry is final: an expired consent cannot be granted again, so there is at most one)."""
    events = list(consent.events.select_related("actor"))
    expired = consent.status in (ConsentStatus.PENDING, ConsentStatus.GRANTED) and consent.expires_at <= timezone.now()
    if expired and not any(event.kind == ConsentEventKind.EXPIRED for event in events):
        event, _ = ConsentEvent.objects.get_or_create(
            consent=consent,
            kind=ConsentEventKind.EXPIRED,
            defaults={
                "status": ConsentStatus.EXPIRED,
                "actor_role": "",
                "expires_at": consent.expires_at,
                "at": consent.expires_at,
            },
        )
        events.append(event)
    return events


def documents_for_care(*, doctor_user: User, patient_id) -> QuerySet[Document]:
    """A patient's documents as the doctor treating them sees them listed (contract 2.3): metadata only, each with
    `consent_status`, the effective status of this doctor's latest consent on it (None when never asked)."""
    latest = with_effective_status(
        DocumentConsent.objects.filter(document_id=OuterRef("pk"), doctor__user_id=doctor_user.pk)
    ).order_by("-requested_at")
    return Document.objects.filter(owner_id=patient_id, is_deleted=False).annotate(
        consent_status=Subquery(latest.values("effective_status")[:1]),
        consent_id_used=Value(None, output_field=UUIDField()),
        admission_id_used=Value(None, output_field=UUIDField()),
        emergency_id_used=Value(None, output_field=UUIDField()),
    )


def admission_checklist(*, clinic, patient: User) -> QuerySet:
    """The clinic's active checklist items, each annotated with the patient's open submission for it
    (`submission_id`, `submitted_document_id`, both None when nothing is submitted): one query."""
    submission = AdmissionSubmission.objects.filter(
        document_type_id=OuterRef("pk"), patient_id=patient.pk, withdrawn_at__isnull=True
    )
    return clinic.admission_documents.filter(is_active=True).annotate(
        submission_id=Subquery(submission.values("pk")[:1], output_field=UUIDField()),
        submitted_document_id=Subquery(submission.values("document_id")[:1], output_field=UUIDField()),
    )


def admission_submissions_shown(submissions: QuerySet[AdmissionSubmission]) -> QuerySet[AdmissionSubmission]:
    """Submissions with everything their answer shows (serializers.AdmissionSubmissionSerializer): one query."""
    return submissions.select_related("clinic", "document_type", "document", "patient").order_by("-submitted_at")
