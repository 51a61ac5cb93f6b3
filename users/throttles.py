"""Rate limits. All counters live in the configured cache (Redis or the database), shared by every process.

Per-IP limits are DRF throttle classes on the views. Per-contact (and per-owner, per-IP login) counters are driven by
the services *after* input validation and the "already registered" check, and some count only failures, so they are
called explicitly. A rate of "0" (or empty) means no limit.
"""

import re

from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

_PERIOD = re.compile(r"(\d*)\s*([smhd])[a-z]*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateThrottle(SimpleRateThrottle):
    """DRF's sliding window, counted in one atomic round trip where the cache can (Redis: `sliding_window` of
    QuickCare.cache.FailoverRedisCache) and by DRF's list of timestamps in the cache otherwise (the database cache,
    and the fallback while Redis is down). The per-request throttles of views go through `allow_request`."""

    _wait = None

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = getattr(self.cache, "sliding_window", None)
        self._wait = window and window(key, self.num_requests, self.duration, self.timer())
        if self._wait is None:
            return super().allow_request(request, view)
        return self._wait == 0

    def wait(self):
        return super().wait() if self._wait is None else self._wait

    def get_rate(self):
        # Read the settings on each use (DRF binds them at import), so tests and overrides take effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def parse_rate(self, rate):
        """DRF's "100/hour" plus a multiplier: "10/15min", "5/2h"."""
        if rate is None or str(rate).strip() in ("", "0"):
            return (None, None)
        num, period = rate.split("/")
        match = _PERIOD.fullmatch(period.strip().lower())
        if not match:
            raise ValueError(f"Bad throttle rate {rate!r}; use e.g. '100/hour' or '10/15min'.")
        if int(num) == 0:
            return (None, None)
        return int(num), int(match[1] or 1) * _SECONDS[match[2]]


class IPThrottle(RateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OTPSendIPThrottle(IPThrottle):
    scope = "otp_send_ip"


class OTPVerifyIPThrottle(IPThrottle):
    scope = "otp_verify_ip"


class CheckIPThrottle(IPThrottle):
    scope = "check_ip"


class ContactThrottle(RateThrottle):
    """A counter per (scope, identifier): a contact number, a user or owner id, an IP address."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def _load(self, contact) -> None:
        self.key = self.cache_format % {"scope": self.scope, "ident": contact}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def check(self, contact) -> None:
        """Raise 429 if the contact has used up its allowance."""
        if self.num_requests is None:
            return
        self._load(contact)
        if len(self.history) >= self.num_requests:
            raise Throttled(wait=self.wait())

    def record(self, contact) -> None:
        if self.num_requests is None:
            return
        self._load(contact)
        self.throttle_success()

    def hit(self, contact) -> None:
        if self.num_requests is None:
            return
        self.check(contact)
        self.throttle_success()


class UploadThrottle(RateThrottle):
    """Document uploads per user (THROTTLE_UPLOAD_PER_USER); reads of the same view are not counted."""

    scope = "upload_user"

    def get_cache_key(self, request, view):
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class PatientLookupThrottle(RateThrottle):
    """Patient lookups per staff member (THROTTLE_PATIENT_LOOKUP): finding the person in front of you, not a
    directory to page through."""

    scope = "patient_lookup_user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
