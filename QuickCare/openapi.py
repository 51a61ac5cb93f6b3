"""The OpenAPI schema says what the server enforces: request bodies as each view reads them, numbers and times in the
spellings the fields accept, the error answers every endpoint gives in the one error shape. `make fuzz` holds the
server to it (schemathesis with every check)."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from QuickCare.mixins import PartialPutMixin
from QuickCare.serializers import BlankMeansNoValue, DecimalField


def _same_length(low: str, high: str) -> list[str]:
    """Regex alternatives for the whole numbers low..high, both written with the same number of digits."""
    if low == high:
        return [low]
    common = next(i for i, (a, b) in enumerate(zip(low, high, strict=True)) if a != b)
    prefix, low, high = low[:common], low[common:], high[common:]
    rest = len(low) - 1
    if rest == 0:
        return [f"{prefix}[{low}-{high}]"]
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [f"{prefix}[{low[0]}-{high[0]}][0-9]{{{rest}}}"]
    parts = [prefix + low[0] + part for part in _same_length(low[1:], "9" * rest)]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"{prefix}[{int(low[0]) + 1}-{int(high[0]) - 1}][0-9]{{{rest}}}")
    return parts + [prefix + high[0] + part for part in _same_length("0" * rest, high[1:])]


def integer_range(low: int, high: int) -> str:
    """A regex group for the whole numbers low..high (0 <= low <= high) written without leading zeros."""
    parts = []
    for length in range(len(str(low)), len(str(high)) + 1):
        first, last = max(low, 10 ** (length - 1) if length > 1 else 0), min(high, 10**length - 1)
        parts += _same_length(str(first), str(last))
    return "(" + "|".join(parts) + ")"


def _decimal_string_pattern(field: DecimalField) -> str:
    """The field's own syntax, narrowed to its bounds where they are a whole maximum and a minimum of 0 or one
    tenth-step below 1 (every money and weight field here); other bounds keep the syntax only."""
    low, high, places = field.min_value, field.max_value, field.decimal_places
    if high is None or high != int(high) or low is None or not 0 <= low < 1 or (low * 10) != int(low * 10):
        return field.pattern
    fraction = rf"(\.[0-9]{{1,{places}}})?"
    below_max = f"{integer_range(1 if low else 0, int(high) - 1)}{fraction}"
    if low:  # a whole part of 0 needs a fraction of at least `low`
        below_max += rf"|0\.[{int(low * 10)}-9][0-9]{{0,{places - 1}}}"
    return rf"^0*({below_max}|{int(high)}(\.0{{1,{places}}})?)$"


def _integer_string_pattern(field: serializers.IntegerField) -> str | None:
    """DRF's IntegerField also reads a string: spaces around, leading zeros, a ".0" tail."""
    low, high = field.min_value, field.max_value
    if low is None or high is None or low < 0:
        return None
    return rf"^[ \t]*0*{integer_range(low, high)}(\.0*)?[ \t]*$"


def decimal_schema(field: DecimalField) -> dict:
    """What QuickCare.serializers.DecimalField accepts: a string of digits within its bounds, or such a number."""
    places, whole = field.decimal_places, field.max_whole_digits
    number = {"type": "number", "multipleOf": 10**-places if places else 1}
    for bound, value, edge in (("maximum", field.max_value, 1), ("minimum", field.min_value, -1)):
        if value is not None:
            number[bound] = float(value)
        elif whole is not None:
            number[bound], number[f"exclusive{bound.capitalize()}"] = edge * 10**whole, True
    return {"oneOf": [{"type": "string", "pattern": _decimal_string_pattern(field)}, number]}


class QuickCareAutoSchema(AutoSchema):
    def _get_request_for_media_type(self, serializer, direction="request"):
        # PUT on a PartialPutMixin view reads its body as PATCH does (every field optional); a hand-written patch()
        # (an action, a status change, an onboarding step) reads a whole body, as POST does.
        as_method = self.method
        if self.method == "PUT" and isinstance(self.view, PartialPutMixin):
            as_method = "PATCH"
        elif self.method == "PATCH" and not hasattr(self.view, "partial_update"):
            as_method = "POST"
        method, self.method = self.method, as_method
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method

    def _map_basic_serializer(self, serializer, direction):
        """Each request field as DRF reads it: its JSON type, and the other JSON types it also takes."""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "request":
            return schema
        properties = schema.get("properties", {})
        for name, field in serializer.fields.items():
            if name not in properties or field.read_only:
                continue
            own = decimal_schema(field) if isinstance(field, DecimalField) else properties[name]
            _trimmed_text(field, own)
            alternatives = _other_json_types(field)
            if alternatives or own is not properties[name]:
                outer = {key: own.pop(key) for key in META_KEYS if key in own}
                outer.update({key: properties[name][key] for key in META_KEYS if key in properties[name]})
                branches = own["oneOf"] if list(own) == ["oneOf"] else [own]
                properties[name] = {"oneOf": [*branches, *alternatives], **outer}
        return schema


# The characters str.strip() removes (str.isspace()), written out: `\s` differs between Python's regexes, which the
# server uses, and ECMAScript's, which JSON Schema validators use (\x1c-\x1f are whitespace only for Python).
_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NOT_SPACE = "[^" + _SPACE[1:]


