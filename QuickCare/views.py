import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.services import queue_health

logger = logging.getLogger("quickcare.health")

HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(),
        "database": serializers.CharField(),
        "cache": serializers.CharField(),
        "notifications": serializers.CharField(help_text='"ok", or "stale" when the oldest due one waits too long.'),
        "queue": inline_serializer(
            "NotificationQueue",
            {"oldest_queued_seconds": serializers.IntegerField(), "failed": serializers.IntegerField()},
        ),
    },
)


class DocsAccess(BasePermission):
    message = "The API documentation is for staff signed in to the admin."

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_staff)


def _check(name, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:  # any failure of a dependency means "not ok"; the detail goes to the log only
        logger.exception("Health check: %s is down", name)
        return "error"


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    if hasattr(cache, "redis_available"):  # the failover cache answers even without Redis: probe Redis itself
        if not cache.redis_available():
            raise ConnectionError("Redis does not answer; the database cache is standing in")
        return
    cache.set("health-check", "ok", 10)
    if cache.get("health-check") != "ok":
        raise RuntimeError("cache did not return what was stored")


@extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
class HealthView(APIView):
    """For load balancers: 200 "ok" when the database and the cache answer; 200 "degraded" when only the cache is
    down (the service keeps working on the database cache); 503 "error" when the database is down, or when the
    oldest due notification has waited longer than NOTIFY_STALE_SECONDS (no worker is sending). The answer names
    the failing part."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        parts = {"database": _check("database", _database), "cache": _check("cache", _cache)}
        if parts["database"] != "ok":
            return Response({"status": "error", **parts}, status=503)
        health = queue_health()
        parts["notifications"] = "stale" if health.pop("stale") else "ok"
        parts["queue"] = health
        if parts["notifications"] != "ok":
            return Response({"status": "error", **parts}, status=503)
        return Response({"status": "ok" if parts["cache"] == "ok" else "degraded", **parts})
