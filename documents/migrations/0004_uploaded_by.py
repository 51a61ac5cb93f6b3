import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def owners_uploaded_their_own(apps, schema_editor):
    """Every document so far was uploaded by its owner."""
    Document = apps.get_model("documents", "Document")
    Document.objects.filter(uploaded_by__isnull=True).update(uploaded_by=models.F("owner"))


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_consent_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="uploaded_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="uploaded_by_role",
            field=models.CharField(
                choices=[("patient", "Patient"), ("doctor", "Doctor"), ("lab_member", "Lab Member")],
                default="patient",
                max_length=20,
            ),
        ),
        migrations.RunPython(owners_uploaded_their_own, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="document",
            name="uploaded_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
