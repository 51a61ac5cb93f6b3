"""`Idempotency-Key` on booking and reschedule (contract section 3): a request sent again with the key of an earlier
one by the same user, within IDEMPOTENCY_KEY_HOURS, answers the first answer again instead of acting twice.

The key's row is inserted in the transaction of the action itself, so the database's unique constraint orders two
requests with one key: the second waits on the first's insert, then finds its committed answer and replays it. An
answer the API gave (a 201, or a 409 for a taken slot) is kept; an unexpected error rolls everything back, the key
with it, so a retry acts again."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from QuickCare.exceptions import UnprocessableEntity

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyKey | Response:
    """This request's row for the key, or the earlier answer to replay. A key older than IDEMPOTENCY_KEY_HOURS is
    forgotten and claimed anew; the same key with another request is a 422."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, status_code=0, body="")
    except IntegrityError:
        pass
    earlier = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if earlier.created_at < timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS):
        earlier.fingerprint, earlier.created_at = fingerprint, timezone.now()
        return earlier
    if earlier.fingerprint != fingerprint:
        raise UnprocessableEntity(f"This {HEADER} was already used for a different request.")
    replay = Response(json.loads(earlier.body), status=earlier.status_code)  # the same bytes once rendered again
    replay["Idempotent-Replayed"] = "true"
    return replay


def idempotent(view, request, act: Callable[[], Response]) -> Response:
    """Run `act` once per key (the view's own error handling turns a refusal into the answer that is kept)."""
    key = request.headers.get(HEADER)
    if key is None:
        return act()
    if not key.strip() or len(key) > MAX_LENGTH:
        raise ValidationError(f"{HEADER} must be 1 to {MAX_LENGTH} characters.")
    with transaction.atomic():
        claim = _claim(user=request.user, key=key, fingerprint=_fingerprint(request))
        if isinstance(claim, Response):
            return claim
        try:
            with transaction.atomic():
                response = act()
        except Exception as exc:  # an API refusal becomes its answer; anything else re-raises and rolls back
            response = view.handle_exception(exc)
        claim.status_code, claim.body = response.status_code, JSONRenderer().render(response.data).decode()
        claim.save()
    return response


IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=f"Optional, 1 to {MAX_LENGTH} characters: the same key again within IDEMPOTENCY_KEY_HOURS answers the "
    "first answer (with `Idempotent-Replayed: true`); with a different body it is a 422.",
)
