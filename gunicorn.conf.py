"""gunicorn settings for `make serve` (production). Every value can be overridden by the environment."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# gthread: each worker serves GUNICORN_THREADS requests at once and keeps idle keep-alive connections off its
# threads, so a slow client holds one thread, not a whole worker. Production still runs behind nginx
# (deploy/nginx.conf), which buffers slow request headers and bodies and streams downloads itself
# (X-Accel-Redirect): gunicorn only ever sees complete requests and never waits on a slow reader.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounded memory), with jitter so they don't restart together. The app is loaded once
# in the master (preload_app) so a recycled worker is a fork, not a fresh import of Django: without it every restart
# stalled the requests queued on that worker for most of a second (the benchmark's p99). Nothing opens a database or
# cache connection at import time, so forked workers share none. A code change needs a restart, not a HUP.
preload_app = True
max_requests = 10000
max_requests_jitter = 1000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "QuickCare.gunicorn_logging.SafeAccessLogger"  # control characters escaped
# The path only: query strings stay out of the log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
