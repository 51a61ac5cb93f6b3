"""`manage.py run_worker`: the background worker of TASKS_BACKEND (django-tasks-db's db_worker, or rq's worker) as a
child process, and the notification sweep every NOTIFY_SWEEP_SECONDS in this one. Stops both on SIGINT/SIGTERM;
exits when the child dies, so a supervisor restarts the pair."""

import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications.services import sweep

WORKERS = {
    "database": ["db_worker", "--queue-name", "default", "--interval", "0.5"],
    "rq": ["rqworker", "default", "--job-class", "django_tasks_rq.backend.Job"],
}


class Command(BaseCommand):
    help = "Run the task worker of TASKS_BACKEND and the notification sweep beside it."

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        worker = None
        if settings.TASKS_BACKEND in WORKERS:
            manage = str(settings.BASE_DIR / "manage.py")  # from any working directory a supervisor starts it in
            worker = subprocess.Popen([sys.executable, manage, *WORKERS[settings.TASKS_BACKEND]])
        self.stdout.write(f"Worker for {settings.TASKS_BACKEND} tasks and the notification sweep are running.")
        try:
            while not stop.is_set():
                if worker is not None and worker.poll() is not None:
                    self.stderr.write(f"The {settings.TASKS_BACKEND} worker exited ({worker.returncode}).")
                    sys.exit(1)
                try:
                    sweep()
                except Exception:  # a database blip must not end the worker: the next sweep tries again
                    self.stderr.write("The notification sweep failed; trying again.")
                stop.wait(settings.NOTIFY_SWEEP_SECONDS)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
