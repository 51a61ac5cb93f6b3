"""Pluggable SMS sending, chosen by settings.SMS_BACKEND (like Django's email backends)."""

import fcntl
import json
import logging
import urllib.request
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("quickcare.sms")


class SMSError(Exception):
    """The message could not be handed to the provider: worth another try (unreachable, a timeout, a 5xx)."""


class PermanentSMSError(SMSError):
    """The provider refused the message (a 4xx): trying again would be refused the same way."""


class BaseSMSBackend:
    def send(self, *, contact: str, message: str, template_id: str = "", reference: str = "") -> str:
        """Hand the message over; answers the provider's message id ("" when it gives none). `template_id` is the
        DLT template the text was registered under; `reference` our id for it (providers that take one drop a
        second message with the same reference)."""
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: logs the message (the OTP with it) instead of sending. Refuses to run with DEBUG off, so a
    production server that was never given a real backend fails loudly instead of logging codes."""

    def send(self, *, contact, message, template_id="", reference=""):
        if not settings.DEBUG:
            raise SMSError("The console SMS backend only runs with DEBUG=True; configure SMS_BACKEND.")
        logger.warning("SMS to %s: %s", contact, message)
        return ""


class MemorySMSBackend(BaseSMSBackend):
    """Tests: keeps sent messages in `outbox`."""

    outbox: list[dict] = []

    def send(self, *, contact, message, template_id="", reference=""):
        self.outbox.append(
            {"contact": contact, "message": message, **({"template_id": template_id} if template_id else {})}
        )
        return f"memory-{len(self.outbox)}"


class FileSMSBackend(BaseSMSBackend):
    """Staging and multi-process tests: appends one JSON line per message to settings.SMS_FILE_PATH, so that a test
    harness can read the OTP without a provider. Never use it in production: the file holds live codes. Like a
    provider that takes a client reference, it drops a second message with a reference it already has."""

    def send(self, *, contact, message, template_id="", reference=""):
        if not settings.SMS_FILE_PATH:
            raise SMSError("SMS_FILE_PATH is not configured.")
        line = {"contact": contact, "message": message, "template_id": template_id, "reference": reference}
        with open(settings.SMS_FILE_PATH, "a+", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            outbox.seek(0)
            if reference and any(json.loads(sent).get("reference") == reference for sent in outbox if sent.strip()):
                return reference
            outbox.write(json.dumps(line) + "\n")
        return reference


def _urllib_transport(url: str, body: bytes, headers: dict, timeout: int) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(
        request, timeout=timeout
    ) as response:  # the URL comes from settings, never from a request
        return response.status


class HttpSMSBackend(BaseSMSBackend):
    """A provider's HTTP API (MSG91-style JSON POST with an auth-key header), configured by SMS_HTTP_* settings.

    `transport(url, body, headers, timeout) -> status` is injectable so that tests never touch the network.
    """

    def __init__(self, transport=_urllib_transport):
        self.transport = transport

    def send(self, *, contact, message, template_id="", reference=""):
        if not settings.SMS_HTTP_URL:
            raise SMSError("SMS_HTTP_URL is not configured.")
        fields = {"sender": settings.SMS_HTTP_SENDER, "mobiles": "91" + contact, "message": message}
        if template_id:
            fields["DLT_TE_ID"] = template_id
        if reference:
            fields["reference"] = reference
        headers = {"Content-Type": "application/json", "authkey": settings.SMS_HTTP_AUTH_KEY}
        provider_post(
            self.transport, settings.SMS_HTTP_URL, fields, headers, settings.SMS_HTTP_TIMEOUT_SECONDS, provider="SMS"
        )
        return ""


def provider_post(transport, url: str, fields: dict, headers: dict, timeout: int, *, provider: str) -> None:
    """POST a message's JSON to a provider: unreachable or a 5xx is SMSError (worth another try), a 4xx
    PermanentSMSError (refused; the same request would be refused again). Logs the status, never the message."""
    try:
        status = transport(url, json.dumps(fields).encode(), headers, timeout)
    except OSError as exc:  # URLError, timeouts, refused connections
        logger.error("%s provider unreachable: %s", provider, exc.__class__.__name__)
        raise SMSError(f"The {provider} provider could not be reached.") from exc
    if not 200 <= status < 300:
        logger.error("%s provider answered %s", provider, status)
        error = PermanentSMSError if 400 <= status < 500 else SMSError
        raise error(f"The {provider} provider answered {status}.")


@cache
def _backend_class(path: str):
    return import_string(path)


def get_sms_backend() -> BaseSMSBackend:
    return _backend_class(settings.SMS_BACKEND)()
