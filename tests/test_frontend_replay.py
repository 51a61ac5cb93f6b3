"""The web app's and the mobile app's calls, replayed end to end against the dev server as `make run` starts it
(DEBUG on, SQLite, `runserver`): a clinic owner registers and sets up a clinic, adds a doctor who sets their hours,
a patient registers on the phone, books, cancels, books again, uploads, is asked for a document and approves it, the
doctor opens it from the link in the answer, and the patient's session survives two refreshes until logout. Every
call sends what the frontends send (contract quickcare-api-next.md section 1), not the spec's spelling."""

import json
import re
from datetime import date, timedelta

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from documents.tests.factories import PDF_BYTES, pdf_upload
from tests.live import DEV_SERVER, call, live_env, manage, serving

OWNER, DOCTOR, PATIENT = 9811111111, 9822222222, 9833333333
DAY = date.today() + timedelta(days=7)  # a week ahead: every slot of that day is still in the future


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    env = live_env(tmp, DEBUG="True")
    manage("migrate", "--noinput", env=env)
    with serving(DEV_SERVER, env) as base:
        yield base, tmp / "sms.jsonl"


class App:
    """One frontend's session: JSON calls with its bearer token."""

    def __init__(self, base, sms):
        self.base, self.sms, self.token = base, sms, None

    def __call__(self, method, path, body=None, expect=200, **kwargs):
        kwargs.setdefault("token", self.token)
        status, raw = call(self.base, method, path, body, **kwargs)
        answer = json.loads(raw) if raw else None
        assert status == expect, (method, path, status, answer)
        return answer

    def register(self, kind: str, contact: int, name: str) -> dict:
        self(
            "POST", f"/api/users/onboarding/{kind}/step1/", {"contact": contact, "name": name, "password": "Secret#123"}
        )
        message = [json.loads(line) for line in self.sms.read_text().splitlines()][-1]
        otp = re.search(r"\b(\d{6})\b", message["message"])[1]
        answer = self("POST", f"/api/users/onboarding/{kind}/step2/", {"contact": contact, "otp": otp}, expect=201)
        self.token = answer["access"]
        return answer


