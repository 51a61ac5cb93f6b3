"""gunicorn's access log with control characters escaped: a percent-encoded newline in a path (decoded into
PATH_INFO) or in a User-Agent would otherwise forge a second log line."""

from gunicorn.glogging import Logger

from .logsafe import log_safe


class SafeAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {
            key: log_safe(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
