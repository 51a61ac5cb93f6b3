"""The shared cache: Redis, degrading to Django's database cache table while Redis is unreachable.

Throttle counters, OTP cooldowns and the directory cache must be shared by every server process. When Redis stops
answering, each operation falls back to the database cache (the `quickcare_cache` table, created by a migration),
so limits keep counting across processes and the directories are rebuilt from the database, instead of every
login and directory request failing. Redis is tried again after RETRY_SECONDS; counters restart in whichever store
is in use. `/api/health/` reports the cache as "error" (status "degraded") meanwhile.
"""

import logging
import math
import secrets
import time

import redis
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger("quickcare.cache")

RETRY_SECONDS = 5
FALLBACK_TABLE = "quickcare_cache"


def _failover(name: str):
    def method(self, *args, **kwargs):
        return self._redis_or(
            lambda: getattr(RedisCache, name)(self, *args, **kwargs),
            lambda: getattr(self._fallback, name)(*args, **kwargs),
        )

    method.__name__ = name
    return method


# One use of a sliding window, atomically: drop the uses older than the window, and record this one only if fewer
# than the limit remain. Answers 0 when recorded, else the seconds until the oldest use leaves the window.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, ARGV[5])
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every command, and its constructor fills a table of ~170
    response callbacks each time: a quarter of the floor's profile. `redis.Redis` is thread-safe, so one per connection
    pool serves every command of the process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:  # two threads may both build one; either serves
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class FailoverRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._fallback = DatabaseCache(FALLBACK_TABLE, {"KEY_PREFIX": params.get("KEY_PREFIX", "")})
        self._redis_down_until = 0.0
        self._sliding_window = None

    def sliding_window(self, key: str, limit: int, window: int, now: float) -> float | None:
        """Count one use of `key` if fewer than `limit` were counted in the `window` seconds before `now`: 0.0 when
        counted, else the seconds until one is free. One round trip, and atomic (concurrent requests cannot all read
        the same count and slip under the limit). None while Redis is down: the caller counts in the fallback."""

        def count() -> float:
            client = self._cache.get_client(write=True)
            if self._sliding_window is None:
                self._sliding_window = client.register_script(_SLIDING_WINDOW)
            use = f"{now:.6f}:{secrets.token_hex(4)}"  # unique, so two uses in one microsecond both count
            keys, args = [self.make_and_validate_key(f"window:{key}")], [now, window, limit, use, math.ceil(window)]
            return float(self._sliding_window(keys=keys, args=args, client=client))

        return self._redis_or(count, lambda: None)

    def _redis_or(self, call, fallback):
        """`call()` on Redis; `fallback()` while Redis is down, which an error marks for RETRY_SECONDS."""
        if time.monotonic() >= self._redis_down_until:
            try:
                return call()
            except redis.RedisError as exc:
                logger.error(
                    "Redis unavailable (%s); using the database cache for %ss", type(exc).__name__, RETRY_SECONDS
                )
                self._redis_down_until = time.monotonic() + RETRY_SECONDS
        return fallback()

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