def test_the_frontends_calls_succeed_end_to_end(server):
    base, sms = server
    web_owner, web_doctor, mobile = App(base, sms), App(base, sms), App(base, sms)

    # The clinic owner (web) registers and creates the clinic with its hours.
    web_owner.register("clinic", OWNER, "Dr. Anil Gupta")
    clinic = web_owner(
        "POST",
        "/api/clinics/onboarding/step3/",
        {
            "name": "City Care Clinic",
            "clinic_type": "clinic",
            "phone": "9876543210",
            "email": "citycare@example.com",
            "address": "12, MG Road",
            "city": "Jaipur",
            "state": "Rajasthan",
            "pincode": "302001",
            "registration_number": "RJ-MED-2024-001",
            "time_slots": [
                {
                    "day_of_week": DAY.weekday(),
                    "start_time": "09:00",
                    "end_time": "13:00",
                    "slot_duration_minutes": 15,
                    "max_appointments": 20,
                }
            ],
        },
        expect=201,
    )["clinic"]

    # The doctor registers, is added by the owner, fills their profile and sets hours without naming the clinic.
    web_doctor.register("patient", DOCTOR, "Dr. Priya Sharma")
    member = web_owner(
        "POST",
        f"/api/clinics/{clinic['id']}/members/",
        {"contact": DOCTOR, "member_role": "doctor", "department": "Cardiology"},
        expect=201,
    )
    assert member["status"] == "active"
    login = web_doctor("POST", "/api/users/login/", {"contact": DOCTOR, "password": "Secret#123"}, token=None)
    web_doctor.token = login["access"]
    web_doctor("PUT", "/api/doctors/me/", {"specialty": "cardiology", "first_visit_fee": "500"})
    me = web_doctor("GET", "/api/doctors/me/")
    assert me["clinics"][0]["clinic_id"] == clinic["id"]
    hours = {
        "day": DAY.strftime("%A").lower(),
        "start_time": "09:00",
        "end_time": "13:00",
        "slot_duration_minutes": 15,
        "max_appointments": 20,
    }
    web_doctor("POST", f"/api/doctors/{me['id']}/availability/", {**hours, "max_patients": 20}, expect=201)

    # The patient (mobile) registers, completes the profile with the app's spellings, finds the doctor and books.
    mobile.register("patient", PATIENT, "Rahul Sharma")
    mobile(
        "PUT",
        "/api/users/onboarding/patient/step3/",
        {"gender": "others", "age": 28, "blood_group": "B+", "height_cm": "", "weight_kg": "", "email": ""},
    )
    listed = mobile("GET", "/api/doctors/", token=None)
    assert [doctor["id"] for doctor in listed] == [me["id"]]
    slots = mobile("GET", f"/api/doctors/{me['id']}/availability/slots/?date={DAY}&clinic_id={clinic['id']}")
    assert slots["available_slots"][:2] == ["09:00", "09:15"]
    booking = {"doctor": me["id"], "appointment_date": str(DAY), "appointment_type": "first_visit", "mode": "in_clinic"}
    first = mobile(
        "POST", "/api/appointments/my/", {**booking, "appointment_time": "09:00", "reason": "Chest pain"}, expect=201
    )
    assert first["status"] == "pending" and first["notes"] == "Chest pain"
    cancelled = mobile(
        "PATCH", f"/api/appointments/my/{first['id']}/", {"status": "cancelled", "cancellation_reason": "Busy"}
    )
    assert cancelled["status"] == "cancelled"
    second = mobile("POST", "/api/appointments/my/", {**booking, "appointment_time": "09:00"}, expect=201)

    # The doctor's day: both appointments are in their list for that date, the cancelled one with its reason.
    day_list = web_doctor("GET", f"/api/appointments/doctor/?date={DAY}")
    assert sorted((row["id"], row["status"]) for row in day_list) == [
        (first["id"], "cancelled"),
        (second["id"], "pending"),
    ]
    web_doctor("PATCH", f"/api/appointments/doctor/{second['id']}/", {"status": "confirmed"})

    # The doctor finds the patient by number and writes a prescription into their records.
    found = web_doctor("GET", f"/api/users/patient/lookup/?contact={PATIENT}")
    rx = encode_multipart(BOUNDARY, {"file": pdf_upload("rx.pdf"), "patient": found["id"], "title": "Paracetamol"})
    web_doctor("POST", "/api/prescriptions/", rx, content_type=MULTIPART_CONTENT, expect=201)
    assert [item["title"] for item in mobile("GET", "/api/prescriptions/")] == ["Paracetamol"]

    # The patient uploads a report without a title; the doctor asks for it; the web app approves with "granted".
    body = encode_multipart(BOUNDARY, {"file": pdf_upload("CBC Feb.pdf"), "document_type": "lab_report"})
    document = mobile("POST", "/api/documents/", body, content_type=MULTIPART_CONTENT, expect=201)
    assert document["title"] == "CBC Feb"
    asked = web_doctor(
        "POST",
        "/api/documents/consent/request/",
        {"document": document["id"], "purpose": "Before the visit"},
        expect=201,
    )
    [incoming] = mobile("GET", "/api/documents/consent/mine/")
    assert (incoming["doctor"], incoming["doctor_name"], incoming["document_title"]) == (
        me["id"],
        "Dr. Priya Sharma",
        "CBC Feb",
    )
    mobile("PATCH", f"/api/documents/consent/{asked['id']}/action/", {"action": "granted"})

    # The browser opens `file` with no header, from the consent list and from the document list.
    [granted] = web_doctor("GET", "/api/documents/consent/doctor/")
    for link in (granted["file"], web_doctor("GET", "/api/documents/")[0]["file"]):
        status, content = call(base, "GET", link.removeprefix(base))
        assert (status, content) == (200, PDF_BYTES)
    log = mobile("GET", "/api/documents/access-log/")
    downloads = [row for row in log if row["action"] == "download" and row["document_title"] == "CBC Feb"]
    assert [row["accessed_by"]["role"] for row in downloads] == ["doctor", "doctor"]

    # The admission card (mobile): the owner's checklist, the patient's clinics, one item ticked with the report;
    # the owner's web page lists it and opens the file through its link.
    item = web_owner("POST", f"/api/clinics/{clinic['id']}/admission-docs/", {"name": "Recent blood test"}, expect=201)
    [mine] = mobile("GET", "/api/appointments/my/clinics/")
    assert (mine["id"], mine["clinic_type"]) == (clinic["id"], "clinic")
    card = mobile("GET", f"/api/appointments/my/clinics/{clinic['id']}/admission-docs/")
    assert [(row["name"], row["is_required"], row["is_uploaded"]) for row in card] == [
        ("Recent blood test", True, False)
    ]
    mobile(
        "POST",
        f"/api/clinics/{clinic['id']}/admission-documents/",
        {"document": document["id"], "document_type": item["id"]},
        expect=201,
    )
    checklist = mobile("GET", f"/api/clinics/{clinic['id']}/admission-docs/patient/")
    assert checklist["mandatory_documents"][0]["document"] == document["id"]
    [submitted] = web_owner("GET", f"/api/clinics/{clinic['id']}/admission-documents/")
    assert call(base, "GET", submitted["file"].removeprefix(base)) == (200, PDF_BYTES)

    # The web app keeps the login's refresh token: two refreshes work, logout ends it.
    refresh = mobile("POST", "/api/users/login/", {"contact": PATIENT, "password": "Secret#123"}, token=None)["refresh"]
    for _ in range(2):
        assert set(mobile("POST", "/api/users/token/refresh/", {"refresh": refresh}, token=None)) == {"access"}
    mobile("POST", "/api/users/logout/", {"refresh": refresh}, expect=204)
    mobile("POST", "/api/users/token/refresh/", {"refresh": refresh}, token=None, expect=401)

    # Every answer under /api/ is JSON, debug mode included.
    assert mobile("GET", "/api/no-such-path/", expect=404) == {"message": "Not found."}


