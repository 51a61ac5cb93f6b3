from django.core import signing
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from users.models import User

from .links import link_user_id

EXPIRED = "This download link has expired. Open the document again to get a new one."
NOT_VALID = "This download link is not valid."


class SignedLinkAuthentication(BaseAuthentication):
    """`?sig=` on a download: the user the link was issued to (documents/links.py). Tried after the bearer token,
    so a request with a valid token works as before. A link that is not valid (tampered with, made for another
    document, or its user deactivated) or has expired is a 401 like any bad credential, never the file."""

    def authenticate(self, request):
        token = request.query_params.get("sig")
        if token is None:
            return None
        document_id = request.parser_context["kwargs"]["pk"]
        try:
            user_id = link_user_id(document_id=document_id, token=token)
        except signing.SignatureExpired:
            raise AuthenticationFailed(EXPIRED) from None
        except signing.BadSignature:
            raise AuthenticationFailed(NOT_VALID) from None
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise AuthenticationFailed(NOT_VALID)
        return user, None


class SignedLinkScheme(OpenApiAuthenticationExtension):
    target_class = SignedLinkAuthentication
    name = "signedLink"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "sig"}
