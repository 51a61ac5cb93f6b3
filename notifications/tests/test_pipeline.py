"""The notification pipeline (contract section 4): rows written with what caused them, sent once after the commit,
retried with backoff, never holding a secret; every trigger; reminders; the recipient's list; the waitlist."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment, WaitlistEntry
from appointments.services import appointment_move
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole
from clinic.tests.factories import make_clinic, make_member
from doctors.tests.factories import make_doctor, make_window
from documents.tests.factories import make_consent, make_document, pdf_upload
from notifications import services
from notifications.models import DeliveryStatus, Kind, Notification
from notifications.templates import ROLES, TEMPLATES, render
from tests.refusals import assert_refused
from users.sms import MemorySMSBackend, PermanentSMSError, SMSError
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
MONDAY = date(2027, 1, 4)
NEXT_MONDAY = MONDAY + timedelta(days=7)


@pytest.fixture(autouse=True)
def sunday_evening():
    """18:00 clinic time the day before a Monday of appointments."""
    with time_machine.travel(datetime(2027, 1, 3, 18, 0, tzinfo=IST), tick=False) as traveller:
        yield traveller


@pytest.fixture
def doctor(clinic):
    doctor = make_doctor(clinic=clinic)
    make_window(doctor=doctor, day="monday", start=time(9), end=time(13))
    return doctor


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run what commits enqueue (the immediate backend delivers at once): sent(fn) -> fn's result."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def book(client, doctor, at="09:00", on=MONDAY):
    body = {"doctor": doctor.id, "appointment_date": on.isoformat(), "appointment_time": at}
    return client.post(reverse("appointments:my-list"), body, format="json")


def kinds(recipient) -> list[str]:
    return sorted(Notification.objects.filter(recipient=recipient).values_list("kind", flat=True))


# --- templates ----------------------------------------------------------------------------------------------------

CONTEXT = {
    "doctor": "Dr. Priya Sharma",
    "clinic": "Apollo Clinic",
    "date": "04-01-2027",
    "time": "09:00",
    "token": 3,
    "reason": "",
    "document": "CBC",
    "purpose": "Review",
    "patient": "Rahul",
    "answer": "granted",
    "role": ROLES["doctor"],
    "uploader": "Lab Tech",
    "opener": "Dr. Priya Sharma",
    "until": "04-01-2027 14:00",
}


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_every_template_renders_in_english_and_hindi(kind):
    english, hindi = render(kind, "en", CONTEXT), render(kind, "hi", CONTEXT)
    for title, body in (english, hindi):
        assert title and body and "%(" not in body
    assert english != hindi
    assert all("\u0900" <= ch <= "\u097f" for ch in hindi[0] if ch.isalpha())  # the Hindi title is Devanagari


def test_the_recipients_language_and_words_of_ours_are_translated(patient):
    patient.preferred_language = "hi"
    patient.save()
    row = services.notify(
        recipient=patient, kind=Kind.MEMBER_ADDED, context={"clinic": "Apollo", "role": ROLES["doctor"]}
    )
    assert row.language == "hi" and "डॉक्टर" in row.body and row.title == "आपको एक क्लिनिक में जोड़ा गया"


# --- delivery -----------------------------------------------------------------------------------------------------


def test_a_booking_is_confirmed_by_sms_after_the_commit_and_reminders_wait(
    auth_client, doctor, patient, sent, sms_outbox
):
    response = sent(lambda: book(auth_client(patient), doctor))
    assert response.status_code == 201
    confirmation = Notification.objects.get(kind=Kind.BOOKING_CONFIRMED)
    assert (confirmation.status, confirmation.attempts, confirmation.sent_channel) == ("sent", 1, "sms")
    assert sms_outbox[0] == {"contact": patient.contact, "message": confirmation.body}
    assert "Dr. Priya Sharma" in confirmation.body and "Token" not in confirmation.title
    # REMINDER_HOURS_BEFORE is 24,2: 24 h before 09:00 Monday has passed on Sunday 18:00, so only the 2-hour one.
    [reminder] = Notification.objects.filter(kind=Kind.REMINDER)
    assert (reminder.send_after, reminder.status) == (datetime(2027, 1, 4, 7, 0, tzinfo=IST), "queued")
    later = sent(lambda: book(auth_client(patient), doctor, on=NEXT_MONDAY)).json()
    planned = Notification.objects.filter(kind=Kind.REMINDER, appointment_id=later["id"]).order_by("send_after")
    assert [r.send_after for r in planned] == [
        datetime(2027, 1, 10, 9, 0, tzinfo=IST),
        datetime(2027, 1, 11, 7, 0, tzinfo=IST),
    ]


def test_reminders_go_out_at_their_time_and_are_cancelled_or_moved_with_the_appointment(
    auth_client, doctor, patient, sent, sms_outbox, sunday_evening
):
    booked = sent(lambda: book(auth_client(patient), doctor, at="10:00")).json()
    # 24 h before 10:00 Monday is already past on Sunday 18:00: only the 2-hour reminder is planned.
    [reminder] = Notification.objects.filter(kind=Kind.REMINDER)
    assert reminder.send_after == datetime(2027, 1, 4, 8, 0, tzinfo=IST)
    assert services.sweep() == 0  # not yet
    sunday_evening.move_to(datetime(2027, 1, 4, 8, 0, 30, tzinfo=IST))
    assert sent(services.sweep) == 1
    reminder.refresh_from_db()
    assert reminder.status == "sent" and sms_outbox[-1]["message"].startswith("Reminder:")
    # A move cancels what is still waiting and plans the new time's reminders.
    sunday_evening.move_to(datetime(2027, 1, 4, 8, 30, tzinfo=IST))
    url = reverse("appointments:my-reschedule", args=[booked["id"]])
    sent(
        lambda: auth_client(patient).post(
            url, {"appointment_date": NEXT_MONDAY.isoformat(), "appointment_time": "09:00"}, format="json"
        )
    )
    planned = Notification.objects.filter(kind=Kind.REMINDER, status="queued").order_by("send_after")
    assert [r.send_after for r in planned] == [
        datetime(2027, 1, 10, 9, 0, tzinfo=IST),
        datetime(2027, 1, 11, 7, 0, tzinfo=IST),
    ]
    assert Notification.objects.filter(kind=Kind.BOOKING_RESCHEDULED).count() == 1
    sent(
        lambda: auth_client(patient).patch(
            reverse("appointments:my-detail", args=[booked["id"]]), {"status": "cancelled"}
        )
    )
    assert not Notification.objects.filter(kind=Kind.REMINDER, status="queued").exists()
    assert Notification.objects.filter(kind=Kind.REMINDER, status="cancelled").count() == 2
    assert kinds(patient).count(Kind.BOOKING_CANCELLED) == 1


def test_a_task_that_runs_twice_sends_once(patient, sent, sms_outbox):
    row = sent(lambda: services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT))
    assert services.deliver(row.pk) == "not due"
    assert len(sms_outbox) == 1


def test_a_claimed_row_is_not_sent_by_a_second_worker_until_its_lease_ends(patient, sunday_evening):
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    Notification.objects.filter(pk=row.pk).update(claimed_until=datetime(2027, 1, 3, 18, 2, tzinfo=IST))
    assert services.deliver(row.pk) == "not due"
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 3, tzinfo=IST))  # the worker died; its lease ran out
    assert services.sweep() == 1  # the sweep finds it (and the immediate backend sends it)
    assert Notification.objects.get(pk=row.pk).status == "sent"


class FlakyProvider:
    """A provider that fails `failures` times with `error`, then accepts."""

    def __init__(self, failures, error):
        self.failures, self.error, self.calls = failures, error, 0

    def send(self, *, contact, message, **details):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "provider-42"


def test_a_timeout_is_retried_with_backoff_then_sent(patient, monkeypatch, settings, sunday_evening):
    provider = FlakyProvider(2, SMSError("timed out"))
    monkeypatch.setattr("notifications.channels.get_sms_backend", lambda: provider)
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at, row.error) == (
        "queued",
        1,
        datetime(2027, 1, 3, 18, 0, 30, tzinfo=IST),
        "timed out",
    )
    assert services.deliver(row.pk) == "not due"  # not before its time
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 0, 31, tzinfo=IST))
    assert services.deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert row.next_attempt_at == datetime(2027, 1, 3, 18, 1, 31, tzinfo=IST)  # 60 s: doubled
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 2, tzinfo=IST))
    assert services.deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 3, "provider-42")


def test_retries_stop_at_the_maximum(patient, monkeypatch, settings, sunday_evening):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    monkeypatch.setattr("notifications.channels.get_sms_backend", lambda: FlakyProvider(99, SMSError("5xx")))
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    for minute in range(3):
        sunday_evening.move_to(datetime(2027, 1, 3, 18, 5 * minute, tzinfo=IST))
        services.deliver(row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("failed", 3, "5xx Gave up after 3 attempts.")


def test_a_permanent_refusal_is_not_retried_and_keeps_the_reason(patient, monkeypatch):
    provider = FlakyProvider(99, PermanentSMSError("The SMS provider answered 400."))
    monkeypatch.setattr("notifications.channels.get_sms_backend", lambda: provider)
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    assert services.deliver(row.pk) == "failed"
    assert services.sweep() == 0 and provider.calls == 1
    row.refresh_from_db()
    assert (row.status, row.error) == ("failed", "The SMS provider answered 400.")


def test_a_recipient_without_a_number_is_skipped_with_a_reason(patient, sms_outbox):
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    type(patient).objects.filter(pk=patient.pk).update(is_active=False)
    assert services.deliver(row.pk) == "failed"
    assert Notification.objects.get(pk=row.pk).error == "The recipient has no phone number to send to."
    assert sms_outbox == []


def test_whatsapp_goes_by_sms_when_whatsapp_fails(patient, sent, sms_outbox, settings):
    patient.preferred_channel = "whatsapp"
    patient.save()
    settings.WHATSAPP_HTTP_URL = ""  # not configured: the WhatsApp backend fails
    row = sent(lambda: services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT))
    row.refresh_from_db()
    assert (row.channel, row.sent_channel, row.status) == ("whatsapp", "sms", "sent") and len(sms_outbox) == 1


def test_whatsapp_is_used_when_it_works(patient, sent, sms_outbox, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "notifications.channels._whatsapp_class",
        lambda path: type("Ok", (), {"send": lambda self, **kwargs: calls.append(kwargs) or "wa-1"}),
    )
    patient.preferred_channel = "whatsapp"
    patient.save()
    row = sent(lambda: services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT))
    row.refresh_from_db()
    assert (row.sent_channel, row.provider_message_id, sms_outbox) == ("whatsapp", "wa-1", [])
    assert calls[0]["reference"] == str(row.pk)


# --- what triggers which message ----------------------------------------------------------------------------------


def test_the_consent_request_and_its_answer(auth_client, doctor, patient, sent):
    document = make_document(owner=patient, title="CBC")
    response = sent(
        lambda: auth_client(doctor.user).post(
            reverse("documents:consent-request"), {"document": str(document.pk), "purpose": "Review"}, format="json"
        )
    )
    assert kinds(patient) == [Kind.CONSENT_REQUESTED]
    url = reverse("documents:consent-action", args=[response.json()["id"]])
    sent(lambda: auth_client(patient).patch(url, {"action": "grant"}, format="json"))
    [answer] = Notification.objects.filter(recipient=doctor.user)
    assert answer.kind == Kind.CONSENT_ANSWERED and answer.body.endswith(": granted.")


def test_a_staff_upload_tells_the_patient(auth_client, doctor, patient, sent):
    make_appointment(doctor=doctor, on=MONDAY, patient=patient)
    body = {"file": pdf_upload("cbc.pdf"), "document_type": "lab_report", "patient_id": str(patient.pk), "title": "CBC"}
    sent(lambda: auth_client(doctor.user).post(reverse("documents:list"), body, format="multipart"))
    [row] = Notification.objects.filter(recipient=patient)
    assert row.kind == Kind.DOCUMENT_UPLOADED and '"CBC"' in row.body and "Apollo Clinic" in row.body


def test_document_opened_alerts_are_one_per_doctor_patient_and_day(auth_client, doctor, patient, sunday_evening):
    documents = [make_document(owner=patient, title=t) for t in ("CBC", "X-ray")]
    for document in documents:
        make_consent(document=document, doctor=doctor)
    client = auth_client(doctor.user)
    for document in documents * 2:
        client.get(reverse("documents:detail", args=[document.pk]))
    auth_client(patient).get(reverse("documents:detail", args=[documents[0].pk]))  # their own: no alert
    assert kinds(patient) == [Kind.DOCUMENT_OPENED]
    sunday_evening.move_to(datetime(2027, 1, 4, 10, 0, tzinfo=IST))
    client.get(reverse("documents:detail", args=[documents[0].pk]))
    assert kinds(patient) == [Kind.DOCUMENT_OPENED] * 2


def test_the_desk_and_the_doctor_cancelling_tell_the_patient(doctor, patient):
    appointment = make_appointment(doctor=doctor, on=MONDAY, patient=patient)
    appointment_move(appointment=appointment, to="cancelled", actor="doctor", reason="Emergency", by=doctor.user)
    [row] = Notification.objects.filter(recipient=patient)
    assert row.kind == Kind.BOOKING_CANCELLED and row.body.endswith("is cancelled. Emergency")


def test_a_walk_in_is_told_how_to_claim_the_account(auth_client, doctor, clinic):
    receptionist = make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user
    body = {"doctor": doctor.id, "appointment_date": MONDAY.isoformat(), "appointment_time": "09:00"}
    auth_client(receptionist).post(
        reverse("appointments:clinic-list", args=[clinic.id]), {**body, "contact": 9811122233, "name": "Walk In"}
    )
    [row] = Notification.objects.filter(recipient__contact="9811122233").exclude(kind=Kind.REMINDER)
    assert row.kind == Kind.WALK_IN_BOOKED and "register in the app" in row.body


def test_no_otp_or_password_is_ever_stored(api_client, auth_client, owner, clinic, sms_outbox, sent):
    sent(
        lambda: api_client.post(
            reverse("users:patient-step1"),
            {"contact": 9822222222, "name": "Asha", "password": "Secret#123"},
            format="json",
        )
    )
    added = sent(
        lambda: auth_client(owner).post(
            reverse("clinic:member-list", args=[clinic.id]),
            {"contact": 9833333333, "name": "New Lab", "member_role": "lab_member"},
            format="json",
        )
    )
    assert added.status_code == 201
    secrets = [
        word
        for sms in sms_outbox
        for word in sms["message"].replace(".", " ").split()
        if any(c.isdigit() for c in word) and len(word) >= 6
    ]
    assert secrets  # the OTP and the temporary password went out by SMS...
    stored = " ".join(Notification.objects.values_list("body", flat=True))
    assert not [secret for secret in secrets if secret in stored]  # ...and are in no stored message
    [invitation] = Notification.objects.filter(kind=Kind.STAFF_INVITATION)
    assert (invitation.status, invitation.recipient.contact) == ("sent", "9833333333")


# --- the recipient's list -----------------------------------------------------------------------------------------


def test_my_notifications_and_marking_one_read(auth_client, patient, other_patient):
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    services.notify(recipient=patient, kind=Kind.REMINDER, context=CONTEXT, send_after=datetime(2027, 2, 1, tzinfo=IST))
    listed = auth_client(patient).get(reverse("my-notifications")).json()
    assert listed == [
        {
            "id": str(row.pk),
            "kind": "slot_freed",
            "title": "A time is free",
            "body": row.body,
            "created_at": listed[0]["created_at"],
            "read_at": None,
            "channel": "sms",
            "delivery_status": "queued",
        }
    ]  # the reminder still waiting for its time is not shown
    url = reverse("my-notification-read", args=[row.pk])
    read = auth_client(patient).post(url).json()
    assert read["read_at"] is not None and auth_client(patient).post(url).json()["read_at"] == read["read_at"]
    assert_refused(auth_client(other_patient).post(url), 404, {"message": "Not found."})


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_costs_the_same_for_one_and_thirty(auth_client, patient, count, django_assert_num_queries):
    for _ in range(count):
        services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    with django_assert_num_queries(1):
        assert len(auth_client(patient).get(reverse("my-notifications")).json()) == count


def test_the_language_and_channel_are_the_persons_to_choose(auth_client, patient):
    response = auth_client(patient).patch(
        reverse("users:me"), {"preferred_language": "hi", "preferred_channel": "whatsapp"}, format="json"
    )
    assert (response.json()["preferred_language"], response.json()["preferred_channel"]) == ("hi", "whatsapp")
    refused = auth_client(patient).patch(reverse("users:me"), {"preferred_language": "fr"}, format="json")
    assert_refused(refused, 400, {"preferred_language": ['"fr" is not a valid choice.']})


def test_health_reports_the_queue_and_is_503_when_it_is_stale(api_client, patient, settings, sunday_evening):
    services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 5, tzinfo=IST))
    healthy = api_client.get(reverse("health")).json()
    assert healthy["queue"] == {"oldest_queued_seconds": 300, "failed": 0} and healthy["notifications"] == "ok"
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 11, tzinfo=IST))
    stale = api_client.get(reverse("health"))
    assert stale.status_code == 503 and stale.json()["notifications"] == "stale"


# --- the waitlist -------------------------------------------------------------------------------------------------


def test_a_freed_time_is_offered_to_the_waitlist_in_joining_order(
    auth_client, doctor, patient, sent, sms_outbox, sunday_evening
):
    waiting = [make_user(), make_user()]
    for person in waiting:
        sunday_evening.shift(60)
        joined = auth_client(person).post(
            reverse("appointments:waitlist"), {"doctor": doctor.id, "date": MONDAY.isoformat()}, format="json"
        )
        assert joined.status_code == 201
    booked = book(auth_client(patient), doctor).json()
    sent(
        lambda: auth_client(patient).patch(
            reverse("appointments:my-detail", args=[booked["id"]]), {"status": "cancelled"}
        )
    )
    offers = [sms for sms in sms_outbox if sms["message"].startswith("A time with")]
    assert [sms["contact"] for sms in offers] == [person.contact for person in waiting]  # sent in joining order
    assert "09:00" in offers[0]["message"]
    assert WaitlistEntry.objects.filter(notified_at__isnull=False).count() == 2


def test_waitlist_endpoints(auth_client, doctor, clinic, patient, other_patient):
    client = auth_client(patient)
    url = reverse("appointments:waitlist")
    created = client.post(
        url, {"doctor": doctor.id, "date": MONDAY.isoformat(), "clinic": str(clinic.id)}, format="json"
    )
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "doctor": doctor.id,
        "doctor_name": "Dr. Priya Sharma",
        "clinic": str(clinic.id),
        "date": "2027-01-04",
        "created_at": created.json()["created_at"],
        "notified_at": None,
    }
    again = client.post(url, {"doctor": doctor.id, "date": MONDAY.isoformat()}, format="json")
    assert_refused(again, 409, {"message": "You are already on this doctor's waitlist for that day."})
    assert [row["id"] for row in client.get(url).json()] == [created.json()["id"]]
    assert auth_client(other_patient).get(url).json() == []
    detail = reverse("appointments:waitlist-detail", args=[created.json()["id"]])
    assert_refused(auth_client(other_patient).delete(detail), 404, {"message": "Not found."})
    assert client.delete(detail).status_code == 204
    assert_refused(
        client.post(url, {"doctor": doctor.id, "date": "2027-01-02"}, format="json"),
        400,
        {"date": ["That day has passed."]},
    )
    assert_refused(
        client.post(url, {"doctor": 999999, "date": MONDAY.isoformat()}, format="json"),
        400,
        {"doctor": ['Invalid pk "999999" - object does not exist.']},
    )
    other_clinic = make_clinic()
    assert_refused(
        client.post(
            url, {"doctor": doctor.id, "date": MONDAY.isoformat(), "clinic": str(other_clinic.id)}, format="json"
        ),
        400,
        {"clinic": ["The doctor does not see patients at this clinic."]},
    )
    assert_refused(auth_client(doctor.user).get(url), 403, {"message": "Only patients can do this."})
    assert not Appointment.objects.exists()


def test_sweep_requeues_a_row_whose_task_was_lost(patient, sunday_evening, settings):
    row = services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT)
    Notification.objects.filter(pk=row.pk).update(enqueued_at=datetime(2027, 1, 3, 18, 0, tzinfo=IST))
    assert services.sweep() == 0  # enqueued a moment ago: its task is still expected
    sunday_evening.move_to(datetime(2027, 1, 3, 18, 3, tzinfo=IST))
    assert services.sweep() == 1
    assert Notification.objects.get(pk=row.pk).status == DeliveryStatus.SENT


def test_the_sweep_reads_due_rows_in_one_query(patient, django_assert_max_num_queries):
    for _ in range(5):
        Notification.objects.create(
            recipient=patient, kind=Kind.SLOT_FREED, channel="sms", language="en", title="t", body="b", status="sent"
        )
    with CaptureQueriesContext(connection) as queries:
        services.sweep()
    assert len(queries) == 1
    assert MemorySMSBackend.outbox == []


def test_tasks_run_on_the_configured_backend(settings, patient, sent):
    """The suite runs on the immediate backend, and in CI once more on Redis (TASKS_BACKEND=rq, jobs run at once)."""
    from django.tasks import task_backends

    expected = {"immediate": "ImmediateBackend", "rq": "RQBackend", "database": "DatabaseBackend"}
    assert type(task_backends["default"]).__name__ == expected[settings.TASKS_BACKEND]
    row = sent(lambda: services.notify(recipient=patient, kind=Kind.SLOT_FREED, context=CONTEXT))
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_leave_tells_its_patients_in_one_go_and_offers_nothing_to_the_waitlist(auth_client, doctor, patient):
    others = [make_user() for _ in range(3)]
    for number, person in enumerate([patient, *others]):
        book(auth_client(person), doctor, at=f"09:{15 * number:02d}")
    waiting = make_user()
    auth_client(waiting).post(
        reverse("appointments:waitlist"), {"doctor": doctor.id, "date": MONDAY.isoformat()}, format="json"
    )
    body = {
        "start_date": MONDAY.isoformat(),
        "end_date": MONDAY.isoformat(),
        "reason": "Ill",
        "cancel_appointments": True,
    }
    with CaptureQueriesContext(connection) as queries:
        assert auth_client(doctor.user).post(reverse("doctors:leave-list"), body, format="json").status_code == 201
    cancelled = Notification.objects.filter(kind=Kind.BOOKING_CANCELLED)
    assert sorted(row.recipient_id for row in cancelled) == sorted(p.pk for p in [patient, *others])
    assert not Notification.objects.filter(kind=Kind.SLOT_FREED).exists()  # the times went to the leave
    assert not Notification.objects.filter(kind=Kind.REMINDER, status="queued").exists()
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "notifications_')]
    assert len(inserts) == 1  # the four messages in one INSERT
