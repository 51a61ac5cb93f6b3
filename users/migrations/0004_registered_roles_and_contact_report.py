"""Existing accounts: the role each registered with, and a report of stored contact numbers that the ASCII rule
(users.validators.normalize_contact) would refuse. Such rows are reported, not changed: a full-width twin of a
registered number may be a second account of the same person, which an operator has to merge by hand."""

import re

from django.db import migrations

STAFF_ROLES = (4, 5, 6)  # doctor, receptionist, lab member: only ever given by a clinic membership
PATIENT = 3
VALID = re.compile(r"[6-9][0-9]{9}", re.ASCII)


def registered_roles(apps, schema_editor):
    User = apps.get_model("users", "User")
    User.objects.filter(roles_id__in=STAFF_ROLES).update(registered_role_id=PATIENT)
    for role in User.objects.exclude(roles_id__in=STAFF_ROLES).values_list("roles_id", flat=True).distinct():
        User.objects.filter(roles_id=role).update(registered_role_id=role)


def bad_contacts(apps) -> list[str]:
    """One line per stored number that is not ten ASCII digits starting 6-9 (ids only: numbers are personal)."""
    lines = []
    checks = [
        ("users", "User", "contact"),
        ("users", "PendingRegistration", "contact"),
        ("users", "PatientMedicalProfile", "emergency_contact_number"),
    ]
    for app, model, field in checks:
        for pk, value in apps.get_model(app, model).objects.values_list("pk", field):
            if value and not VALID.fullmatch(value):
                lines.append(f"{model} {pk}: {field} is not a 10-digit ASCII mobile number")
    return lines


def report_bad_contacts(apps, schema_editor):
    lines = bad_contacts(apps)
    if lines:
        print(f"\n  {len(lines)} stored contact number(s) need an operator's attention:")
        for line in lines:
            print("   ", line)


class Migration(migrations.Migration):
    dependencies = [("users", "0003_registered_role_password_reset")]

    operations = [
        migrations.RunPython(registered_roles, migrations.RunPython.noop),
        migrations.RunPython(report_bad_contacts, migrations.RunPython.noop),
    ]
