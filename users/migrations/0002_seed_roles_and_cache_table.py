from django.core.management import call_command
from django.db import migrations

ROLES = [
    (1, "Superadmin"),
    (2, "Admin"),
    (3, "Patient"),
    (4, "Doctor"),
    (5, "Receptionist"),
    (6, "Lab Member"),
    (7, "Clinic Owner"),
]


def seed_roles(apps, schema_editor):
    Role = apps.get_model("users", "Role")
    for role_id, name in ROLES:
        Role.objects.update_or_create(id=role_id, defaults={"name": name})


def create_cache_table(apps, schema_editor):
    # Throttle counters live in the database cache when REDIS_URL is unset; a plain `migrate` must be enough.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [
        migrations.RunPython(seed_roles, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
