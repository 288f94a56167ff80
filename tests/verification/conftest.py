"""A real gunicorn server on the test's database, and plain HTTP calls to it."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]


class Live(str):
    """The base URL, with the gunicorn master process."""

    def __new__(cls, url, process):
        live = super().__new__(cls, url)
        live.process = process
        return live


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_args():
    """Worker settings of the `server` fixture; a test module may override this fixture."""
    return ["--workers", "3", "--threads", "4", "--worker-class", "gthread"]


@pytest.fixture
def server(app, config, tmp_path, gunicorn_args):
    """gunicorn serving the test's database; yields its base URL (`.process` is the master)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=config["DATABASE_URL"], SECRET_KEY=config["SECRET_KEY"],
               FLASK_RATELIMIT_ENABLED="false", FLASK_ID_HASH_KEY=config["ID_HASH_KEY"])
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *gunicorn_args, "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield Live(base, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
