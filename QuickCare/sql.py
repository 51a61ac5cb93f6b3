"""Hand-written hot queries, run where the database can keep their plans."""

from django.db import connection


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
