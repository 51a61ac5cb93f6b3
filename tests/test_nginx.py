"""Production serving (hardening item 21): the real nginx (deploy/nginx.conf, rendered by deploy/render_nginx.py) in
front of a real gunicorn, on loopback. Slow clients wait in nginx, never in a gunicorn worker, and downloads are
sent by nginx (X-Accel-Redirect) after the API checked access and wrote the log row.

nginx is installed by .ci/run; elsewhere the test is skipped when nginx is missing (in CI it fails instead)."""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from documents.tests.factories import PDF_BYTES
from tests.live import GUNICORN, ROOT, call, free_port, live_env, manage, seed, serving, wait_until_healthy

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
if NGINX is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the nginx tests: .ci/run installs nginx")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")

SEED = """
import json
from users.services import tokens_for
from users.tests.factories import make_user
patient = make_user()
print(json.dumps({"token": tokens_for(patient)["access"]}))
"""
GUNICORN_TIMEOUT = 3


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    env = live_env(
        tmp,
        DOCUMENTS_ACCEL_REDIRECT_PREFIX="/_protected_documents/",
        TRUSTED_PROXY_COUNT="1",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        GUNICORN_TIMEOUT=str(GUNICORN_TIMEOUT),
    )
    manage("migrate", "--noinput", env=env)
    token = seed(SEED, env)["token"]
    with serving(GUNICORN, env) as upstream:
        port, run_dir = free_port(), tmp / "run"
        run_dir.mkdir()
        render_env = {
            **env,
            "LISTEN": f"127.0.0.1:{port}",
            "UPSTREAM": upstream.removeprefix("http://"),
            "RUN_DIR": str(run_dir),
        }
        conf = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "render_nginx.py")],
            env=render_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (run_dir / "nginx.conf").write_text(conf)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(run_dir / "nginx.conf"), "-p", str(run_dir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base)
            yield {"base": base, "upstream": upstream, "token": token, "env": env, "port": port, "run_dir": run_dir}
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)


def upload(base, token, content: bytes):
    body = encode_multipart(BOUNDARY, {"file": _named(content), "title": "MRI", "document_type": "imaging"})
    return call(base, "POST", "/api/documents/", body, token=token, content_type=MULTIPART_CONTENT)


def _named(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("mri.pdf", content, content_type="application/pdf")


def _trickle(port: int, stop: threading.Event):
    """A client that sends its request headers one byte at a time, never finishing them."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(0.3):
            try:
                sock.sendall(b"X")
            except OSError:
                return


def test_slow_header_clients_do_not_hold_gunicorn_workers(proxied):
    stop = threading.Event()
    slow = [threading.Thread(target=_trickle, args=(proxied["port"], stop), daemon=True) for _ in range(10)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(1)  # all ten are connected and trickling
        # One worker with two threads: without nginx in front, two of these clients would already stall it.
        statuses = [call(proxied["base"], "GET", "/api/health/")[0] for _ in range(5)]
    finally:
        stop.set()
    assert statuses == [200] * 5


def _slow_download(port: int, path: str, token: str) -> tuple[bytes, bytes, float]:
    started = time.monotonic()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        sock.settimeout(20)
        sock.connect(("127.0.0.1", port))
        headers = f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n"
        sock.sendall(f"GET {path} HTTP/1.1\r\n{headers}\r\n".encode())
        data = b""
        while chunk := sock.recv(64 * 1024):
            data += chunk
            time.sleep(0.05)  # a slow phone on a bad network
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, time.monotonic() - started


def test_a_slow_download_outlasts_the_gunicorn_timeout_and_is_logged_once(proxied):
    content = PDF_BYTES + os.urandom(6 * 1024 * 1024)
    status, body = upload(proxied["base"], proxied["token"], content)
    assert status == 201, body
    document_id = __import__("json").loads(body)["id"]
    path = f"/api/documents/{document_id}/download/"

    result = {}

    def download():
        result["head"], result["body"], result["seconds"] = _slow_download(proxied["port"], path, proxied["token"])

    downloader = threading.Thread(target=download)
    downloader.start()
    time.sleep(0.5)
    assert call(proxied["base"], "GET", "/api/health/")[0] == 200  # the worker is free while nginx sends the file
    downloader.join(timeout=60)

    assert result["seconds"] > GUNICORN_TIMEOUT  # longer than gunicorn would have let a worker stream
    assert hashlib.sha256(result["body"]).hexdigest() == hashlib.sha256(content).hexdigest()
    headers = result["head"].decode().lower()
    assert "x-content-type-options: nosniff" in headers
    assert 'content-disposition: attachment; filename="mri.pdf"' in headers
    assert "x-accel-redirect" not in headers  # nginx consumed it

    # Straight from gunicorn the answer is only the redirect: workers never stream files.
    status, direct = call(proxied["upstream"], "GET", path, token=proxied["token"])
    assert status == 200 and direct == b""
    rows = manage(
        "shell",
        "-c",
        "from documents.models import DocumentAccessLog as L; print(L.objects.filter(action='download').count())",
        env=proxied["env"],
    )
    assert rows.strip().splitlines()[-1] == "2"  # one row per download, the slow one included


def test_a_signed_link_downloads_without_a_header_and_stays_out_of_the_access_log(proxied):
    status, body = upload(proxied["base"], proxied["token"], PDF_BYTES)
    assert status == 201, body
    link = __import__("json").loads(body)["file"]
    path = link[link.index("/api/") :]
    assert "?sig=" in path
    status, content = call(proxied["base"], "GET", path)
    assert status == 200 and content == PDF_BYTES
    log = (proxied["run_dir"] / "access.log").read_text()
    assert f"GET {path.split('?')[0]} " in log and "sig=" not in log


def test_the_internal_documents_location_cannot_be_requested(proxied):
    assert call(proxied["base"], "GET", "/_protected_documents/documents/x.pdf")[0] == 404


def test_nginx_refuses_a_body_over_the_upload_limit(proxied):
    status, _ = call(
        proxied["base"],
        "POST",
        "/api/documents/",
        b"x" * (11 * 1024 * 1024),
        token=proxied["token"],
        content_type=MULTIPART_CONTENT,
    )
    assert status == 413
