"""`GET /api/users/me/access-log/` (contract 5.2): one list of everything that touched the patient, newest first:
views, downloads and listings of their documents by anyone else (with why they could: consent, admission
submission, emergency access with its reason, their own upload, or an operator in the admin), and staff looking
them up by number, and emergency accesses opened (with their reason) whether or not the document was then opened.
Each source is its own indexed query; a page merges the first rows of each."""

import heapq
from itertools import islice

from clinic.models import PatientLookup
from users.models import User, role_key

from .models import AccessReason, DocumentAccessLog, EmergencyAccess

EVENT_OF_ACTION = {"view": "document_view", "download": "document_download", "list": "document_listed"}


def _person(user: User) -> dict:
    return {"id": str(user.pk), "name": user.name, "role": role_key(user.roles_id)}


def _document_event(log: DocumentAccessLog) -> dict:
    clinic = None
    if log.admission_submission_id:
        clinic = log.admission_submission.clinic
    elif log.document.clinic_id and not log.consent_id and not log.emergency_access_id:
        clinic = log.document.clinic
    return {
        "at": log.accessed_at,
        "event": EVENT_OF_ACTION[log.action],
        "by": _person(log.accessed_by),
        "clinic": {"id": str(clinic.pk), "name": clinic.name} if clinic else None,
        "document": {"id": str(log.document_id), "title": log.document.title},
        "why": log.reason,  # never "owner": the patient's own opens are not listed
        "emergency_reason": log.emergency_access.reason if log.emergency_access_id else None,
        "ip_address": log.ip_address,
    }


def _emergency_event(grant: EmergencyAccess) -> dict:
    return {
        "at": grant.granted_at,
        "event": "emergency_access",
        "by": _person(grant.doctor),
        "clinic": None,
        "document": {"id": str(grant.document_id), "title": grant.document.title},
        "why": AccessReason.EMERGENCY,
        "emergency_reason": grant.reason,
        "ip_address": None,
    }


def _lookup_event(lookup: PatientLookup) -> dict:
    return {
        "at": lookup.looked_up_at,
        "event": "patient_lookup",
        "by": _person(lookup.looked_up_by),
        "clinic": None,
        "document": None,
        "why": "lookup",
        "emergency_reason": None,
        "ip_address": lookup.ip_address,
    }


class PatientEvents:
    """The patient's events as one sequence for the paginator: its length is the sources' counts; a slice reads at
    most `stop` rows of each source (newest first) and merges them."""

    def __init__(self, patient: User):
        documents = (
            DocumentAccessLog.objects.filter(chain_owner_id=patient.pk)
            .exclude(accessed_by_id=patient.pk)
            .select_related("accessed_by", "document__clinic", "admission_submission__clinic", "emergency_access")
            .order_by("-accessed_at")
        )
        lookups = PatientLookup.objects.filter(chain_owner_id=patient.pk).select_related("looked_up_by")
        emergencies = EmergencyAccess.objects.filter(document__owner_id=patient.pk).select_related("doctor", "document")
        self.sources = [
            (documents, _document_event),
            (lookups.order_by("-looked_up_at"), _lookup_event),
            (emergencies.order_by("-granted_at"), _emergency_event),
        ]

    def count(self) -> int:
        return sum(rows.count() for rows, _ in self.sources)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[dict]:
        stop = page.stop
        streams = [map(build, rows[:stop] if stop is not None else rows) for rows, build in self.sources]
        merged = heapq.merge(*streams, key=lambda event: event["at"], reverse=True)
        return list(islice(merged, page.start or 0, stop))
