import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse


class PublicCacheMixin:
    """For public GETs whose answer is the same for every caller (the doctor and clinic directories).

    The rendered JSON is kept in the shared cache for settings.PUBLIC_CACHE_SECONDS (0 turns it off), keyed by the
    full path with its query string, so the directory may lag an edit by that long. Free slots, bookings and anything
    personal are never cached.
    """

    def _public_cache_key(self, request) -> str | None:
        if request.method != "GET" or not settings.PUBLIC_CACHE_SECONDS:
            return None
        return "public:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()

    def get(self, request, *args, **kwargs):
        key = self._public_cache_key(request)
        body = cache.get(key) if key else None
        if body is not None:
            return HttpResponse(body, content_type="application/json")
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = self._public_cache_key(request)
        if key and response.status_code == 200 and hasattr(response, "render"):
            response.render()
            cache.set(key, response.content, settings.PUBLIC_CACHE_SECONDS)
        return response
