import logging
import re
import time
import uuid

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse

from .exceptions import DATABASE_DOWN

EXPECTED = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)

logger = logging.getLogger("quickcare.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """One log line per request and an `X-Request-ID` on every response.

    The line holds method, path (no query string, no body: contact numbers, passwords, OTPs and tokens never reach
    the log), status, duration and the authenticated user's id. An unhandled exception is logged with the request id
    and answered by `QuickCare.exceptions.server_error` as {"message": "Internal server error.", "request_id": ...}.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s %.1fms user=%s request_id=%s",
            request.method,
            request.path,  # control characters are escaped by the handler's filter (QuickCare/logsafe.py)
            response.status_code,
            (time.perf_counter() - started) * 1000,
            user.pk if user is not None and user.is_authenticated else "-",
            request.request_id,
        )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):  # outside DRF views (admin, middleware)
            logger.error("Database unavailable request_id=%s", getattr(request, "request_id", "-"))
            return JsonResponse({"message": DATABASE_DOWN, "request_id": request.request_id}, status=503)
        if not isinstance(exception, EXPECTED):  # Django answers these itself with 4xx
            logger.exception("Unhandled error request_id=%s", getattr(request, "request_id", "-"))
        return None  # QuickCare.exceptions.server_error answers, with the request id
