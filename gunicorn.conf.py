"""gunicorn settings shipped with the app (`gunicorn -c gunicorn.conf.py wsgi:app`).

Measured on the 2-core reference machine: 2 sync workers beat 4, and threaded workers left one
worker idle under keep-alive load, so the default is one sync worker per core, never recycled.
Override any of these with GUNICORN_* environment variables or on the command line.
"""
import gc
import multiprocessing
import os
import subprocess
import sys

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 2
# Workers are not recycled: a new worker imports the app again (about a second of CPU here), and under
# the benchmark's load recycling every 10,000 requests did that every few seconds, doubling p99
# (bench/README.md). Set GUNICORN_MAX_REQUESTS if a memory leak ever needs the safety net.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
# No access log by default, as gunicorn's own default: the load balancer in front logs every request, and
# formatting and writing each line cost a worker about 80 µs of CPU a request here, a sixth of a bare
# route's and a tenth of a scan's (bench/README.md). GUNICORN_ACCESSLOG=- writes it to stdout (`make run`
# does, for a look at what a phone sends).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
# Behind a load balancer or reverse proxy that terminates TLS, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The objects made importing the app live as long as the worker: keep them out of the garbage
    collector's full passes, which otherwise took 40-70 ms once a worker was under load (a stall
    every queued request waited out; bench/README.md)."""
    gc.collect()
    gc.freeze()


# The ledger's appender (ledger/services.py): one process beside the workers that appends committed redemptions
# and voids to the Merkle log every LEDGER_APPEND_SECONDS (60), so no request pays for it. Several servers may
# each run one: they take turns on a database lock. LEDGER_APPENDER=off when cron runs `flask ledger append`.
appender = None


def when_ready(server):
    global appender
    if os.environ.get("LEDGER_APPENDER", "on") != "off":
        appender = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "appender"])


def on_exit(server):
    if appender and appender.poll() is None:
        appender.terminate()
        appender.wait(timeout=10)
