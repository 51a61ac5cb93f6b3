import hashlib
import json
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse

from users.models import RoleId


class PublicCacheMixin:
    """For public GETs whose answer is the same for every caller (the doctor and clinic directories).

    The rendered JSON is kept in the shared cache, keyed by the full path with its query string, and is fresh for
    settings.PUBLIC_CACHE_SECONDS (0 turns it off). An entry is kept for as long again after that: the first request
    to find it stale takes a short lock (`cache.add`) and rebuilds it while every other request is still answered
    from the stale copy, so an expiry costs one rebuild instead of one per worker that misses at that moment. The
    directory would therefore lag an edit by PUBLIC_CACHE_SECONDS plus one rebuild, except that every save of a
    model the directories show bumps a version (`directory_changed`, connected below) and an entry of an older
    version is never served: edits show at once, and the cache still carries the load between edits. Free slots,
    bookings and anything personal are never cached.
    """

    def _recognised_parameters(self) -> set[str]:
        filterset = getattr(self, "filterset_class", None)
        names = set(filterset.base_filters) if filterset else set()
        paginator = self.paginator
        if paginator is not None:
            names |= {paginator.limit_query_param, paginator.offset_query_param}
        return names

    def _public_cache_key(self, request) -> str | None:
        """The path and only the query parameters the view reads, in a fixed order: `?bust=N` (or reordering)
        cannot make a new entry per request."""
        if request.method != "GET" or not settings.PUBLIC_CACHE_SECONDS:
            return None
        query = request.query_params
        known = sorted((name, value) for name in self._recognised_parameters() for value in query.getlist(name))
        identity = json.dumps([request.path, known])
        return "public:v3:" + hashlib.sha256(identity.encode()).hexdigest()

    def get(self, request, *args, **kwargs):
        key = self._public_cache_key(request)
        if key:
            found = cache.get_many([key, VERSION_KEY])  # one round trip
            self._directory_version = found.get(VERSION_KEY, 0)
            entry = found.get(key)
            if entry is not None and entry[1] == self._directory_version:
                fresh_until, _, body = entry
                # The lock lasts one freshness period: longer than any rebuild, and gone before the rebuilt entry
                # goes stale in turn.
                if time.time() < fresh_until or not cache.add(f"{key}:rebuild", 1, settings.PUBLIC_CACHE_SECONDS):
                    return HttpResponse(body, content_type="application/json")
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = self._public_cache_key(request)
        renderer = getattr(response, "accepted_renderer", None)
        is_json = renderer is not None and renderer.format == "json"  # never a browsable-API HTML page
        if key and response.status_code == 200 and is_json and hasattr(response, "render"):
            response.render()
            seconds = settings.PUBLIC_CACHE_SECONDS
            entry = (time.time() + seconds, getattr(self, "_directory_version", 0), response.content)
            cache.set(key, entry, 2 * seconds)
        return response


VERSION_KEY = "public:version"
# What the public directories show: a save or delete of any of these makes every cached entry out of date.
DIRECTORY_MODELS = (
    "doctors.DoctorProfile",
    "doctors.DoctorAvailability",
    "clinic.Clinic",
    "clinic.ClinicMember",
    "users.User",
)


def directory_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if not settings.PUBLIC_CACHE_SECONDS:
        return
    if sender is get_user_model() and instance.roles_id != RoleId.DOCTOR and "roles" not in (update_fields or ()):
        return  # of accounts, the directories show doctors only: a patient signing up changes nothing there
    cache.add(VERSION_KEY, 0, None)
    cache.incr(VERSION_KEY)


for _model in DIRECTORY_MODELS:  # lazy "app.Model" senders: importing this module imports no app
    post_save.connect(directory_changed, sender=_model, dispatch_uid=f"directory-{_model}")
    post_delete.connect(directory_changed, sender=_model, dispatch_uid=f"directory-delete-{_model}")
