from django.core import signing
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import NotFound

from users.models import User

from .links import link_user_id


class SignedLinkAuthentication(BaseAuthentication):
    """`?sig=` on a download: the user the link was issued to (documents/links.py). Tried after the bearer token,
    so a request with a valid token works as before. A bad or expired link is a 404, never the file."""

    def authenticate(self, request):
        token = request.query_params.get("sig")
        if token is None:
            return None
        document_id = request.parser_context["kwargs"]["pk"]
        try:
            user_id = link_user_id(document_id=document_id, token=token)
        except signing.SignatureExpired:
            raise NotFound("This download link has expired. Open the document again to get a new one.") from None
        except signing.BadSignature:
            raise NotFound("Document not found.") from None
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound("Document not found.")
        return user, None


class SignedLinkScheme(OpenApiAuthenticationExtension):
    target_class = SignedLinkAuthentication
    name = "signedLink"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": "sig"}
