"""Benchmark: seed a realistic data set, serve it with gunicorn on PostgreSQL + Redis, load it with wrk.

Usage (from the repo root, with wrk installed: apt-get install wrk):
    .venv/bin/python bench/run.py [--duration 10] [--connections 16] [--threads 2]
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/quickcare_bench) is dropped and re-created.
Prints a Markdown table (the median of --repeat runs per endpoint): requests/s, p50/p99 latency, non-2xx answers,
and throughput as a ratio to the floor.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import redis

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    admin.close()


def wrk(url: str, args, script: str = "report.lua", headers=(), env=None) -> dict:
    command = [
        "wrk",
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration}s",
        "--latency",
        "-s",
        str(BENCH / script),
    ]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env, cwd=BENCH).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--repeat", type=int, default=3, help="runs per endpoint; the median run is reported")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quickcare_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "THROTTLE_CHECK_PER_IP": "100000000/hour",
        "THROTTLE_PATIENT_LOOKUP": "100000000/hour",
        # One benchmark patient books thousands of slots: the per-patient abuse limits are off for the run.
        "MAX_ACTIVE_BOOKINGS_PER_PATIENT": "0",
        "BOOKING_HORIZON_DAYS": "0",
        "GUNICORN_ACCESS_LOG": os.devnull,
        "PORT": str(args.port),
    }
    recreate_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    work = Path(tempfile.mkdtemp(prefix="quickcare-bench-"))
    subprocess.run([sys.executable, str(BENCH / "seed.py"), str(work)], cwd=ROOT, env=env, check=True)
    targets = json.loads((work / "targets.json").read_text())

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "QuickCare.wsgi:application", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        auth = [f"Authorization: Bearer {targets['token']}"]
        runs = [
            ("floor: GET /api/users/check/", f"/api/users/check/?contact={targets['contact']}", {}),
            ("GET /api/doctors/ (200 doctors)", "/api/doctors/", {}),
            ("GET /api/doctors/ with filters", "/api/doctors/?specialty=cardiology&min_fee=300&max_fee=1200", {}),
            (
                "GET free slots, busy day",
                f"/api/doctors/{targets['doctor']}/availability/slots/?date={targets['busy_day']}",
                {},
            ),
            ("GET /api/appointments/my/", "/api/appointments/my/", {"headers": auth}),
            (
                "POST /api/appointments/my/ (booking)",
                "/api/appointments/my/",
                {
                    "script": "booking.lua",
                    "env": {
                        **os.environ,
                        "BOOKINGS": str(work / "bookings.txt"),
                        "TOKEN": targets["token"],
                        "WRK_THREADS": str(args.threads),
                    },
                },
            ),
            (
                "GET /api/appointments/doctor/queue/ (busy day)",
                f"/api/appointments/doctor/queue/?clinic_id={targets['clinic']}&date={targets['busy_day']}",
                {"headers": [f"Authorization: Bearer {targets['doctor_token']}"]},
            ),
            (
                "GET /api/appointments/clinic/<id>/dashboard/ (busy day)",
                f"/api/appointments/clinic/{targets['clinic']}/dashboard/?date={targets['busy_day']}",
                {"headers": [f"Authorization: Bearer {targets['owner_token']}"]},
            ),
            (
                "GET /api/users/patient/lookup/ (writes its log row)",
                f"/api/users/patient/lookup/?contact={targets['lookup_contact']}",
                {"headers": [f"Authorization: Bearer {targets['doctor_token']}"]},
            ),
            (
                "POST /api/appointments/my/<id>/reschedule/",
                "/api/appointments/my/",
                {
                    "script": "reschedule.lua",
                    "env": {
                        **os.environ,
                        "MOVES": str(work / "reschedules.txt"),
                        "TOKEN": targets["mover_token"],
                        "WRK_THREADS": str(args.threads),
                    },
                },
            ),
        ]
        results = []
        for name, path, options in runs:
            warm = argparse.Namespace(**{**vars(args), "duration": 2})  # open DB connections, fill caches
            if "script" not in options:
                wrk(base + path, warm, **options)
            measured = []
            for repeat in range(args.repeat):
                if "env" in options:  # bookings: each repeat starts further into the list of free slots
                    options = {**options, "env": {**options["env"], "START": str(repeat * 40000)}}
                measured.append(wrk(base + path, args, **options))
            runs_of_endpoint = sorted(measured, key=lambda r: r["rps"])
            results.append((name, runs_of_endpoint[len(runs_of_endpoint) // 2]))
    finally:
        server.terminate()
        server.wait(timeout=30)

    floor = results[0][1]["rps"]
    print(
        f"\n{args.threads} wrk threads, {args.connections} connections, median of {args.repeat} runs of"
        f" {args.duration}s per endpoint\n"
    )
    print("| endpoint | requests/s | p50 ms | p99 ms | non-2xx | vs floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results:
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']} |"
            f" {r['rps'] / floor:.0%} |"
        )


if __name__ == "__main__":
    main()
