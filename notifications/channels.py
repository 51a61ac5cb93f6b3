"""How a message reaches a phone: SMS (users.sms, the OTP's backends) or WhatsApp over a provider's HTTP API, with
SMS as the fallback when WhatsApp fails. A transient failure raises SendError (retried); a permanent one
PermanentSendError (not retried)."""

import logging
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from users.models import Channel
from users.sms import PermanentSMSError, SMSError, _urllib_transport, get_sms_backend, provider_post

logger = logging.getLogger("quickcare.notifications")

SendError = SMSError
PermanentSendError = PermanentSMSError


class HttpWhatsAppBackend:
    """A WhatsApp Business provider's HTTP API (a JSON POST with a bearer token), shaped like users.sms.HttpSMSBackend:
    `transport(url, body, headers, timeout) -> status` is injectable so that tests never touch the network."""

    def __init__(self, transport=_urllib_transport):
        self.transport = transport

    def send(self, *, contact, message, template_id="", reference=""):
        if not settings.WHATSAPP_HTTP_URL:
            raise SendError("WHATSAPP_HTTP_URL is not configured.")
        fields = {"to": "91" + contact, "type": "text", "text": {"body": message}, "reference": reference}
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {settings.WHATSAPP_HTTP_TOKEN}"}
        url, timeout = settings.WHATSAPP_HTTP_URL, settings.WHATSAPP_HTTP_TIMEOUT_SECONDS
        provider_post(self.transport, url, fields, headers, timeout, provider="WhatsApp")
        return ""


@cache
def _whatsapp_class(path: str):
    return import_string(path)


def send(*, channel: str, contact: str, message: str, template_id: str, reference: str) -> tuple[str, str]:
    """Send on `channel`; a WhatsApp message that fails for any reason goes by SMS instead. Answers the provider's
    message id and the channel it went on."""
    if channel == Channel.WHATSAPP:
        try:
            whatsapp = _whatsapp_class(settings.WHATSAPP_BACKEND)()
            return whatsapp.send(contact=contact, message=message, reference=reference), Channel.WHATSAPP
        except SendError as exc:
            logger.warning("WhatsApp failed for %s (%s); sending by SMS", reference, exc)
    sms = get_sms_backend()
    return sms.send(contact=contact, message=message, template_id=template_id, reference=reference), Channel.SMS
