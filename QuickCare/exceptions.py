"""One error shape for the whole API: {"message": "..."} or field errors {"field": ["..."]}."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler


class Conflict(APIException):
    """409. `extra` adds keys beside "message" (e.g. the appointments that stand in the way)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, extra: dict | None = None):
        super().__init__(detail, code)
        self.extra = extra or {}


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is larger than this server accepts."
    default_code = "too_large"


class UnprocessableEntity(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed as sent."
    default_code = "unprocessable"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service we depend on is unavailable; please try again shortly."
    default_code = "service_unavailable"


DATABASE_DOWN = "The database is unavailable right now; please try again shortly."
logger = logging.getLogger("quickcare.errors")


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))  # model full_clean() errors
    elif isinstance(exc, OperationalError | InterfaceError):  # unreachable, locked or timed-out database
        logger.error("Database unavailable: %s", type(exc).__name__)
        exc = ServiceUnavailable(DATABASE_DOWN)
    elif isinstance(exc, Http404):
        exc = NotFound("Not found.")  # get_object_or_404's text names the model ("No UserAddress matches ...")
    response = exception_handler(exc, context)  # DRF's: keeps rollback, WWW-Authenticate and Retry-After
    if response is None:
        return None  # unexpected errors stay 500
    data = response.data  # {"detail": ...} (simplejwt adds keys), field errors, or a list of messages
    if isinstance(data, dict) and list(data) == ["non_field_errors"]:
        data = data["non_field_errors"]  # validate() errors read as one message
    if isinstance(exc, ValidationError) and isinstance(data, dict):
        return response  # field errors pass through unchanged
    message = data.get("detail", "") if isinstance(data, dict) else (data[0] if data else "")
    response.data = {"message": str(message), **getattr(exc, "extra", {})}
    return response


# Django-level fallbacks, so that even a URL that matches no route answers in the API's shape.
def not_found(request, exception=None):
    return JsonResponse({"message": "Not found."}, status=404)


def server_error(request):
    return JsonResponse(
        {"message": "Internal server error.", "request_id": getattr(request, "request_id", None)}, status=500
    )


def bad_request(request, exception=None):
    return JsonResponse({"message": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"message": "You do not have permission to perform this action."}, status=403)
