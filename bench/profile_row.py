"""Profile one benchmarked endpoint in-process: the WSGI application Django serves under gunicorn, called directly.

Usage (from the repo root, after `bench/run.py --seed-only DIR`):
    .venv/bin/python bench/profile_row.py DIR ROW [-n 2000] [--top 30] [--sort tottime] [--no-profile] 2>/dev/null
ROW is a regular expression naming one row of bench/run.py ("floor", "doctors/ \\(200", "booking, 64"...). A write
sends each line of its list once: give each profile of a write its own --start (or seed again).
Prints the CPU time per request and the SQL statements per request without the profiler, then (unless
--no-profile) cProfile's top functions over the same number of requests. The server's settings are the benchmark's
(bench/run.py server_env): DEBUG off, PostgreSQL, Redis, PUBLIC_CACHE_SECONDS from the environment (0: cache off).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sys
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (bench/run.py)


def requests_for(row: tuple[str, str, dict], work: Path, start: int):
    """An endless supply of (method, path, headers, body) for the row, as its wrk script would send them."""
    name, path, options = row
    headers = dict(h.split(": ", 1) for h in options.get("headers", ()))
    script = options.get("script")
    if script == "booking.lua":
        bodies = (work / "bookings.txt").read_text().splitlines()
        tokens = (
            Path(options["env"]["TOKENS"]).read_text().split()
            if "TOKENS" in options["env"]
            else [options["env"]["TOKEN"]]
        )
        for i in count(start):
            yield "POST", path, {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}, bodies[i % len(bodies)]
    elif script == "reschedule.lua":
        moves = (work / "reschedules.txt").read_text().splitlines()
        for i in count(start):
            appointment, body = moves[i % len(moves)].split("\t")
            token = {"Authorization": f"Bearer {options['env']['TOKEN']}"}
            yield "POST", f"/api/appointments/my/{appointment}/reschedule/", token, body
    else:
        while True:
            yield "GET", path, headers, ""


def environ(method: str, target: str, headers: dict, body: str) -> dict:
    path, _, query = target.partition("?")
    data = body.encode()
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(data)),
    }
    if data:
        env["CONTENT_TYPE"] = "application/json"
    for key, value in headers.items():
        env["HTTP_" + key.upper().replace("-", "_")] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path)
    parser.add_argument("row")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--start", type=int, default=130000, help="writes: the first line of their list to send (each is sent once)"
    )
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quickcare_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    os.environ.update(run.server_env(argparse.Namespace(port=8000), database_url, redis_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "QuickCare.settings")
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    application = get_wsgi_application()
    targets = json.loads((args.work / "targets.json").read_text())
    (row,) = [r for r in run.rows(targets, args.work, 1) if re.search(args.row, r[0])]
    supply = requests_for(row, args.work, args.start)
    statuses = {}

    def serve(n: int) -> None:
        for _ in range(n):
            response = application(environ(*next(supply)), lambda status, headers, exc_info=None: None)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            b"".join(response)
            response.close()

    serve(50)  # connections opened, caches filled
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *a: statements.append(sql) or execute(sql, *a)):
        serve(20)
    started = time.process_time()
    serve(args.n)
    cpu_ms = (time.process_time() - started) * 1000 / args.n
    print(f"{row[0]}: {cpu_ms:.3f} ms CPU per request in Django, {len(statements) / 20:.1f} statements per request")
    print(f"statuses: {statuses}")
    for sql in statements[: round(len(statements) / 20)]:
        print("  ", sql[:200])
    if not args.no_profile:
        profile = cProfile.Profile()
        profile.runcall(serve, args.n)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        print(f"statuses, with the profiled run: {statuses}")


if __name__ == "__main__":
    main()
