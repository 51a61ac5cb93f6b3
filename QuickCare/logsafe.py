"""Log lines that a client cannot forge (no Django imports: gunicorn's logger loads this before Django)."""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def log_safe(text: str) -> str:
    """Control characters (a newline in a path would start a forged log line) written as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


class EscapeControlCharacters(logging.Filter):
    """On the log handlers: every record's message is written on one line, whatever a client put in a path, a
    header or a value that reaches a message (Django's own "Not Found: <path>" included)."""

    def filter(self, record):
        message = record.getMessage()
        escaped = log_safe(message)
        if escaped != message:
            record.msg, record.args = escaped, ()
        return True
