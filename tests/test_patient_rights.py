"""Trust and patient rights (contract section 5): emergency access, the one log of everything that touched a
patient, and operators in the admin."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clinic.models import MemberRole
from clinic.tests.factories import make_member
from doctors.tests.factories import make_doctor
from documents.models import DocumentAccessLog, EmergencyAccess
from documents.tests.factories import make_consent, make_document
from notifications.models import Kind, Notification
from tests.refusals import assert_refused, assert_throttled
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
REASON = "Unconscious in casualty, need the last ECG report"


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(datetime(2027, 1, 4, 10, 0, tzinfo=IST), tick=False) as traveller:
        yield traveller


def emergency(client, document, reason=REASON):
    return client.post(reverse("documents:emergency-access", args=[document.pk]), {"reason": reason}, format="json")


def opens(client, document) -> int:
    return client.get(reverse("documents:download", args=[document.pk])).status_code


# --- emergency access (5.5) ---------------------------------------------------------------------------------------


def test_a_doctor_opens_a_document_in_an_emergency_and_everyone_is_told(auth_client, doctor, clinic, patient, morning):
    document = make_document(owner=patient, title="ECG")
    client = auth_client(doctor.user)
    assert opens(client, document) == 404  # no consent
    response = emergency(client, document)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "document": str(document.pk),
        "document_title": "ECG",
        "patient": {"id": str(patient.pk), "name": patient.name},
        "reason": REASON,
        "granted_at": "2027-01-04T10:00:00+05:30",
        "expires_at": "2027-01-04T14:00:00+05:30",
        "file": body["file"],
    }
    assert opens(client, document) == 200
    log = DocumentAccessLog.objects.get(accessed_by=doctor.user)
    assert str(log.emergency_access_id) == body["id"]
    [told] = Notification.objects.filter(recipient=patient, kind=Kind.EMERGENCY_ACCESS)
    assert told.kind == Kind.EMERGENCY_ACCESS and REASON in told.body and "14:00" in told.body
    [owner] = Notification.objects.filter(recipient=clinic.owner)
    assert owner.kind == Kind.EMERGENCY_ACCESS_CLINIC and "Apollo Clinic" in owner.body
    morning.move_to(datetime(2027, 1, 4, 14, 0, 1, tzinfo=IST))
    assert opens(client, document) == 404  # EMERGENCY_ACCESS_HOURS are over


def test_emergency_access_refusals(auth_client, doctor, patient, settings):
    document = make_document(owner=patient)
    client = auth_client(doctor.user)
    assert_refused(
        emergency(client, document, reason="   too short     "),
        400,
        {"reason": ["Say why in at least 20 characters: it is shown to the patient."]},
    )
    unknown = make_document(owner=patient)
    unknown.is_deleted = True
    unknown.save()
    assert_refused(emergency(client, unknown), 404, {"message": "Document not found."})
    own = make_document(owner=doctor.user)
    assert_refused(emergency(client, own), 409, {"message": "This is your own document; open it as usual."})
    assert_refused(emergency(auth_client(patient), document), 403, {"message": "Only doctors can do this."})
    without_clinic = make_user(role=RoleId.DOCTOR)
    refused = emergency(auth_client(without_clinic), document)
    assert_refused(refused, 403, {"message": "Only a doctor of an active clinic can use emergency access."})
    settings.EMERGENCY_ACCESS_ENABLED = False
    assert_refused(emergency(client, document), 403, {"message": "Emergency access is turned off on this service."})
    assert not EmergencyAccess.objects.exists() and not Notification.objects.exists()


def test_the_fourth_in_a_day_is_429_and_the_next_day_opens_again(auth_client, doctor, patient, morning):
    client = auth_client(doctor.user)
    documents = [make_document(owner=patient, title=f"Report {i}") for i in range(4)]
    for document in documents[:3]:
        assert emergency(client, document).status_code == 201
    refused = emergency(client, documents[3])
    assert_throttled(refused)
    assert int(refused["Retry-After"]) == 14 * 3600  # until midnight, clinic time
    morning.move_to(datetime(2027, 1, 5, 0, 0, 1, tzinfo=IST))
    assert emergency(client, documents[3]).status_code == 201


def test_leaving_the_last_clinic_ends_an_emergency_access(auth_client, doctor, patient):
    document = make_document(owner=patient)
    client = auth_client(doctor.user)
    emergency(client, document)
    doctor.user.clinic_memberships.update(status="inactive")
    assert opens(client, document) == 404


# --- the patient's one log (5.2) ----------------------------------------------------------------------------------


def test_my_access_log_shows_everything_that_touched_me_newest_first(
    auth_client, doctor, clinic, patient, morning, client
):
    consented = make_document(owner=patient, title="CBC")
    make_consent(document=consented, doctor=doctor)
    auth_client(doctor.user).get(reverse("documents:detail", args=[consented.pk]))
    morning.shift(60)
    receptionist = make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user
    auth_client(receptionist).get(reverse("patient-lookup"), {"contact": patient.contact})
    morning.shift(60)
    urgent = make_document(owner=patient, title="ECG")
    emergency(auth_client(doctor.user), urgent)
    auth_client(doctor.user).get(reverse("documents:download", args=[urgent.pk]))
    morning.shift(60)
    operator = make_user(role=RoleId.SUPERADMIN, is_staff=True, is_superuser=True, name="Ops Priya")
    client.force_login(operator)
    assert client.get(reverse("admin:documents_document_change", args=[consented.pk])).status_code == 200
    auth_client(patient).get(reverse("documents:detail", args=[consented.pk]))  # their own: not shown
    events = auth_client(patient).get(reverse("my-access-log")).json()
    assert [(e["event"], e["by"]["name"], e["why"]) for e in events] == [
        ("document_view", "Ops Priya", "operator"),
        ("document_download", "Dr. Priya Sharma", "emergency"),
        ("emergency_access", "Dr. Priya Sharma", "emergency"),
        ("patient_lookup", receptionist.name, "lookup"),
        ("document_view", "Dr. Priya Sharma", "consent"),
    ]
    assert events[1]["emergency_reason"] == REASON and events[1]["document"] == {"id": str(urgent.pk), "title": "ECG"}
    assert events[2]["emergency_reason"] == REASON
    assert events[0]["at"] == "2027-01-04T10:03:00+05:30"
    paged = auth_client(patient).get(reverse("my-access-log"), {"limit": 2, "offset": 1}).json()
    assert paged["count"] == 5 and [e["event"] for e in paged["results"]] == ["document_download", "emergency_access"]
    assert auth_client(make_user()).get(reverse("my-access-log")).json() == []


@pytest.mark.parametrize("count", [1, 20])
def test_my_access_log_costs_the_same_for_one_and_twenty(
    auth_client, doctor, patient, count, django_assert_num_queries
):
    documents = [make_document(owner=patient, title=f"R{i}") for i in range(count)]
    for document in documents:
        make_consent(document=document, doctor=doctor)
        auth_client(doctor.user).get(reverse("documents:detail", args=[document.pk]))
        auth_client(doctor.user).get(reverse("patient-lookup"), {"contact": patient.contact})
    with django_assert_num_queries(3):  # the documents' log rows, the lookups, the emergency accesses
        assert len(auth_client(patient).get(reverse("my-access-log")).json()) == 2 * count


def test_other_doctors_see_nothing_of_it(auth_client, patient):
    other = make_doctor(name="Dr. Other")
    assert_refused(
        auth_client(make_user(role=RoleId.CLINIC_OWNER)).get(reverse("my-access-log")),
        403,
        {"message": "Only patients (and clinic staff, for their own records) can do this."},
    )
    assert auth_client(other.user).get(reverse("my-access-log")).json() == []


def test_a_clinic_names_its_grievance_officer_on_its_public_detail(api_client, auth_client, clinic, owner):
    url = reverse("clinic:detail", args=[clinic.id])
    body = {"grievance_officer_name": "Meera Iyer", "grievance_contact": "grievance@apollo.example"}
    assert auth_client(owner).patch(url, body, format="json").status_code == 200
    shown = api_client.get(url).json()
    assert (shown["grievance_officer_name"], shown["grievance_contact"]) == ("Meera Iyer", "grievance@apollo.example")
    refused = auth_client(make_user(role=RoleId.CLINIC_OWNER)).patch(url, body, format="json")
    assert_refused(refused, 403, {"message": "Only this clinic's owner can manage it."})


def test_every_kind_of_event_is_in_my_access_log(auth_client, doctor, clinic, patient, morning):
    from appointments.tests.factories import make_appointment
    from clinic.models import AdmissionDocumentType
    from documents.models import AdmissionSubmission
    from documents.tests.factories import pdf_upload

    make_appointment(doctor=doctor, on=datetime(2027, 1, 11).date(), patient=patient)
    consented = make_document(owner=patient, title="CBC")
    make_consent(document=consented, doctor=doctor)
    auth_client(doctor.user).get(reverse("documents:list"))  # listed, with its signed link
    morning.shift(60)
    lab = make_member(clinic=clinic, member_role=MemberRole.LAB_MEMBER).user
    upload = {"file": pdf_upload("lipids.pdf"), "document_type": "lab_report", "patient_id": str(patient.pk)}
    uploaded = auth_client(lab).post(reverse("documents:list"), upload, format="multipart").json()
    auth_client(lab).get(reverse("documents:detail", args=[uploaded["id"]]))
    morning.shift(60)
    item = AdmissionDocumentType.objects.create(clinic=clinic, name="Aadhaar")
    aadhaar = make_document(owner=patient, title="Aadhaar")
    AdmissionSubmission.objects.create(patient=patient, clinic=clinic, document_type=item, document=aadhaar)
    auth_client(clinic.owner).get(reverse("documents:download", args=[aadhaar.pk]))
    morning.shift(60)
    auth_client(doctor.user).get(reverse("documents:consent-doctor"))  # the consent's link to the file, issued
    events = auth_client(patient).get(reverse("my-access-log")).json()
    seen = [(e["event"], e["why"], (e["clinic"] or {}).get("name"), e["document"]["title"]) for e in events]
    assert seen == [
        ("document_listed", "consent", None, "CBC"),
        ("document_download", "admission", "Apollo Clinic", "Aadhaar"),
        ("document_view", "uploader", "Apollo Clinic", "lipids"),
        ("document_listed", "consent", None, "CBC"),
    ]
