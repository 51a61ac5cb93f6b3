import itertools
from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import MemberStatus
from doctors.tests.factories import make_doctor
from documents.models import ConsentEvent, DocumentAccessLog, DocumentConsent
from documents.services import CONSENT_ACTIONS, consent_act
from documents.tests.factories import make_consent, make_document
from QuickCare.exceptions import Conflict
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(patient):
    return make_document(owner=patient)


def request_access(client, document, **extra):
    body = {"document": str(document.id), "purpose": "Reviewing prior lab results before consultation", **extra}
    return client.post(reverse("documents:consent-request"), body, format="json")


def test_doctor_requests_access(auth_client, doctor, document):
    expires = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = request_access(auth_client(doctor.user), document, expires_at=expires.isoformat())
    assert response.status_code == 201
    consent = DocumentConsent.objects.get()
    body = response.json()
    assert {k: body[k] for k in ("id", "document", "doctor", "status", "purpose")} == {
        "id": str(consent.id),
        "document": str(document.id),
        "doctor": doctor.id,
        "status": "pending",
        "purpose": "Reviewing prior lab results before consultation",
    }
    assert consent.expires_at == expires


def test_expiry_defaults_to_the_setting(auth_client, doctor, document, settings):
    settings.DOCUMENT_CONSENT_DEFAULT_DAYS = 30
    request_access(auth_client(doctor.user), document)
    delta = DocumentConsent.objects.get().expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < delta <= timedelta(days=30)


def test_expiry_must_be_future_and_within_the_optional_maximum(auth_client, doctor, document, settings):
    client = auth_client(doctor.user)
    past = request_access(client, document, expires_at=(timezone.now() - timedelta(hours=1)).isoformat())
    assert past.status_code == 400 and past.json() == {"expires_at": ["The expiry must be in the future."]}
    settings.DOCUMENT_CONSENT_MAX_DAYS = 7
    far = request_access(client, document, expires_at=(timezone.now() + timedelta(days=8)).isoformat())
    assert far.status_code == 400 and "at most 7 days" in far.json()["expires_at"][0]


def test_second_pending_request_is_409(auth_client, doctor, document):
    client = auth_client(doctor.user)
    request_access(client, document)
    response = request_access(client, document)
    assert_refused(response, 409, {"message": "You already have a pending request for this document."})
    assert DocumentConsent.objects.count() == 1


def test_request_validation_and_unknown_document(auth_client, doctor, document):
    client = auth_client(doctor.user)
    missing = client.post(reverse("documents:consent-request"), {}, format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"document", "purpose"}
    unknown = client.post(
        reverse("documents:consent-request"),
        {"document": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "purpose": "x"},
        format="json",
    )
    assert_refused(unknown, 404, {"message": "Document not found."})
    document.is_deleted = True
    document.save()
    assert_refused(request_access(client, document), 404, {"message": "Document not found."})


def test_doctor_without_active_clinic_cannot_request(auth_client, doctor, document):
    doctor.user.clinic_memberships.update(status=MemberStatus.INACTIVE)
    assert_refused(
        request_access(auth_client(doctor.user), document),
        403,
        {"message": "Only doctors working at an active clinic can request access to documents."},
    )


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.CLINIC_OWNER, RoleId.LAB_MEMBER])
def test_only_doctors_request_and_list_their_requests(auth_client, document, role):
    client = auth_client(make_user(role=role))
    assert_refused(request_access(client, document), 403, {"message": "Only doctors can do this."})
    assert_refused(client.get(reverse("documents:consent-doctor")), 403, {"message": "Only doctors can do this."})


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_organisation_accounts_have_no_incoming_requests(auth_client, role):
    refused = auth_client(make_user(role=role)).get(reverse("documents:consent-mine"))
    assert refused.status_code == 403
    assert refused.json() == {"message": "Only patients (and clinic staff, for their own records) can do this."}


def test_a_doctor_sees_requests_for_their_own_documents_only(auth_client, doctor, document):
    make_consent(document=document, doctor=doctor, status="pending")  # the doctor asks; the patient is asked
    assert auth_client(doctor.user).get(reverse("documents:consent-mine")).json() == []


