"""Hot queries: hand-written ones run where the database can keep their plans, ORM ones compiled once."""

from collections.abc import Callable
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet


def fetch_all(name: str, sql: str, params) -> list[tuple]:
    """The rows of `sql` (with `%s` placeholders). On PostgreSQL it runs as the prepared statement `name`, planned
    once per connection (QuickCare/postgresql/base.py); elsewhere as it is."""
    with connection.cursor() as cursor:
        prepared = getattr(connection, "execute_prepared", None)
        if prepared is None:
            cursor.execute(sql, params)
        else:
            prepared(cursor, name, sql, params)
        return cursor.fetchall()


def compiled_values(name: str, build: Callable[..., QuerySet], stand_ins: dict, values: dict) -> list[dict]:
    """The rows of `build(**values)`, a `.values()` queryset, with its SQL compiled once per connection.

    `build` is called once, with `stand_ins`: values of the same types that no real call passes (an id no row has).
    Each later call runs that SQL with the real `values` swapped in for them, and Django's converters applied as
    `.values()` would. The queryset stays the one definition of the query; what is saved is building and compiling
    it on every request, most of the CPU of a short list (bench/README.md). Each connection (each server thread has
    its own connection object) keeps its own compiled copy.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's connection object
    compiled = wrapper.__dict__.setdefault("_quickcare_compiled", {})
    if name not in compiled:
        queryset = build(**stand_ins)
        compiler = queryset.query.get_compiler(connection=wrapper)
        sql, params = compiler.as_sql()
        slots = {}  # param position -> (name, as hex): SQLite takes a UUID as its 32 hex digits
        for i, param in enumerate(params):
            for key, stand_in in stand_ins.items():
                if param == stand_in or (isinstance(stand_in, UUID) and param == stand_in.hex):
                    slots[i] = (key, param != stand_in)
        query = queryset.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        compiled[name] = (compiler, sql, list(params), slots, names)
    compiler, sql, params, slots, names = compiled[name]
    params = list(params)
    for i, (key, as_hex) in slots.items():
        params[i] = values[key].hex if as_hex else values[key]
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [dict(zip(names, row, strict=True)) for row in compiler.results_iter(results=[rows])]
