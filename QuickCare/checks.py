"""System checks that stop a misconfigured production server before it serves anyone (`manage.py check`, `migrate`
and `make serve` run them; `check --deploy` too)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register

ENV_EXAMPLE = Path(settings.BASE_DIR) / ".env.example"


def published_secret_keys() -> set[str]:
    """The SECRET_KEY values written in .env.example: public, so never a production key."""
    if not ENV_EXAMPLE.exists():
        return set()
    keys = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith("SECRET_KEY="):
            keys.add(line.partition("=")[2].strip())
    return keys


@register()
def production_secrets(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if settings.MASTER_OTP:
        errors.append(
            Error(
                "MASTER_OTP is set while DEBUG is off.",
                hint="MASTER_OTP is a development bypass of phone verification; remove it from the environment.",
                id="quickcare.E001",
            )
        )
    if settings.SECRET_KEY in published_secret_keys():
        errors.append(
            Error(
                "SECRET_KEY is the public value from .env.example while DEBUG is off.",
                hint="Anyone can sign tokens with it. Set your own, e.g. "
                'python -c "import secrets; print(secrets.token_urlsafe(64))".',
                id="quickcare.E002",
            )
        )
    return errors
