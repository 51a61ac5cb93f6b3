"""The tamper-evident logs (contract 5.1): every access-log, lookup and appointment-history row joins its patient's
hash chain in the transaction that writes it; `verify_access_log` finds the first row that was changed or removed;
PostgreSQL itself refuses UPDATE and DELETE; the chain stays linear under concurrent writes."""

import threading
from datetime import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from appointments.models import AppointmentHistory
from appointments.services import appointment_book
from clinic.models import PatientLookup
from doctors.tests.factories import make_doctor, make_window, next_weekday
from documents.models import AccessAction, DocumentAccessLog
from documents.services import document_open
from documents.tests.factories import make_consent, make_document
from QuickCare.chain import GENESIS, entry_hash, verify
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger and row locks are PostgreSQL's"
)


def verify_command() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_access_log", stdout=out, stderr=err)
        return 0, out.getvalue()
    except SystemExit as exit_:
        return exit_.code, err.getvalue()


def raw(sql, params=()):
    """Write to a log table behind the application's back (on PostgreSQL with triggers off, as only a superuser can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def db_id(row):
    return row._meta.pk.get_db_prep_value(row.pk, connection)


@pytest.fixture
def opened(auth_client, patient, doctor):
    """A doctor viewed and downloaded two of the patient's documents; the patient opened one of their own."""
    documents = [make_document(owner=patient, title=title) for title in ("CBC", "X-ray")]
    for document in documents:
        make_consent(document=document, doctor=doctor)
        auth_client(doctor.user).get(reverse("documents:detail", args=[document.pk]))
        auth_client(doctor.user).get(reverse("documents:download", args=[document.pk]))
    auth_client(patient).get(reverse("documents:detail", args=[documents[0].pk]))
    return list(DocumentAccessLog.objects.order_by("chain_seq"))


def test_every_access_joins_the_patients_chain_in_order(opened, patient):
    assert [row.chain_seq for row in opened] == [1, 2, 3, 4, 5]
    assert opened[0].prev_hash == GENESIS
    for before, row in zip(opened, opened[1:], strict=False):
        assert row.prev_hash == before.entry_hash
        assert row.entry_hash == entry_hash(before.entry_hash, row, DocumentAccessLog.CHAIN_FIELDS)
    assert {row.chain_owner_id for row in opened} == {patient.pk}
    status, output = verify_command()
    assert status == 0 and "documents.DocumentAccessLog: 5 rows, every chain whole." in output


def test_each_patient_has_a_chain_of_their_own(opened, other_patient, doctor):
    theirs = make_document(owner=other_patient)
    make_consent(document=theirs, doctor=doctor)
    document_open(user=doctor.user, document_id=theirs.pk, ip=None, action=AccessAction.VIEW)
    row = DocumentAccessLog.objects.get(chain_owner=other_patient)
    assert (row.chain_seq, row.prev_hash) == (1, GENESIS)
    assert verify(DocumentAccessLog) == (6, None)


def test_lookups_and_history_are_chained_too(auth_client, doctor, patient):
    auth_client(doctor.user).get(reverse("patient-lookup"), {"contact": patient.contact})
    [lookup] = PatientLookup.objects.all()
    assert (lookup.chain_owner_id, lookup.chain_seq) == (patient.pk, 1)
    assert verify(PatientLookup) == (1, None)
    make_window(doctor=doctor)
    appointment = appointment_book(patient=patient, doctor=doctor, on=next_weekday(0), at=time(9))
    [history] = AppointmentHistory.objects.filter(appointment=appointment)
    assert (history.chain_owner_id, history.chain_seq) == (patient.pk, 1)
    assert verify(AppointmentHistory) == (1, None)


def test_a_changed_row_is_named_by_the_verifier(opened):
    third = opened[2]
    table = DocumentAccessLog._meta.db_table
    raw(f"UPDATE {table} SET ip_address = %s WHERE id = %s", ["10.0.0.1", db_id(third)])
    status, output = verify_command()
    assert status == 1
    assert f"row {third.pk} (patient {third.chain_owner_id}, position 3): entry_hash does not match" in output


def test_a_removed_row_is_named_by_the_verifier(opened):
    second = opened[1]
    raw(f"DELETE FROM {DocumentAccessLog._meta.db_table} WHERE id = %s", [db_id(second)])
    status, output = verify_command()
    assert status == 1 and f"row {opened[2].pk}" in output and "skips from position 1 (a row is missing)" in output


def test_the_application_cannot_change_or_remove_a_row(opened):
    row = opened[0]
    with pytest.raises(TypeError, match="append-only"):
        DocumentAccessLog.objects.filter(pk=row.pk).update(ip_address="10.0.0.1")
    with pytest.raises(TypeError, match="append-only"):
        DocumentAccessLog.objects.filter(pk=row.pk).delete()
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()


@postgres_only
@pytest.mark.parametrize("statement", ["UPDATE {table} SET ip_address = '10.0.0.1'", "DELETE FROM {table}"])
@pytest.mark.parametrize("model", [DocumentAccessLog, PatientLookup, AppointmentHistory])
def test_postgresql_refuses_update_and_delete(opened, auth_client, doctor, patient, model, statement):
    auth_client(doctor.user).get(reverse("patient-lookup"), {"contact": patient.contact})
    make_window(doctor=doctor)
    appointment_book(patient=patient, doctor=doctor, on=next_weekday(0), at=time(9))
    assert model.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        sql = statement.format(table=model._meta.db_table)
        if model is AppointmentHistory:
            sql = sql.replace("ip_address = '10.0.0.1'", "reason = 'x'")
        cursor.execute(sql)
    assert verify(DocumentAccessLog) == (5, None)


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_writers_keep_one_linear_chain():
    patient, doctor = make_user(), make_doctor()
    documents = [make_document(owner=patient, title=f"Report {i}") for i in range(20)]
    for document in documents:
        make_consent(document=document, doctor=doctor)
    barrier, errors = threading.Barrier(20), []

    def open_one(document):
        try:
            barrier.wait()
            document_open(user=doctor.user, document_id=document.pk, ip="10.1.1.1", action=AccessAction.VIEW)
        except Exception as exc:  # any failure is what this test must catch
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one, args=(document,)) for document in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(DocumentAccessLog.objects.values_list("chain_seq", flat=True)) == list(range(1, 21))
    assert verify(DocumentAccessLog) == (20, None)
