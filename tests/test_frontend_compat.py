"""What the existing frontends send and read (contract quickcare-api-next.md section 1), row by row. Each test sends
the frontend's spelling and the spec's, and checks the answer in the spec's spelling."""

from datetime import time

import pytest
from django.urls import reverse

from appointments.tests.factories import make_appointment
from clinic.tests.factories import make_clinic, make_member
from doctors.tests.factories import make_window, next_weekday
from documents.tests.factories import make_consent, make_document, pdf_upload
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db


def act(client, consent, action, **extra):
    return client.patch(reverse("documents:consent-action", args=[consent.id]), {"action": action, **extra})


@pytest.mark.parametrize(("sent", "status"), [("granted", "granted"), ("rejected", "rejected"), ("grant", "granted")])
def test_row_1_2_consent_actions_accept_the_web_apps_spelling(auth_client, patient, doctor, sent, status):
    consent = make_consent(document=make_document(owner=patient), doctor=doctor, status="pending")
    response = act(auth_client(patient), consent, sent)
    assert response.status_code == 200 and response.json()["status"] == status


def test_row_1_2_a_rejected_or_revoked_consent_can_be_granted_again(auth_client, patient, doctor):
    consent = make_consent(document=make_document(owner=patient), doctor=doctor, status="rejected", days=-1)
    again = act(auth_client(patient), consent, "granted")
    assert again.status_code == 200 and again.json()["status"] == "granted"
    assert act(auth_client(patient), consent, "revoked").json()["status"] == "revoked"
    assert act(auth_client(patient), consent, "grant").json()["status"] == "granted"
    refused = act(auth_client(patient), consent, "reject")
    assert refused.status_code == 409
    assert refused.json() == {"message": "Cannot reject a consent that is granted. Allowed: revoke."}


def test_row_1_4_doctors_me_has_clinics_in_the_public_lists_shape(api_client, auth_client, doctor, clinic):
    mine = auth_client(doctor.user).get(reverse("doctors:me")).json()
    public = api_client.get(reverse("doctors:detail", args=[doctor.pk])).json()
    assert mine["clinics"] == public["clinics"] and mine["clinics"][0]["clinic_id"] == str(clinic.id)


WINDOW = {"day": "monday", "start_time": "09:00", "end_time": "12:00", "slot_duration_minutes": 15, "max_patients": 8}


def test_row_1_5_availability_without_clinic_uses_the_doctors_only_clinic(auth_client, doctor, clinic):
    response = auth_client(doctor.user).post(reverse("doctors:availability-list", args=[doctor.pk]), WINDOW)
    assert response.status_code == 201 and response.json()["clinic"] == str(clinic.id)


def test_row_1_5_a_doctor_of_two_clinics_must_say_which(auth_client, doctor, clinic):
    second = make_clinic(name="Second Clinic")
    make_member(clinic=second, user=doctor.user)
    response = auth_client(doctor.user).post(reverse("doctors:availability-list", args=[doctor.pk]), WINDOW)
    assert response.status_code == 400
    message = response.json()["clinic"][0]
    assert message.startswith("You work at several clinics; say which one:") and str(second.id) in message


def test_row_1_6_a_doctor_completes_a_pending_appointment_with_notes(auth_client, doctor, patient):
    from django.utils import timezone

    appointment = make_appointment(
        doctor=doctor, on=timezone.localdate(), at=time(0, 0), patient=patient, notes="Cough"
    )
    url = reverse("appointments:doctor-detail", args=[appointment.id])
    done = auth_client(doctor.user).patch(url, {"status": "completed", "notes": "Rest and fluids"})
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["notes"]) == ("completed", "Cough\n\nRest and fluids")


def test_row_1_6_a_future_pending_appointment_cannot_be_completed_yet(auth_client, doctor):
    appointment = make_appointment(doctor=doctor, on=next_weekday(0))
    refused = auth_client(doctor.user).patch(
        reverse("appointments:doctor-detail", args=[appointment.id]), {"status": "no_show"}
    )
    assert refused.status_code == 409
    assert refused.json() == {"message": "An appointment can be marked no_show only on or after its date."}


