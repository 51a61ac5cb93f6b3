import re

from django.core.exceptions import ValidationError

# Separators people type inside a number ("98765 43210", "98765-43210", "(0141) ..."); never at the start.
_SEPARATORS = re.compile(r"[ \t\-()]")
# ASCII digits only: str.isdigit() also accepts "²", full-width and Arabic-Indic digits, which int() then turns into
# a second spelling of a registered number (or fails on).
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_STORED_CONTACT = re.compile(r"[6-9][0-9]{9}", re.ASCII)


_SEP = r"[ \t()-]*"
# What normalize_contact accepts, for the OpenAPI schema: separators anywhere, a +91, 91 or 0 prefix, ten digits
# starting 6-9, never a leading minus. (No lookaheads: Hypothesis, which generates from it, does not honour them.)
CONTACT_PATTERN = rf"^[ \t]*([()]{_SEP})?(\+{_SEP}9{_SEP}1{_SEP}|9{_SEP}1{_SEP}|0{_SEP})?[6-9]({_SEP}[0-9]){{9}}{_SEP}$"
CONTACT_INPUT_SCHEMA = {
    "oneOf": [
        {"type": "integer", "format": "int64", "minimum": 6_000_000_000, "maximum": 9_999_999_999},
        {"type": "integer", "format": "int64", "minimum": 916_000_000_000, "maximum": 919_999_999_999},
        {"type": "string", "pattern": CONTACT_PATTERN},
    ],
    "example": 9876543210,
}


def normalize_contact(value) -> str:
    """Return the 10-digit Indian mobile number in `value`, or raise ValidationError saying what is wrong.

    Accepts an integer or a string, with spaces, dashes or brackets between the digits, and an optional
    +91 / 91 / 0 prefix. Only the ASCII digits 0-9 count; a negative number is refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("Enter the mobile number as digits, e.g. 9876543210.")
    text = str(value).removesuffix("\n")  # a pasted line's end, as a `$` pattern allows (CONTACT_PATTERN)
    if text.lstrip(" \t").startswith("-"):
        raise ValidationError("A mobile number cannot be negative.")
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not _ASCII_DIGITS.fullmatch(digits):
        raise ValidationError("A mobile number may contain the digits 0-9 only.")
    if len(digits) != 10:
        raise ValidationError(f"A mobile number has 10 digits; this one has {len(digits)}.")
    if digits[0] not in "6789":
        raise ValidationError("An Indian mobile number starts with 6, 7, 8 or 9.")
    return digits


def is_valid_stored_contact(value) -> bool:
    """True for what normalize_contact produces: ten ASCII digits starting 6-9."""
    return isinstance(value, str) and bool(_STORED_CONTACT.fullmatch(value))


def contact_as_int(value) -> int | None:
    """A stored contact as the JSON integer the API shows, or None for a value that is not one (a row written
    before the ASCII rule, or by hand): no stored value can make an answer fail."""
    return int(value) if is_valid_stored_contact(value) else None
