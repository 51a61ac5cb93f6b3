import codecs
import json
import os

from django.core.wsgi import get_wsgi_application
from django.utils.http import parse_header_parameters

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "QuickCare.settings")


def _is_text_encoding(charset: str) -> bool:
    try:
        return codecs.lookup(charset)._is_text_encoding
    except LookupError:
        return True  # unknown names are ignored by Django itself


def refuse_non_text_charsets(app):
    """`Content-Type: ...; charset=rot13` (a codec that is not a text encoding) makes Django fail while it builds the
    request, before any middleware could answer. Refuse it here with a 400 in the API's shape."""

    def application(environ, start_response):
        _, params = parse_header_parameters(environ.get("CONTENT_TYPE", ""))
        charset = params.get("charset")
        if charset and not _is_text_encoding(charset):
            body = json.dumps({"message": f"Unsupported charset {charset!r}; send UTF-8."}).encode()
            start_response(
                "400 Bad Request", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return app(environ, start_response)

    return application


application = refuse_non_text_charsets(get_wsgi_application())
