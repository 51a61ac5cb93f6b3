import logging

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger("quickcare.health")

HealthSerializer = inline_serializer(
    "Health", {"status": serializers.CharField(), "database": serializers.CharField(), "cache": serializers.CharField()}
)


def _check(name, probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:  # noqa: BLE001 - any failure of a dependency means "not ok"; the detail goes to the log only
        logger.exception("Health check: %s is down", name)
        return "error"


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("health-check", "ok", 10)
    if cache.get("health-check") != "ok":
        raise RuntimeError("cache did not return what was stored")


@extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
class HealthView(APIView):
    """For load balancers: 200 when the database and the cache answer, 503 naming the failing part otherwise."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        parts = {"database": _check("database", _database), "cache": _check("cache", _cache)}
        healthy = all(state == "ok" for state in parts.values())
        return Response({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)
