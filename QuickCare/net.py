import ipaddress

from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the client's address in X-Forwarded-For when TRUSTED_PROXY_COUNT proxies are trusted (the
    same rule the throttles use). Works on a Django HttpRequest as well as a DRF Request."""
    candidate = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
