"""The patient's own data (contract 5.6): everything stored about them, as one JSON document (and, as a zip, with
their files, streamed so that the server never holds a large file in memory), and erasure of the account.

This module sits in `documents`, the top of the app layering, because it reads every app's records of the person."""

import json
import logging
import secrets
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from appointments.models import Appointment, AppointmentHistory, WaitlistEntry
from appointments.serializers import COLUMNS, AppointmentHistorySerializer, appointment_rows_json
from notifications.models import Notification
from notifications.serializers import NotificationSerializer
from users.models import PatientMedicalProfile, User, UserAddress
from users.serializers import AddressSerializer, MedicalProfileSerializer, MeSerializer
from users.services import tokens_revoke_all

from .access_events import PatientEvents
from .models import AdmissionSubmission, ConsentStatus, Document, DocumentConsent
from .selectors import consent_history, consents_for_patient
from .serializers import ConsentEventSerializer

logger = logging.getLogger("quickcare.privacy")

DOCUMENT_FIELDS = (
    "id",
    "title",
    "document_type",
    "description",
    "original_filename",
    "content_type",
    "size",
    "sha256",
    "uploaded_at",
    "uploaded_by_role",
    "appointment_id",
)
CONSENT_FIELDS = ("id", "document_id", "doctor_id", "status", "purpose", "expires_at", "requested_at", "actioned_at")


def export(user: User) -> dict:
    """Every record of `user`, and only theirs: what they gave, what clinics wrote about them, and who touched it."""
    appointments = list(
        Appointment.objects.filter(patient=user).select_related("doctor__user", "clinic").values(*COLUMNS)
    )
    history = {}
    for row in AppointmentHistory.objects.filter(appointment__patient=user).select_related("by").order_by("at"):
        history.setdefault(row.appointment_id, []).append(AppointmentHistorySerializer(row).data)
    appointments_json = appointment_rows_json(appointments)
    for item in appointments_json:
        item["history"] = history.get(item["id"], [])
    consents = []
    for consent in consents_for_patient(user):
        row = {field: getattr(consent, field) for field in CONSENT_FIELDS}
        row["status"] = consent.effective_status
        row["history"] = ConsentEventSerializer(consent_history(consent), many=True).data
        consents.append(row)
    medical = getattr(user, "medical_profile", None)
    return {
        "exported_at": timezone.now(),
        "profile": MeSerializer(user).data,
        "medical_profile": MedicalProfileSerializer(medical).data if medical else None,
        "addresses": AddressSerializer(UserAddress.objects.filter(user=user), many=True).data,
        "appointments": appointments_json,
        "waitlist": list(WaitlistEntry.objects.filter(patient=user).values("id", "doctor_id", "clinic_id", "date")),
        "documents": list(Document.objects.filter(owner=user).values(*DOCUMENT_FIELDS, "is_deleted")),
        "admission_submissions": list(
            AdmissionSubmission.objects.filter(patient=user).values(
                "id", "clinic_id", "document_type_id", "document_id", "notes", "submitted_at", "withdrawn_at"
            )
        ),
        "consents": consents,
        "access_log": PatientEvents(user)[slice(0, None)],
        "notifications": NotificationSerializer(Notification.objects.filter(recipient=user), many=True).data,
    }


def export_json(user: User) -> bytes:
    return json.dumps(export(user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


class _Chunks:
    """A write-only file for zipfile that hands what it is given to a generator, chunk by chunk."""

    def __init__(self):
        self.pending, self.written = [], 0

    def write(self, data) -> int:
        self.pending.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.pending = b"".join(self.pending), []
        return data


def export_zip(user: User, *, chunk_size: int = 64 * 1024):
    """The export as a zip stream: export.json, then every stored file under files/<document id>/<its name>, each
    read and compressed 64 KB at a time (memory stays flat whatever the size of the files)."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", export_json(user))
        yield sink.take()
        for document in Document.objects.filter(owner=user, is_deleted=False).order_by("uploaded_at"):
            name = f"files/{document.pk}/{document.original_filename or 'document'}"
            with document.file.open("rb") as source, archive.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(chunk_size):
                    target.write(chunk)
                    yield sink.take()
    yield sink.take()


def _pseudonym() -> str:
    return f"x{secrets.token_hex(4)}9"[:10]  # never a mobile number: Indian numbers start 6-9, this starts with x


@transaction.atomic
def erase(*, user: User, password: str) -> None:
    """Delete the account (contract 5.6) after the password is checked (400, nothing changes, when it is wrong).
    Personal fields, addresses, the medical profile, notifications, waitlist places and every file go; the user row
    stays as a pseudonym (so appointments keep their clinic's records and the tamper-evident logs stay whole and
    verifiable: their rows point at the same id); documents stay as erased metadata; open consents end; every token
    stops working."""
    if not password or not user.check_password(password):
        raise ValidationError({"password": ["The password is not correct."]})
    now = timezone.now()
    files = [document.file.name for document in Document.objects.filter(owner=user) if document.file]
    Document.objects.filter(owner=user).update(
        title="Erased", description="", original_filename="", is_deleted=True, deleted_at=now
    )
    DocumentConsent.objects.filter(
        document__owner=user, status__in=[ConsentStatus.PENDING, ConsentStatus.GRANTED]
    ).update(status=ConsentStatus.REVOKED, actioned_at=now)
    AdmissionSubmission.objects.filter(patient=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
    Appointment.objects.filter(patient=user).update(notes="", cancellation_reason="")
    UserAddress.objects.filter(user=user).delete()
    PatientMedicalProfile.objects.filter(user=user).delete()
    Notification.objects.filter(recipient=user).delete()
    WaitlistEntry.objects.filter(patient=user).delete()
    tokens_revoke_all(user=user)
    user.name, user.email, user.contact = "Erased user", "", _pseudonym()
    user.age, user.gender, user.blood_group = None, "", ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    storage = Document._meta.get_field("file").storage

    def remove_files():
        for name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)
    logger.info("Account %s erased by its owner (personal fields, %d files)", user.pk, len(files))
