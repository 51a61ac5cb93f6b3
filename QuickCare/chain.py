"""Tamper-evident logs (contract 5.1): every row of a chained log carries `prev_hash` and `entry_hash`, a SHA-256 over
the previous row's hash and a canonical serialisation of its own fields. There is one chain per patient
(`chain_owner`) in each log, so that writes for different patients never wait on each other; within one chain the
writer holds a lock (a PostgreSQL advisory lock per patient; SQLite's transactions take the write lock when they
begin) so the chain stays linear under concurrency, and a unique (owner, position) constraint backs it. Rows are
only ever inserted: `save` refuses an update, and on PostgreSQL a trigger refuses UPDATE and DELETE (the migrations
that add the chains install it).

`manage.py verify_access_log` recomputes every chain and names the first row that does not match."""

import hashlib
import json
from datetime import UTC, date, datetime, time
from uuid import UUID

from django.conf import settings
from django.db import connection, models, transaction

GENESIS = "0" * 64


def _canon(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (date, time, UUID)):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    return value


def canonical(row, fields: tuple[str, ...]) -> str:
    """The row's chained fields (a fixed list per log, so a column added later leaves old hashes valid), as sorted
    JSON."""
    columns = {field.attname: field for field in row._meta.concrete_fields}
    values = {name: _canon(columns[name].to_python(getattr(row, name))) for name in fields}  # as the database gives it
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, row, fields: tuple[str, ...]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(row, fields)}".encode()).hexdigest()


def _lock_key(table: str, owner) -> int:
    digest = hashlib.sha256(f"{table}:{owner}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ChainedQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if objs:
            with transaction.atomic(savepoint=False):
                _link(self.model, objs)
                return super().bulk_create(objs, *args, **kwargs)
        return objs

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} is append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} is append-only.")


class ChainedLog(models.Model):
    """An append-only log in per-patient hash chains. Subclasses say whose chain a row joins (`chain_owner_of`) and
    which fields the hash covers (`CHAIN_FIELDS`: attnames, the chain's own three among them, never an auto id)."""

    CHAIN_FIELDS: tuple[str, ...] = ()

    chain_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    chain_seq = models.PositiveBigIntegerField(null=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    entry_hash = models.CharField(max_length=64, editable=False, default="")

    objects = ChainedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} is append-only.")
        with transaction.atomic(savepoint=False):
            _link(type(self), [self])
            return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} is append-only.")

    def chain_owner_of(self):
        raise NotImplementedError


def _link(model, rows) -> None:
    """Give `rows` (unsaved, in order) their places at the ends of their patients' chains. One round trip for any
    number of rows: on PostgreSQL the patients' advisory locks and then the read of their chains' last rows, as two
    statements of one call (the read's snapshot is taken once the locks are held); on SQLite the read alone (its
    transactions begin IMMEDIATE, holding the write lock, settings.DATABASES). The caller's transaction holds it all."""
    for row in rows:  # the hash covers each row's time: a chained log's time field is a default, never auto_now_add
        row.chain_owner_id = row.chain_owner_of()
    owners = sorted({UUID(str(row.chain_owner_id)) for row in rows})
    table = connection.ops.quote_name(model._meta.db_table)
    owner = connection.ops.quote_name(model._meta.get_field("chain_owner").column)
    prep = model._meta.get_field("chain_owner").target_field.get_db_prep_value
    params = [prep(o, connection) for o in owners]
    # Each chain's end by its own index probe (the newest position, LIMIT 1), so the read costs the same however
    # long the chain has grown.
    one_end = f"SELECT {owner}, chain_seq, entry_hash FROM {table} WHERE {owner} = %s ORDER BY chain_seq DESC LIMIT 1"
    sql = " UNION ALL ".join(f"SELECT * FROM ({one_end}) AS end{i}" for i in range(len(params)))
    if connection.vendor == "postgresql":
        keys = sorted(_lock_key(model._meta.db_table, o) for o in owners)
        sql, params = f"SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k; {sql}", [keys, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ends = {str(UUID(str(o))): (seq, digest) for o, seq, digest in cursor.fetchall()}
    for row in rows:
        key = str(UUID(str(row.chain_owner_id)))
        seq, digest = ends.get(key, (0, GENESIS))
        row.chain_seq, row.prev_hash = seq + 1, digest
        row.entry_hash = entry_hash(digest, row, model.CHAIN_FIELDS)
        ends[key] = (row.chain_seq, row.entry_hash)


def verify(model) -> tuple[int, str | None]:
    """Recompute every chain of `model`: (rows checked, the first broken row's description or None)."""
    ends: dict = {}
    checked = 0
    for row in model.objects.order_by("chain_owner", "chain_seq").iterator(chunk_size=2000):
        owner = str(row.chain_owner_id)
        seq, digest = ends.get(owner, (0, GENESIS))
        where = f"{model._meta.label} row {row.pk} (patient {owner}, position {row.chain_seq})"
        if row.chain_seq != seq + 1:
            return checked, f"{where}: the chain skips from position {seq} (a row is missing)"
        if row.prev_hash != digest:
            return checked, f"{where}: prev_hash does not match the row before it"
        if row.entry_hash != entry_hash(digest, row, model.CHAIN_FIELDS):
            return checked, f"{where}: entry_hash does not match its fields (the row was changed)"
        ends[owner] = (row.chain_seq, row.entry_hash)
        checked += 1
    return checked, None


def refuse_changes_sql(table: str) -> str:
    """PostgreSQL: the database itself refuses UPDATE and DELETE on a chained log (TRUNCATE, used only by test
    teardown and never by the application, is not a row change)."""
    return f"""
        CREATE OR REPLACE FUNCTION quickcare_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'Table % is append-only: % refused', TG_TABLE_NAME, TG_OP;
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {table}_append_only ON {table};
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION quickcare_append_only();
    """


def install_trigger(table: str):
    """A migration operation: the append-only trigger on `table`, on PostgreSQL only."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(refuse_changes_sql(table), params=None)  # its % are PL/pgSQL, not parameters

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")

    from django.db import migrations

    return migrations.RunPython(forwards, backwards)


def backfill(app_label: str, model_name: str, owner_path: str, time_field: str, fields: tuple[str, ...]):
    """A migration operation: chain the rows written before chains existed, oldest first (`owner_path` leads from
    the row to its patient's id; `fields` are the model's CHAIN_FIELDS as they are now)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        ends: dict = {}
        rows = list(model.objects.order_by(time_field, "pk").values_list("pk", owner_path))
        for pk, owner in rows:
            row = model.objects.get(pk=pk)
            row.chain_owner_id = owner
            seq, digest = ends.get(str(owner), (0, GENESIS))
            row.chain_seq, row.prev_hash = seq + 1, digest
            row.entry_hash = entry_hash(digest, row, fields)
            ends[str(owner)] = (row.chain_seq, row.entry_hash)
            model.objects.filter(pk=pk).update(
                chain_owner_id=owner, chain_seq=row.chain_seq, prev_hash=row.prev_hash, entry_hash=row.entry_hash
            )

    from django.db import migrations

    return migrations.RunPython(forwards, migrations.RunPython.noop)
