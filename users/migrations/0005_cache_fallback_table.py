"""The database cache table always exists: it is the cache itself without REDIS_URL, and the fallback while Redis is
unreachable with it (QuickCare/cache.py). `createcachetable` only creates tables of configured database caches."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

FALLBACK_TABLE = "quickcare_cache"


def create_fallback_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, FALLBACK_TABLE, dry_run=False)


class Migration(migrations.Migration):
    dependencies = [("users", "0004_registered_roles_and_contact_report")]

    operations = [migrations.RunPython(create_fallback_table, migrations.RunPython.noop)]
