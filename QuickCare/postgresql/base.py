"""Django's PostgreSQL backend, with a health check of a persistent connection that costs no round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request on a reused connection:
a round trip and a statement on every request, the floor's included. A connection that PostgreSQL ended (a
restart, `pg_terminate_backend`, an idle timeout) has its socket readable: PostgreSQL's FATAL message, or the end
of the stream. An idle connection in good order has nothing to read. So the socket is asked first, without
waiting; only a readable socket, or one not idle and outside a transaction, gets Django's `SELECT 1`.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
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
