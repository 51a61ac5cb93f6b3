"""Signed download links (contract row 1.3): a browser opens `file` with `window.open`, `<img src>` or `<a download>`,
which cannot send a bearer token. The link carries one instead: the user it was issued to, a time, and an HMAC bound
to the document (the salt names it), so it opens that document only, for that user only, for DOCUMENT_LINK_SECONDS.

A link only says who is asking. What they may open is decided at every use by the same function as a bearer-token
download (services.document_open): a consent revoked after the link was issued ends it at once."""

from django.conf import settings
from django.core import signing
from django.urls import reverse


def _signer(document_id) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"documents.download:{document_id}")


def download_link(*, document_id, user_id) -> str:
    """The path of a download link for this user (no query: only HMAC work, so lists stay at their query count)."""
    token = _signer(document_id).sign(str(user_id))
    return f"{reverse('documents:download', args=[document_id])}?sig={token}"


def link_user_id(*, document_id, token: str) -> str:
    """The user a link was issued to. Raises signing.SignatureExpired (a genuine link, too old) or
    signing.BadSignature (tampered with, or made for another document)."""
    return _signer(document_id).unsign(token, max_age=settings.DOCUMENT_LINK_SECONDS)
