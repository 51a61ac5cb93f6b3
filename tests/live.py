"""Helpers for tests that run the project as real server processes (the SQLite dev server, two gunicorns)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def live_env(tmp_path: Path, **overrides) -> dict:
    """The environment of a project started as real processes by a test: production mode on its own SQLite file
    (unless overridden), files and SMS under tmp_path, no Redis unless given."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": "live-test-key-" + "x" * 40,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SMS_BACKEND": "users.sms.FileSMSBackend",
        "SMS_FILE_PATH": str(tmp_path / "sms.jsonl"),
        "GUNICORN_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(*args: str, env: dict) -> str:
    """Run `manage.py args` in a child process with `env`; return its stdout."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return result.stdout


def seed(script: str, env: dict) -> dict:
    """Run a `manage.py shell` script that prints one JSON line last; return that JSON."""
    return json.loads(manage("shell", "-c", script, env=env).strip().splitlines()[-1])


def call(base: str, method: str, path: str, body=None, token=None, content_type="application/json"):
    """One HTTP request; returns (status, body bytes) for any status."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_healthy(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if call(base, "GET", "/api/health/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base} did not become healthy within {seconds}s")


GUNICORN = [sys.executable, "-m", "gunicorn", "QuickCare.wsgi:application", "-c", "gunicorn.conf.py"]
DEV_SERVER = [sys.executable, "manage.py", "runserver", "--noreload"]


@contextmanager
def serving(command: list[str], env: dict):
    """Start the project (gunicorn, or the dev server) on a free port with `env`; yield its base URL once healthy;
    stop it afterwards."""
    port = free_port()
    if command == DEV_SERVER:
        command = [*command, f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, env={**env, "PORT": str(port)}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
