"""Print deploy/nginx.conf with its ${...} values filled in.

    python deploy/render_nginx.py                     # values from the environment and the Django settings
    LISTEN=0.0.0.0:80 UPSTREAM=127.0.0.1:8001 RUN_DIR=/run/quickcare python deploy/render_nginx.py > nginx.conf

MAX_BODY, MEDIA_ROOT, STATIC_ROOT and ACCEL_PREFIX come from the settings (DOCUMENT_MAX_UPLOAD_MB, MEDIA_ROOT,
STATIC_ROOT, DOCUMENTS_ACCEL_REDIRECT_PREFIX), so nginx and the API cannot disagree on them.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(**overrides) -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "QuickCare.settings")
    import django
    from django.conf import settings

    django.setup()
    from QuickCare.uploads import MULTIPART_ALLOWANCE

    values = {
        "LISTEN": os.environ.get("LISTEN", "127.0.0.1:8080"),
        "UPSTREAM": os.environ.get("UPSTREAM", "127.0.0.1:8000"),
        "RUN_DIR": os.environ.get("RUN_DIR", str(ROOT / ".run" / "nginx")),
        "MIME_TYPES": os.environ.get("MIME_TYPES", "/etc/nginx/mime.types"),
        # Running as root (a container, CI), the workers stay root so they can read MEDIA_ROOT; a packaged install
        # sets NGINX_USER (e.g. www-data) and gives that user read access to MEDIA_ROOT.
        "USER_DIRECTIVE": f"user {os.environ['NGINX_USER']};"
        if os.environ.get("NGINX_USER")
        else ("user root;" if os.geteuid() == 0 else ""),
        "MAX_BODY": str(settings.DOCUMENT_MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STATIC_ROOT": str(settings.STATIC_ROOT),
        "ACCEL_PREFIX": settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX or "/_protected_documents/",
    }
    values.update(overrides)
    # Only ${UPPER_CASE} is ours: nginx's own $host, $scheme ... stay as they are.
    return re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m[1]], (ROOT / "deploy" / "nginx.conf").read_text())


if __name__ == "__main__":
    sys.stdout.write(render())
