"""The shared cache: Redis, degrading to Django's database cache table while Redis is unreachable.

Throttle counters, OTP cooldowns and the directory cache must be shared by every server process. When Redis stops
answering, each operation falls back to the database cache (the `quickcare_cache` table, created by a migration),
so limits keep counting across processes and the directories are rebuilt from the database, instead of every
login and directory request failing. Redis is tried again after RETRY_SECONDS; counters restart in whichever store
is in use. `/api/health/` reports the cache as "error" (status "degraded") meanwhile.
"""

import logging
import time

import redis
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("quickcare.cache")

RETRY_SECONDS = 5
FALLBACK_TABLE = "quickcare_cache"


def _failover(name: str):
    def method(self, *args, **kwargs):
        if time.monotonic() >= self._redis_down_until:
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except redis.RedisError as exc:
                logger.error(
                    "Redis unavailable (%s); using the database cache for %ss", type(exc).__name__, RETRY_SECONDS
                )
                self._redis_down_until = time.monotonic() + RETRY_SECONDS
        return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class FailoverRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = DatabaseCache(FALLBACK_TABLE, {"KEY_PREFIX": params.get("KEY_PREFIX", "")})
        self._redis_down_until = 0.0

    def redis_available(self) -> bool:
        """A direct probe of Redis, bypassing the fallback (for the health check)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except redis.RedisError:
            return False

    add = _failover("add")
    get = _failover("get")
    set = _failover("set")
    touch = _failover("touch")
    delete = _failover("delete")
    get_many = _failover("get_many")
    has_key = _failover("has_key")
    incr = _failover("incr")
    set_many = _failover("set_many")
    delete_many = _failover("delete_many")
    clear = _failover("clear")
