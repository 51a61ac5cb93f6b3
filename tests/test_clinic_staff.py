"""Clinic staff (contract section 2): the care relationship, finding a patient (2.2), a patient's documents for the
doctor treating them (2.3)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from appointments.selectors import has_care_relationship
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole, MemberStatus, PatientLookup
from clinic.tests.factories import make_clinic, make_member
from doctors.tests.factories import make_doctor
from documents.models import AccessAction, DocumentAccessLog
from documents.tests.factories import make_consent, make_document
from tests.refusals import assert_refused, assert_throttled
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

NOT_FOUND = {"message": "Patient not found."}
STAFF_ONLY = {"message": "Only a clinic's doctors, lab members and receptionists can look up patients."}


def days_ago(n):
    return timezone.localdate() - timedelta(days=n)


# --- the care relationship: one definition, every condition ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "age_days", "related"),
    [
        (AppointmentStatus.PENDING, -3, True),
        (AppointmentStatus.CONFIRMED, 0, True),
        (AppointmentStatus.COMPLETED, 180, True),
        (AppointmentStatus.COMPLETED, 181, False),
        (AppointmentStatus.CANCELLED, 1, False),
        (AppointmentStatus.NO_SHOW, 1, False),
    ],
)
def test_a_care_relationship_is_a_recent_or_upcoming_kept_appointment(doctor, patient, status, age_days, related):
    make_appointment(doctor=doctor, on=days_ago(age_days), patient=patient, status=status)
    assert has_care_relationship(staff=doctor.user, patient_id=patient.pk) is related


def test_a_doctor_is_related_only_through_their_own_appointments(doctor, patient, clinic):
    colleague = make_doctor(clinic=clinic, name="Dr. Colleague")
    make_appointment(doctor=colleague, on=days_ago(1), patient=patient, status=AppointmentStatus.COMPLETED)
    assert not has_care_relationship(staff=doctor.user, patient_id=patient.pk)
    assert has_care_relationship(staff=colleague.user, patient_id=patient.pk)


@pytest.mark.parametrize("role", [MemberRole.LAB_MEMBER, MemberRole.RECEPTIONIST])
def test_lab_members_and_receptionists_are_related_through_any_appointment_at_their_clinic(
    doctor, patient, clinic, role
):
    staff = make_member(clinic=clinic, member_role=role).user
    elsewhere = make_member(clinic=make_clinic(), member_role=role).user
    make_appointment(doctor=doctor, on=days_ago(1), patient=patient, status=AppointmentStatus.COMPLETED)
    assert has_care_relationship(staff=staff, patient_id=patient.pk)
    assert not has_care_relationship(staff=elsewhere, patient_id=patient.pk)


def test_leaving_the_clinic_or_its_closing_ends_the_relationship_at_once(doctor, patient, clinic):
    make_appointment(doctor=doctor, on=days_ago(1), patient=patient, status=AppointmentStatus.COMPLETED)
    doctor.user.clinic_memberships.update(status=MemberStatus.INACTIVE)
    assert not has_care_relationship(staff=doctor.user, patient_id=patient.pk)
    doctor.user.clinic_memberships.update(status=MemberStatus.ACTIVE)
    type(clinic).objects.filter(pk=clinic.pk).update(is_active=False)
    assert not has_care_relationship(staff=doctor.user, patient_id=patient.pk)


# --- 2.2 finding a patient ---------------------------------------------------------------------------------------


def lookup(client, contact):
    return client.get(reverse("patient-lookup"), {"contact": contact})


@pytest.mark.parametrize("role", [MemberRole.DOCTOR, MemberRole.LAB_MEMBER, MemberRole.RECEPTIONIST])
def test_clinic_staff_find_a_patient_by_number_and_the_patient_can_see_it(auth_client, clinic, role):
    patient = make_user(name="Asha Verma", gender="female", age=34, blood_group="B+")
    staff = make_member(clinic=clinic, member_role=role).user
    response = lookup(auth_client(staff), f"+91 {patient.contact}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(patient.pk),
        "name": "Asha Verma",
        "contact": int(patient.contact),
        "gender": "female",
        "age": 34,
        "blood_group": "B+",
    }
    record = PatientLookup.objects.get()
    assert (record.patient_id, record.looked_up_by_id, record.ip_address) == (patient.pk, staff.pk, "127.0.0.1")


def test_an_unknown_number_or_a_non_patient_is_404_and_not_recorded(auth_client, doctor, owner):
    client = auth_client(doctor.user)
    assert_refused(lookup(client, 9898989898), 404, {"message": "No patient uses this number."})
    assert_refused(lookup(client, owner.contact), 404, {"message": "No patient uses this number."})
    assert not PatientLookup.objects.exists()


@pytest.mark.parametrize("who", ["patient", "owner", "former doctor"])
def test_only_current_clinic_staff_may_look_up(auth_client, patient, owner, doctor, who):
    if who == "former doctor":
        doctor.user.clinic_memberships.update(status=MemberStatus.INACTIVE)
    user = {"patient": patient, "owner": owner, "former doctor": doctor.user}[who]
    assert_refused(lookup(auth_client(user), make_user().contact), 403, STAFF_ONLY)


def test_a_bad_number_is_a_field_error(auth_client, doctor):
    assert_refused(
        lookup(auth_client(doctor.user), "12345"), 400, {"contact": ["A mobile number has 10 digits; this one has 5."]}
    )


def test_lookups_are_throttled_per_staff_member(auth_client, doctor, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "patient_lookup_user": "2/hour",
        },
    }
    patient = make_user()
    client = auth_client(doctor.user)
    for _ in range(2):
        assert lookup(client, patient.contact).status_code == 200
    assert_throttled(lookup(client, patient.contact))


# --- 2.3 a patient's documents for the doctor treating them ------------------------------------------------------


def patient_docs(client, patient):
    return client.get(reverse("documents:patient-docs"), {"patient_id": str(patient.pk)})


def test_a_treating_doctor_sees_metadata_and_their_consent_status_never_a_file(auth_client, doctor, patient):
    make_appointment(doctor=doctor, on=days_ago(2), patient=patient, status=AppointmentStatus.COMPLETED)
    asked = make_document(owner=patient, title="CBC")
    never = make_document(owner=patient, title="X-ray", document_type="imaging")
    make_consent(document=asked, doctor=doctor, status="rejected")
    make_consent(document=asked, doctor=doctor, status="pending")  # the latest one counts
    make_document(owner=make_user(), title="Someone else's")
    response = patient_docs(auth_client(doctor.user), patient)
    assert response.status_code == 200
    body = response.json()
    assert body["patient"] == {"id": str(patient.pk), "name": patient.name, "contact": int(patient.contact)}
    assert body["total"] == 2
    rows = {row["title"]: row for row in body["documents"]}
    assert set(rows) == {"CBC", "X-ray"}
    assert rows["CBC"]["consent_status"] == "pending" and rows["X-ray"]["consent_status"] is None
    assert set(rows["X-ray"]) == {"id", "title", "document_type", "uploaded_by_role", "created_at", "consent_status"}
    assert rows["X-ray"]["uploaded_by_role"] == "patient" and rows["X-ray"]["id"] == str(never.pk)
    logged = DocumentAccessLog.objects.filter(accessed_by=doctor.user, action=AccessAction.LIST)
    assert sorted(logged.values_list("document__title", flat=True)) == ["CBC", "X-ray"]


def test_an_expired_consent_shows_as_expired(auth_client, doctor, patient):
    make_appointment(doctor=doctor, on=days_ago(2), patient=patient, status=AppointmentStatus.COMPLETED)
    consent = make_consent(document=make_document(owner=patient), doctor=doctor)
    with time_machine.travel(consent.expires_at + timedelta(seconds=1)):
        rows = patient_docs(auth_client(doctor.user), patient).json()["documents"]
    assert [row["consent_status"] for row in rows] == ["expired"]


def test_without_a_care_relationship_the_patient_is_not_found(auth_client, doctor, patient, clinic):
    make_document(owner=patient)
    make_appointment(doctor=doctor, on=days_ago(2), patient=patient, status=AppointmentStatus.CANCELLED)
    assert_refused(patient_docs(auth_client(doctor.user), patient), 404, NOT_FOUND)
    assert_refused(patient_docs(auth_client(doctor.user), make_user()), 404, NOT_FOUND)
    assert not DocumentAccessLog.objects.exists()


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.CLINIC_OWNER, RoleId.LAB_MEMBER, RoleId.RECEPTIONIST])
def test_only_doctors_list_a_patients_documents(auth_client, patient, role):
    assert_refused(
        patient_docs(auth_client(make_user(role=role)), patient), 403, {"message": "Only doctors can do this."}
    )


def test_a_bad_patient_id_is_a_field_error(auth_client, doctor):
    response = auth_client(doctor.user).get(reverse("documents:patient-docs"), {"patient_id": "nope"})
    assert_refused(response, 400, {"patient_id": ["Must be a valid UUID."]})


@pytest.mark.parametrize("count", [1, 20])
def test_patient_docs_query_count(auth_client, doctor, patient, django_assert_num_queries, count):
    make_appointment(doctor=doctor, on=days_ago(2), patient=patient, status=AppointmentStatus.COMPLETED)
    for number in range(count):
        make_consent(document=make_document(owner=patient, title=f"Report {number}"), doctor=doctor)
    client = auth_client(doctor.user)
    # the patient, the relationship, the documents with consents, the end of the patient's log chain, one INSERT
    with django_assert_num_queries(5):
        assert patient_docs(client, patient).json()["total"] == count
