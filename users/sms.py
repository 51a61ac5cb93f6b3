"""Pluggable SMS sending, chosen by settings.SMS_BACKEND (like Django's email backends)."""

import json
import logging
import urllib.request
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("quickcare.sms")


class SMSError(Exception):
    """The message could not be handed to the provider."""


class BaseSMSBackend:
    def send(self, *, contact: str, message: str) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: logs the message (the OTP with it) instead of sending. Refuses to run with DEBUG off, so a
    production server that was never given a real backend fails loudly instead of logging codes."""

    def send(self, *, contact, message):
        if not settings.DEBUG:
            raise SMSError("The console SMS backend only runs with DEBUG=True; configure SMS_BACKEND.")
        logger.warning("SMS to %s: %s", contact, message)


class MemorySMSBackend(BaseSMSBackend):
    """Tests: keeps sent messages in `outbox`."""

    outbox: list[dict] = []

    def send(self, *, contact, message):
        self.outbox.append({"contact": contact, "message": message})


class FileSMSBackend(BaseSMSBackend):
    """Staging and multi-process tests: appends one JSON line per message to settings.SMS_FILE_PATH, so that a test
    harness can read the OTP without a provider. Never use it in production: the file holds live codes."""

    def send(self, *, contact, message):
        if not settings.SMS_FILE_PATH:
            raise SMSError("SMS_FILE_PATH is not configured.")
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps({"contact": contact, "message": message}) + "\n")


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

    def send(self, *, contact, message):
        if not settings.SMS_HTTP_URL:
            raise SMSError("SMS_HTTP_URL is not configured.")
        body = json.dumps({"sender": settings.SMS_HTTP_SENDER, "mobiles": "91" + contact, "message": message})
        headers = {"Content-Type": "application/json", "authkey": settings.SMS_HTTP_AUTH_KEY}
        try:
            status = self.transport(settings.SMS_HTTP_URL, body.encode(), headers, settings.SMS_HTTP_TIMEOUT_SECONDS)
        except OSError as exc:  # URLError, timeouts, refused connections
            logger.error("SMS provider unreachable for %s: %s", contact[-4:].rjust(10, "*"), exc.__class__.__name__)
            raise SMSError("The SMS provider could not be reached.") from exc
        if not 200 <= status < 300:
            logger.error("SMS provider answered %s", status)
            raise SMSError(f"The SMS provider answered {status}.")


@cache
def _backend_class(path: str):
    return import_string(path)


def get_sms_backend() -> BaseSMSBackend:
    return _backend_class(settings.SMS_BACKEND)()
