"""OpenAPI post-processing: wall-clock times, and the error answers every endpoint gives, in the one error shape."""

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
WRITE_ERRORS = {"409": "Conflicts with the current state (duplicate, slot taken, transition not allowed now)."}
EXTRA = {  # (path suffix, method): extra answers
    ("/api/documents/", "post"): {"413": "The file is larger than the upload limit."},
    ("/onboarding/patient/step1/", "post"): {"503": "The OTP could not be sent."},
    ("/onboarding/clinic/step1/", "post"): {"503": "The OTP could not be sent."},
}


# DRF writes times as "09:00:00" (clinic-local, no offset); JSON Schema's "time" format demands an offset.
WALL_CLOCK_TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00:00"}


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


def refine_schema(result, generator, request, public):
    """Wall-clock times, and the error answers every endpoint can give."""
    _wall_clock_times(result)
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            errors = dict(ERRORS)
            if method in ("post", "put", "patch", "delete"):
                errors.update(WRITE_ERRORS)
            for (suffix, extra_method), extra in EXTRA.items():
                if path.endswith(suffix) and method == extra_method:
                    errors.update(extra)
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": error})
    return result
