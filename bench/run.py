"""Benchmark: seed a realistic data set, serve it with gunicorn on PostgreSQL + Redis, load it with wrk.

Usage (from the repo root, with wrk installed: apt-get install wrk):
    .venv/bin/python bench/run.py [--duration 10] [--connections 16] [--threads 2] [--cache off,on] [--only REGEX]
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/quickcare_bench) is dropped and re-created, unless
--reuse DIR names the output of an earlier seed (--seed-only DIR seeds and stops: for bench/profile_row.py).

For each endpoint and cache mode, prints the median of --repeat runs: requests/s, p50/p99 latency, non-2xx answers,
and the CPU time the box spent per request (gunicorn's processes, PostgreSQL's and Redis's, read from /proc before
and after each run; wrk's own is not counted), with that CPU time as a ratio to the floor's in the same mode. The
CPU ratio is the figure to compare: requests/s move with whatever else the two cores are doing.
"""

import argparse
import json
import os
import re
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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SERVICES = {"postgres", "redis-server"}  # the box's database and cache serve only the benchmark during a run


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds of it and of its finished children)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # fields[1] is the parent; utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the name)
        table[int(stat.parent.name)] = (int(fields[1]), name, sum(int(f) for f in fields[11:15]) / CLOCK_TICKS)
    return table


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU used so far by the server (gunicorn's master and workers), PostgreSQL and Redis. A process that ends
    hands its time to its parent's children counters, so differences of these sums stay right across restarts."""
    table = _processes()
    groups = {"server": {server_pid}, "postgres": set(), "redis-server": set()}
    for pid, (_, name, _) in table.items():
        if name in SERVICES:
            groups[name].add(pid)
    while grown := {pid for pid, (parent, _, _) in table.items() if parent in groups["server"]} - groups["server"]:
        groups["server"] |= grown  # gunicorn's workers, and theirs
    return {group: sum(table[pid][2] for pid in pids if pid in table) for group, pids in groups.items()}


def rows(targets: dict, work: Path, threads: int) -> list[tuple[str, str, dict]]:
    """(name, path, wrk options) of every benchmarked endpoint; the first is the floor."""
    doctor = [f"Authorization: Bearer {targets['doctor_token']}"]

    def writes(script: str, **env) -> dict:
        return {"script": script, "env": {**os.environ, **env, "WRK_THREADS": str(threads)}}

    bookings = str(work / "bookings.txt")
    return [
        ("floor: GET /api/users/check/", f"/api/users/check/?contact={targets['contact']}", {}),
        ("GET /api/doctors/ (200 doctors)", "/api/doctors/", {}),
        ("GET /api/doctors/?limit=10&offset=0", "/api/doctors/?limit=10&offset=0", {}),
        ("GET /api/doctors/ with filters", "/api/doctors/?specialty=cardiology&min_fee=300&max_fee=1200", {}),
        ("GET /api/clinics/public/ (20 clinics)", "/api/clinics/public/", {}),
        (
            "GET free slots, busy day",
            f"/api/doctors/{targets['doctor']}/availability/slots/?date={targets['busy_day']}",
            {},
        ),
        (
            "GET /api/appointments/my/",
            "/api/appointments/my/",
            {"headers": [f"Authorization: Bearer {targets['reader_token']}"]},
        ),
        (
            "POST /api/appointments/my/ (booking, one patient)",
            "/api/appointments/my/",
            writes("booking.lua", BOOKINGS=bookings, TOKEN=targets["token"]),
        ),
        (
            "POST /api/appointments/my/ (booking, 64 patients in turn)",
            "/api/appointments/my/",
            writes("booking.lua", BOOKINGS=bookings, TOKENS=str(work / "patient_tokens.txt")),
        ),
        (
            "GET /api/appointments/doctor/queue/ (busy day)",
            f"/api/appointments/doctor/queue/?clinic_id={targets['clinic']}&date={targets['busy_day']}",
            {"headers": doctor},
        ),
        (
            "GET /api/appointments/clinic/<id>/dashboard/ (busy day)",
            f"/api/appointments/clinic/{targets['clinic']}/dashboard/?date={targets['busy_day']}",
            {"headers": [f"Authorization: Bearer {targets['owner_token']}"]},
        ),
        (
            "GET /api/users/patient/lookup/ (writes its log row)",
            f"/api/users/patient/lookup/?contact={targets['lookup_contact']}",
            {"headers": doctor},
        ),
        (
            "POST /api/appointments/my/<id>/reschedule/",
            "/api/appointments/my/",
            writes("reschedule.lua", MOVES=str(work / "reschedules.txt"), TOKEN=targets["mover_token"]),
        ),
    ]


def server_env(args, database_url: str, redis_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "CONN_MAX_AGE": "600",
        "THROTTLE_CHECK_PER_IP": "100000000/hour",
        "THROTTLE_PATIENT_LOOKUP": "100000000/hour",
        # One benchmark patient books thousands of slots: the per-patient abuse limits are off for the run.
        "MAX_ACTIVE_BOOKINGS_PER_PATIENT": "0",
        "BOOKING_HORIZON_DAYS": "0",
        "JWT_ACCESS_MINUTES": "1440",  # the seeded tokens outlive a day of runs and profiles on one data set
        "GUNICORN_ACCESS_LOG": os.environ.get("GUNICORN_ACCESS_LOG", os.devnull),
        "PORT": str(args.port),
    }


def seed(env: dict, database_url: str, redis_url: str, work: Path) -> None:
    recreate_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, str(BENCH / "seed.py"), str(work)], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--repeat", type=int, default=3, help="runs per endpoint; the median run is reported")
    parser.add_argument("--cache", default="off,on", help="public directory cache modes to run, in order")
    parser.add_argument("--only", default="", help="a regular expression: run only the endpoints it finds")
    parser.add_argument("--reuse", type=Path, help="serve an earlier --seed-only output instead of seeding")
    parser.add_argument("--seed-only", type=Path, help="seed into this folder and stop")
    parser.add_argument("--log", type=Path, default=Path(os.devnull), help="where the server's log lines go")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quickcare_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    env = server_env(args, database_url, redis_url)
    work = args.reuse or args.seed_only or Path(tempfile.mkdtemp(prefix="quickcare-bench-"))
    if not args.reuse:
        seed(env, database_url, redis_url, work)
    if args.seed_only:
        return
    targets = json.loads((work / "targets.json").read_text())
    selected = [
        row for i, row in enumerate(rows(targets, work, args.threads)) if i == 0 or re.search(args.only, row[0])
    ]
    base = f"http://127.0.0.1:{args.port}"
    writes_started = 0  # each run of a write starts further into its list of fresh slots
    tables = {}
    for mode in args.cache.split(","):
        mode_env = {
            **env,
            "PUBLIC_CACHE_SECONDS": "0" if mode == "off" else os.environ.get("PUBLIC_CACHE_SECONDS", "30"),
        }
        with open(args.log, "a") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "QuickCare.wsgi:application", "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=mode_env,
                stderr=log,
            )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/api/health/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            results = []
            for name, path, options in selected:
                warm = argparse.Namespace(**{**vars(args), "duration": 2})  # open DB connections, fill caches
                if "script" not in options:
                    wrk(base + path, warm, **options)
                measured = []
                for _ in range(args.repeat):
                    if "env" in options:
                        options = {**options, "env": {**options["env"], "START": str(writes_started * 10000)}}
                        writes_started += 1
                    before = cpu_seconds(server.pid)
                    result = wrk(base + path, args, **options)
                    after = cpu_seconds(server.pid)
                    result["split"] = {k: (after[k] - before[k]) * 1000 / max(result["requests"], 1) for k in after}
                    result["cpu_ms"] = sum(result["split"].values())
                    measured.append(result)
                results.append((name, sorted(measured, key=lambda r: r["cpu_ms"])[len(measured) // 2]))
            tables[mode] = results
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(
        f"\n{args.threads} wrk threads, {args.connections} connections, median of {args.repeat} runs of"
        f" {args.duration}s per endpoint (the run with the median CPU per request)"
    )
    for mode, results in tables.items():
        floor = results[0][1]
        print(f"\nPublic directory cache {mode}:\n")
        print(
            "| endpoint | requests/s | p50 ms | p99 ms | non-2xx | CPU ms/request | server + PostgreSQL + Redis"
            " | CPU ÷ floor |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in results:
            split = " + ".join(f"{ms:.2f}" for ms in r["split"].values())
            print(
                f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']} |"
                f" {r['cpu_ms']:.2f} | {split} | {r['cpu_ms'] / floor['cpu_ms']:.2f} |"
            )


if __name__ == "__main__":
    main()