def test_the_web_apps_staff_pages_succeed_end_to_end(server):
    """Add staff without an account, member onboarding, patient lookup, a prescription, the clinic's day."""
    base, sms = server
    owner, lab, patient = App(base, sms), App(base, sms), App(base, sms)
    owner.register("clinic", 9844444444, "Dr. Owner")
    clinic = owner(
        "POST",
        "/api/clinics/onboarding/step3/",
        {"name": "Care Point", "clinic_type": "clinic", "city": "Pune", "time_slots": []},
        expect=201,
    )["clinic"]
    patient.register("patient", 9855555555, "Sita Devi")

    # The owner adds a lab technician who has no account; the SMS carries the temporary password.
    added = owner(
        "POST",
        f"/api/clinics/{clinic['id']}/members/",
        {"contact": 9866666666, "name": "Lab Tech", "member_role": "lab_member"},
        expect=201,
    )
    assert added["account_created"] is True and "temporary password" in added["_info"]
    text = [json.loads(line) for line in sms.read_text().splitlines()][-1]["message"]
    temporary = re.search(r"temporary password (\S+) within", text)[1]
    assert temporary not in json.dumps(added)
    signed_in = lab("POST", "/api/users/login/", {"contact": 9866666666, "password": temporary}, token=None)
    assert signed_in["onboarding_required"] is True
    lab.token = signed_in["access"]
    lab("GET", "/api/clinics/my/memberships/", expect=403)
    done = lab("PATCH", "/api/users/onboarding/member/complete/", {"password": "Lab-Secret#2026", "gender": "others"})
    lab.token = done["access"]
    assert lab("GET", "/api/clinics/my/memberships/")[0]["member_role"] == "lab_member"

    # The lab finds the patient by number; without a visit at this clinic it cannot add to their records.
    found = lab("GET", "/api/users/patient/lookup/?contact=9855555555")
    assert found["name"] == "Sita Devi"
    body = encode_multipart(
        BOUNDARY, {"file": pdf_upload("lipids.pdf"), "document_type": "lab_report", "patient_id": found["id"]}
    )
    refused = lab("POST", "/api/documents/", body, content_type=MULTIPART_CONTENT, expect=403)
    assert "patients you treat" in refused["message"]

    # The clinic's day is there for its owner, empty so far.
    day = owner("GET", f"/api/appointments/clinic/{clinic['id']}/dashboard/")
    assert day["clinic"] == "Care Point" and day["summary"]["total"] == 0
