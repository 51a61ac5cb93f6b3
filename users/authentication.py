from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import PermissionDenied
from rest_framework_simplejwt import authentication


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's bearer tokens, with the one limit of an onboarding login (a temporary password, contract 2.1):
    its tokens open only the views and methods that finish the account (a view's `onboarding_methods`), every other
    endpoint answers 403."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[1].get("onboarding"):
            view = request.parser_context.get("view") if request.parser_context else None
            if request.method not in getattr(view, "onboarding_methods", ()):
                raise PermissionDenied("Finish setting up your account first.")
        return result


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the subclass: the same bearer JWT (`jwtAuth`)."""

    target_class = JWTAuthentication
