"""Django's PostgreSQL backend with two savings on every request: a health check of a persistent connection that
costs no round trip, and named prepared statements for the hottest raw queries.

Health check. With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request on a reused
connection: a round trip and a statement on every request, the floor's included. A connection that PostgreSQL ended
(a restart, `pg_terminate_backend`, an idle timeout) has its socket readable: PostgreSQL's FATAL message, or the
end of the stream. An idle connection in good order has nothing to read. So the socket is asked first, without
waiting; only a readable socket, or a connection that is not idle (in a transaction, or in error), gets Django's
`SELECT 1`.

Prepared statements. psycopg2 sends every statement as text, so PostgreSQL parses and plans it each time; for the
free-slot inputs (bookable windows, leaves, the day) planning took about ten times as long as running them
(bench/README.md). `execute_prepared` PREPAREs such a statement once per connection and EXECUTEs it after, so the
planner's generic plan is reused. PREPARE is not undone by a rollback, and a new connection starts with none.
DB_PREPARED_STATEMENTS=False turns it off (a pooler in transaction mode, such as PgBouncer's, cannot keep them).
"""

import re
import select

from django.conf import settings
from django.db.backends.postgresql import base

_PLACEHOLDER = re.compile(r"%([%s])")


def numbered(sql: str) -> str:
    """Django's `%s` placeholders as PostgreSQL's `$1, $2...` (and `%%` as `%`), for PREPARE."""
    count = 0

    def number(match):
        nonlocal count
        if match[1] == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        self.prepared = set()  # statements PREPAREd on this connection
        return super().get_new_connection(conn_params)

    def execute_prepared(self, cursor, name: str, sql: str, params) -> None:
        """Run `sql` (with `%s` placeholders) as the prepared statement `name`, preparing it on first use."""
        if not settings.DB_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return
        if name not in self.prepared:
            cursor.execute(f"PREPARE {name} AS {numbered(sql)}")
            self.prepared.add(name)
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}", params)

    def is_usable(self):
        connection = self.connection
        try:
            idle = not connection.closed and int(connection.info.transaction_status) == 0  # IDLE: no transaction
            readable = idle and select.select([connection], [], [], 0)[0]
        except (OSError, ValueError, base.Database.Error):
            return False
        if idle and not readable:
            return True
        return super().is_usable()
