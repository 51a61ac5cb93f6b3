import re

from django.core.exceptions import ValidationError

_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_contact(value) -> str:
    """Return the 10-digit Indian mobile number in `value`, or raise ValidationError saying what is wrong.

    Accepts an integer or a string, with spaces or dashes, and an optional +91 / 91 / 0 prefix.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("Enter the mobile number as digits, e.g. 9876543210.")
    digits = _SEPARATORS.sub("", str(value))
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not digits.isdigit():
        raise ValidationError("A mobile number may contain digits only.")
    if len(digits) != 10:
        raise ValidationError(f"A mobile number has 10 digits; this one has {len(digits)}.")
    if digits[0] not in "6789":
        raise ValidationError("An Indian mobile number starts with 6, 7, 8 or 9.")
    return digits
