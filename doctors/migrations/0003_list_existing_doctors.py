"""Doctors who already filled in a specialty before the rule (contract 2.0) stay in the directory."""

from django.db import migrations
from django.db.models import F


def list_existing(apps, schema_editor):
    DoctorProfile = apps.get_model("doctors", "DoctorProfile")
    DoctorProfile.objects.filter(listed_at__isnull=True).exclude(specialty="").update(listed_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("doctors", "0002_listed_at")]

    operations = [migrations.RunPython(list_existing, migrations.RunPython.noop)]
