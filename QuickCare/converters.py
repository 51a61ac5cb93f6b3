"""Path converters: an id in a URL is a positive 64-bit integer, so a larger one is a 404 before any query runs
(SQLite's driver cannot even bind it)."""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError("out of range")  # Django treats it as "no match": 404
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