def _trimmed_text(field, schema: dict) -> None:
    """DRF strips a text field's surrounding whitespace before its blank and length checks, so "  " is blank and a
    padded value may be longer than max_length: say that with a pattern (lengths of the stripped text)."""
    if type(field) is not serializers.CharField or not field.trim_whitespace or schema.get("type") != "string":
        return
    shortest = schema.pop("minLength", None) or 0
    longest = schema.pop("maxLength", None)
    if shortest > 1:  # the stripped text: its first and last characters are not spaces, and so many in all
        middle = rf"[\s\S]{{{shortest - 2},{'' if longest is None else longest - 2}}}"
        inner = rf"{_NOT_SPACE}{middle}{_NOT_SPACE}"
    elif longest is None:
        inner = r"[\s\S]*" if field.allow_blank else rf"{_NOT_SPACE}[\s\S]*"
    elif field.allow_blank:
        inner = rf"[\s\S]{{0,{longest}}}"
    else:
        inner = _NOT_SPACE + (rf"([\s\S]{{0,{longest - 2}}}{_NOT_SPACE})?" if longest > 1 else "")
    schema["pattern"] = rf"^{_SPACE}*{inner}{_SPACE}*$"


def _blank_means_no_value(field) -> bool:
    return isinstance(field.parent, BlankMeansNoValue) and not isinstance(field, serializers.CharField)


META_KEYS = ("description", "default", "nullable", "writeOnly", "title", "deprecated")


def _other_json_types(field) -> list[dict]:
    """What DRF also reads for a field beside the JSON type the schema names (so the schema says so):
    - a nullable relation, or a nullable non-text field of a BlankMeansNoValue serializer, takes "" as null;
    - a field may declare its own (`other_json_types`, e.g. a PIN code sent as a number);
    - a bounded whole number takes its digits as a string;
    - a boolean takes DRF's words (any case) and 0/1;
    - a plain text field takes a number as its decimal text (an integer when the text could outgrow max_length)."""
    alternatives = []
    if field.allow_null and (isinstance(field, serializers.RelatedField) or _blank_means_no_value(field)):
        alternatives.append({"type": "string", "enum": [""]})
    declared = getattr(field, "other_json_types", None)
    if declared is not None:
        alternatives.append(declared)
    elif isinstance(field, serializers.IntegerField) and (pattern := _integer_string_pattern(field)):
        alternatives.append({"type": "string", "pattern": pattern})
    elif isinstance(field, serializers.BooleanField):
        words = sorted({v.lower() for v in field.TRUE_VALUES | field.FALSE_VALUES if isinstance(v, str)})
        any_case = "|".join("".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in word) for word in words)
        alternatives += [{"type": "string", "pattern": f"^({any_case})$"}, {"type": "number", "enum": [0, 1]}]
    elif type(field) is serializers.CharField and not field.min_length:
        length = field.max_length
        if length and length < 25:  # a float's text can be 24 characters ("-1.2345678901234567e-300")
            alternatives.append({"type": "integer", "minimum": -(10 ** (length - 1) - 1), "maximum": 10**length - 1})
        else:
            alternatives.append({"type": "number"})
    return alternatives


ERROR_SCHEMA = {
    "type": "object",
    "description": 'Either {"message": "..."} or field errors {"field": ["..."]}.',
    "properties": {"message": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "Bad input: field errors, or a message for a rule that spans fields.",
    "401": "Missing, invalid or expired token.",
    "403": "Authenticated, but this role or user may not do this.",
    "404": "Not found, or not yours.",
    "429": "Too many requests; see Retry-After.",
}
# Answered by gunicorn (or nginx) before the request reaches Django, so in their format, not the API's.
URI_TOO_LONG = {"description": "The URL is longer than the server reads (gunicorn's limit_request_line)."}
WRITE_ERRORS = {"409": "Conflicts with the current state (duplicate, slot taken, transition not allowed now)."}
EXTRA = {  # (path suffix, method): extra answers
    ("/api/documents/", "post"): {"413": "The file is larger than the upload limit."},
    ("/onboarding/patient/step1/", "post"): {"503": "The OTP could not be sent."},
    ("/onboarding/clinic/step1/", "post"): {"503": "The OTP could not be sent."},
    ("/queue/", "get"): {"409": "The appointment is cancelled or finished: it is in no queue."},
}
IDEMPOTENCY_ERRORS = {"422": "The Idempotency-Key was already used for a different request."}


# DRF writes times as "09:00:00" (clinic-local, no offset); JSON Schema's "time" format demands an offset.
WALL_CLOCK_TIME = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "example": "09:00:00",
}
PAGING = {"limit", "offset"}


def _wall_clock_times(node):
    if isinstance(node, dict):
        if node.get("format") == "time":
            node.pop("format")
            node.update({k: v for k, v in WALL_CLOCK_TIME.items() if k not in node or k == "pattern"})
        for value in node.values():
            _wall_clock_times(value)
    elif isinstance(node, list):
        for value in node:
            _wall_clock_times(value)


def _empty_filters_mean_no_filter(operation):
    """`?clinic=&status=` from a form with nothing chosen filters nothing (django-filter), so the schema says an
    optional filter may be empty. Paging parameters may not: `?limit=` is a 400."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and not parameter.get("required") and parameter["name"] not in PAGING:
            parameter["allowEmptyValue"] = True


def refine_schema(result, generator, request, public):
    """Wall-clock times, and the error answers every endpoint can give."""
    _wall_clock_times(result)
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _empty_filters_mean_no_filter(operation)
            errors = dict(ERRORS)
            if method in ("post", "put", "patch", "delete"):
                errors.update(WRITE_ERRORS)
            if any(p.get("in") == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                errors.update(IDEMPOTENCY_ERRORS)
            for (suffix, extra_method), extra in EXTRA.items():
                if path.endswith(suffix) and method == extra_method:
                    errors.update(extra)
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": error})
            responses.setdefault("414", URI_TOO_LONG)
    return result