def test_row_1_6_cancellation_reason_is_kept_and_shown(auth_client, doctor, patient):
    make_window(doctor=doctor, day="monday")
    appointment = make_appointment(doctor=doctor, on=next_weekday(0), patient=patient)
    url = reverse("appointments:my-detail", args=[appointment.id])
    cancelled = auth_client(patient).patch(url, {"status": "cancelled", "cancellation_reason": "Feeling better"})
    assert cancelled.json()["cancellation_reason"] == "Feeling better"
    listed = auth_client(doctor.user).get(reverse("appointments:doctor-list")).json()
    assert listed[0]["cancellation_reason"] == "Feeling better"


def test_row_1_7_member_status_toggle(auth_client, owner, clinic, patient):
    member = make_member(clinic=clinic, user=patient, member_role="receptionist")
    url = reverse("clinic:member-detail", args=[clinic.id, member.id])
    off = auth_client(owner).put(url, {"status": "inactive"})
    assert off.status_code == 200 and off.json()["status"] == "inactive" and off.json()["left_at"]
    patient.refresh_from_db()
    assert patient.roles_id == 3  # back to patient, as DELETE does
    on = auth_client(owner).put(url, {"status": "active"})
    assert on.json()["status"] == "active" and on.json()["left_at"] is None
    patient.refresh_from_db()
    assert patient.roles_id == 5  # receptionist again


@pytest.mark.parametrize(("sent", "stored"), [("others", "other"), ("prefer_not_to_say", "prefer_not_to_say")])
def test_row_1_8_genders(auth_client, patient, sent, stored):
    response = auth_client(patient).patch(reverse("users:me"), {"gender": sent})
    assert response.status_code == 200 and response.json()["gender"] == stored
    refused = auth_client(patient).patch(reverse("users:me"), {"gender": "robot"})
    assert refused.status_code == 400 and "gender" in refused.json()


def test_row_1_9_empty_strings_mean_no_value_for_optional_numbers(auth_client, patient):
    body = {"height_cm": "", "weight_kg": "", "emergency_contact_number": ""}
    response = auth_client(patient).put(reverse("users:medical-profile"), body)
    assert response.status_code == 200
    assert (response.json()["height_cm"], response.json()["weight_kg"]) == (None, None)
    assert response.json()["emergency_contact_number"] is None
    assert auth_client(patient).patch(reverse("users:me"), {"age": ""}).json()["age"] is None
    refused = auth_client(patient).patch(reverse("users:medical-profile"), {"height_cm": "tall"})
    assert refused.status_code == 400 and "height_cm" in refused.json()


def test_row_1_10_title_defaults_to_the_file_name(auth_client, patient):
    body = {"file": pdf_upload("CBC March.pdf"), "document_type": "lab_report"}
    response = auth_client(patient).post(reverse("documents:list"), body, format="multipart")
    assert response.status_code == 201 and response.json()["title"] == "CBC March"


def test_row_1_11_documents_carry_created_at_and_filter_by_type(auth_client, patient):
    report, prescription = make_document(owner=patient), make_document(owner=patient, document_type="prescription")
    rows = auth_client(patient).get(reverse("documents:list"), {"type": "prescription"}).json()
    assert [r["id"] for r in rows] == [str(prescription.id)]
    assert rows[0]["created_at"] == rows[0]["uploaded_at"]
    assert_refused(
        auth_client(patient).get(reverse("documents:list"), {"type": "x"}),
        400,
        {"type": ["Select a valid choice. x is not one of the available choices."]},
    )
    assert str(report.id) not in [r["id"] for r in rows]


def test_rows_1_13_and_1_14_names_in_logs_and_documents(auth_client, patient, doctor):
    document = make_document(owner=patient, title="Chest X-ray")
    make_consent(document=document, doctor=doctor)
    seen = auth_client(doctor.user).get(reverse("documents:detail", args=[document.id])).json()
    assert seen["patient"] == {"id": str(patient.id), "name": patient.name}
    log = auth_client(patient).get(reverse("documents:access-log")).json()[0]
    assert log["document_title"] == "Chest X-ray" and log["accessed_by"]["role"] == "doctor"


def test_row_1_16_reason_is_accepted_as_notes(auth_client, doctor, patient):
    make_window(doctor=doctor, day="monday")
    body = {
        "doctor": doctor.pk,
        "appointment_date": next_weekday(0).isoformat(),
        "appointment_time": "09:00",
        "reason": "Back pain",
    }
    response = auth_client(patient).post(reverse("appointments:my-list"), body, format="json")
    assert response.status_code == 201 and response.json()["notes"] == "Back pain"