def consent_json(consent, **changes) -> dict:
    """A consent object as contract row 1.12 writes it (`doctor` the profile id; names and titles beside it)."""
    document, doctor = consent.document, consent.doctor
    return {
        "id": str(consent.id),
        "document": str(document.id),
        "document_title": document.title,
        "document_type": document.document_type,
        "doctor": doctor.id,
        "doctor_name": doctor.user.name,
        "doctor_specialty": doctor.specialty,
        "clinic_names": [m.clinic.name for m in doctor.user.clinic_memberships.filter(status="active")],
        "patient": {"id": str(document.owner_id), "name": document.owner.name},
        "status": consent.status,
        "purpose": consent.purpose,
        "expires_at": consent.expires_at,
        "requested_at": consent.requested_at,
        "created_at": consent.requested_at,
        "actioned_at": consent.actioned_at,
        "file": None,
        **changes,
    }


TIMES = ("expires_at", "requested_at", "created_at", "actioned_at")


def parsed(body: dict) -> dict:
    """An answer's consent with its times read back as datetimes (they are written in clinic time)."""
    return {key: datetime.fromisoformat(value) if key in TIMES and value else value for key, value in body.items()}


def test_patient_sees_who_asks_from_where_and_why(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    rows = auth_client(patient).get(reverse("documents:consent-mine")).json()
    assert [parsed(row) for row in rows] == [consent_json(consent)]
    assert rows[0]["clinic_names"] == ["Apollo Clinic"] and rows[0]["doctor_name"] == "Dr. Priya Sharma"


def test_every_consent_answer_has_the_one_shape(auth_client, patient, doctor, document):
    created = request_access(auth_client(doctor.user), document)
    consent = DocumentConsent.objects.get()
    assert created.status_code == 201 and parsed(created.json()) == consent_json(consent)
    acted = act(auth_client(patient), consent, "grant")
    consent.refresh_from_db()
    assert acted.status_code == 200 and parsed(acted.json()) == consent_json(consent)  # the patient gets no link
    mine = auth_client(patient).get(reverse("documents:consent-mine")).json()
    assert [parsed(row) for row in mine] == [consent_json(consent)]
    [row] = auth_client(doctor.user).get(reverse("documents:consent-doctor")).json()
    assert parsed(row) == consent_json(consent, file=row["file"])
    assert row["file"].startswith(f"http://testserver/api/documents/{document.id}/download/?sig=")


def test_the_doctors_list_links_only_consents_that_open_their_document_now(auth_client, patient, doctor, settings):
    granted = make_consent(document=make_document(owner=patient), doctor=doctor)
    pending = make_consent(document=make_document(owner=patient), doctor=doctor, status="pending")
    revoked = make_consent(document=make_document(owner=patient), doctor=doctor, status="revoked")
    expired = make_consent(document=make_document(owner=patient), doctor=doctor)
    DocumentConsent.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    deleted = make_consent(document=make_document(owner=patient), doctor=doctor)
    deleted.document.is_deleted = True
    deleted.document.save(update_fields=["is_deleted"])
    rows = {row["id"]: row for row in auth_client(doctor.user).get(reverse("documents:consent-doctor")).json()}
    linked = {consent_id for consent_id, row in rows.items() if row["file"]}
    assert linked == {str(granted.id)}
    assert {str(c.id) for c in (pending, revoked, expired, deleted)} <= set(rows)
    # The link opens the file without a header, and is logged as the doctor's download under that consent.
    path = rows[str(granted.id)]["file"].removeprefix("http://testserver")
    assert APIClient().get(path).status_code == 200
    assert granted.document.access_logs.get(action="download").consent_id == granted.id
    doctor.user.clinic_memberships.update(status=MemberStatus.INACTIVE)  # no longer a doctor of any clinic
    assert not any(row["file"] for row in auth_client(doctor.user).get(reverse("documents:consent-doctor")).json())


def test_consent_lists_are_scoped_and_filtered(auth_client, patient, other_patient, doctor, document):
    granted = make_consent(document=document, doctor=doctor)
    pending = make_consent(document=document, doctor=make_doctor(), status="pending")
    expired = make_consent(document=make_document(owner=patient), doctor=doctor)
    DocumentConsent.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    make_consent(document=make_document(owner=other_patient), doctor=doctor)
    client = auth_client(patient)
    url = reverse("documents:consent-mine")
    assert len(client.get(url).json()) == 3
    assert [c["id"] for c in client.get(url, {"status": "pending"}).json()] == [str(pending.id)]
    assert [c["id"] for c in client.get(url, {"status": "granted"}).json()] == [str(granted.id)]
    assert [(c["id"], c["status"]) for c in client.get(url, {"status": "expired"}).json()] == [
        (str(expired.id), "expired")
    ]
    assert_refused(
        client.get(url, {"status": "maybe"}),
        400,
        {"status": ["Select a valid choice. maybe is not one of the available choices."]},
    )
    doctor_rows = auth_client(doctor.user).get(reverse("documents:consent-doctor"), {"status": "granted"}).json()
    assert len(doctor_rows) == 2  # this patient's and the other patient's
    assert auth_client(other_patient).get(url).json()[0]["id"] != str(granted.id)


@pytest.mark.parametrize("count", [1, 20])
def test_consent_lists_query_count(auth_client, patient, document, django_assert_num_queries, count):
    doctor = make_doctor()
    for number in range(count):
        make_consent(document=make_document(owner=patient), doctor=make_doctor(name=f"Dr. {number}"), status="pending")
        make_consent(document=make_document(owner=patient), doctor=doctor)
    with django_assert_num_queries(2):  # consents with documents, patients and doctors, then the doctors' clinics
        assert len(auth_client(patient).get(reverse("documents:consent-mine")).json()) == 2 * count
    # The same with a signed link on every row; each link issued is logged for its patient: the end of the patient's
    # log chain and one INSERT.
    with django_assert_num_queries(4):
        rows = auth_client(doctor.user).get(reverse("documents:consent-doctor")).json()
    assert len(rows) == count and all(row["file"] for row in rows)
    assert DocumentAccessLog.objects.filter(accessed_by=doctor.user, action="list").count() == count


def act(client, consent, action, **extra):
    return client.patch(
        reverse("documents:consent-action", args=[consent.id]), {"action": action, **extra}, format="json"
    )


def test_patient_grants(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    response = act(auth_client(patient), consent, "grant")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(consent.id) and body["status"] == "granted" and body["actioned_at"]


def test_patient_may_choose_how_long_on_grant(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending", days=30)
    until = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    act(auth_client(patient), consent, "grant", expires_at=until.isoformat())
    consent.refresh_from_db()
    assert consent.expires_at == until


def test_granting_an_expired_request_is_409(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending", days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = act(auth_client(patient), consent, "grant")
    assert_refused(response, 409, {"message": "This request has expired. The doctor needs to ask again."})


def test_unknown_action_is_400(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    response = act(auth_client(patient), consent, "approve")
    assert response.status_code == 400 and "action" in response.json()


def test_only_the_owner_acts(auth_client, other_patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    assert_refused(act(auth_client(other_patient), consent, "grant"), 404, {"message": "Not found."})
    refused = act(auth_client(doctor.user), consent, "grant")  # the asking doctor cannot answer for the patient
    assert refused.status_code == 404 and refused.json() == {"message": "Not found."}
    consent.refresh_from_db()
    assert consent.status == "pending"


def test_refused_move_names_the_allowed_actions(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="granted")
    response = act(auth_client(patient), consent, "grant")
    assert response.status_code == 409
    assert response.json() == {"message": "Cannot grant a consent that is granted. Allowed: revoke."}


STORED = ["pending", "granted", "rejected", "revoked"]
ALLOWED = {
    ("pending", "grant"): "granted",
    ("pending", "reject"): "rejected",
    ("granted", "revoke"): "revoked",
    ("rejected", "grant"): "granted",  # contract row 1.2: the patient changes their mind
    ("revoked", "grant"): "granted",
}


@pytest.mark.parametrize(("current", "action"), list(itertools.product(STORED, CONSENT_ACTIONS)))
def test_every_consent_transition(patient, doctor, document, current, action):
    consent = make_consent(document=document, doctor=doctor, status=current)
    if (current, action) in ALLOWED:
        assert (
            consent_act(consent=consent, action=action, by=consent.document.owner).status == ALLOWED[(current, action)]
        )
    else:
        with pytest.raises(Conflict):
            consent_act(consent=consent, action=action, by=consent.document.owner)
        consent.refresh_from_db()
        assert consent.status == current


# --- history (contract row 1.2 "every change is kept", section 5.3) ---------------------------------------------


def history(client, consent):
    return client.get(reverse("documents:consent-history", args=[consent.id]))


def test_every_change_is_a_history_row_both_parties_read(auth_client, patient, doctor, document):
    request_access(auth_client(doctor.user), document)
    consent = DocumentConsent.objects.get()
    for action in ("reject", "granted", "revoke", "grant"):
        assert act(auth_client(patient), consent, action).status_code == 200
    rows = history(auth_client(patient), consent).json()
    assert [(r["kind"], r["status"], r["by"]["role"]) for r in rows] == [
        ("requested", "pending", "doctor"),
        ("rejected", "rejected", "patient"),
        ("regranted", "granted", "patient"),
        ("revoked", "revoked", "patient"),
        ("regranted", "granted", "patient"),
    ]
    assert rows[0]["by"] == {"id": str(doctor.user_id), "name": "Dr. Priya Sharma", "role": "doctor"}
    assert history(auth_client(doctor.user), consent).json() == rows


def test_a_first_grant_and_the_expiry_are_events(auth_client, patient, doctor, document):
    request_access(auth_client(doctor.user), document)
    consent = DocumentConsent.objects.get()
    act(auth_client(patient), consent, "grant")
    consent.refresh_from_db()
    with time_machine.travel(consent.expires_at + timedelta(seconds=1)):
        rows = history(auth_client(patient), consent).json()
        again = history(auth_client(doctor.user), consent).json()
    assert [r["kind"] for r in rows] == ["requested", "granted", "expired"]
    assert rows[-1]["id"] is not None and rows[-1]["by"] is None  # stored when first observed, by nobody
    assert datetime.fromisoformat(rows[-1]["at"]) == consent.expires_at
    assert again == rows and ConsentEvent.objects.filter(kind="expired").count() == 1


def test_deleting_the_document_revokes_with_a_history_row(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor)
    assert auth_client(patient).delete(reverse("documents:detail", args=[document.id])).status_code == 204
    [row] = history(auth_client(patient), consent).json()
    assert (row["kind"], row["status"], row["note"]) == ("revoked", "revoked", "The document was deleted.")


def test_a_refused_action_writes_no_history(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    assert_refused(
        act(auth_client(patient), consent, "revoke"),
        409,
        {"message": "Cannot revoke a consent that is pending. Allowed: grant, reject."},
    )
    assert not consent.events.exists()


def test_history_is_for_the_two_parties_only(auth_client, patient, other_patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor)
    for stranger in (other_patient, make_doctor(name="Dr. Other").user):
        refused = history(auth_client(stranger), consent)
        assert refused.status_code == 404 and refused.json() == {"message": "Not found."}
    owner = make_user(role=RoleId.CLINIC_OWNER)
    refused = history(auth_client(owner), consent)
    assert refused.status_code == 403
    assert refused.json() == {"message": "Only patients (and clinic staff, for their own records) can do this."}


@pytest.mark.parametrize("changes", [1, 20])
def test_history_query_count(auth_client, patient, doctor, document, django_assert_num_queries, changes):
    consent = make_consent(document=document, doctor=doctor, status="pending")
    for number in range(changes):
        consent_act(consent=consent, action="revoke" if number % 2 else "grant", by=patient)
    with django_assert_num_queries(2):  # the consent, its events with their actors
        assert len(history(auth_client(patient), consent).json()) == changes
