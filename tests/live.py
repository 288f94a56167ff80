"""Real app servers for tests: gunicorn started on a free port, and plain HTTP calls that keep cookies the way
a browser does (so a test can copy them from one browser to another)."""
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Live(str):
    """A server's base URL, with its gunicorn master process (`.process`)."""

    def __new__(cls, url, process):
        live = super().__new__(cls, url)
        live.process = process
        return live


@contextmanager
def gunicorn(env, log_path, args=("-c", "gunicorn.conf.py"), startup_seconds=30):
    """gunicorn serving wsgi:app (by default with the shipped settings, gunicorn.conf.py; `args` replaces
    them) with `env` added to this process's environment; yields its base URL (a Live) once /healthz answers,
    and stops it after. The ledger's appender stays off unless `env` turns it on (LEDGER_APPENDER)."""
    port = free_port()
    env = {**os.environ, "LEDGER_APPENDER": "off", "GUNICORN_BIND": f"127.0.0.1:{port}", **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{port}",
                                    "--graceful-timeout", "2", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = Live(f"http://127.0.0.1:{port}", process)
        try:
            deadline = time.monotonic() + startup_seconds
            while Browser(base).get("/healthz", quiet=True).status != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start:\n" + Path(log_path).read_text(errors="replace"))
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Reply:
    status: int
    headers: object  # http.client.HTTPMessage
    data: bytes

    @property
    def text(self):
        return self.data.decode("utf-8", "replace")


@dataclass
class Browser:
    """One browser on one server: its cookies (name -> value) go with every call; redirects are not followed."""

    base: str
    cookies: dict = field(default_factory=dict)

    def on(self, base):
        """The same cookies, sent to another server (another node behind the same load balancer)."""
        return Browser(base, dict(self.cookies))

    def call(self, method, path, body=None, headers=None, quiet=False):
        parts = urlsplit(self.base)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        except OSError:
            if quiet:
                return Reply(0, None, b"")
            raise
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0" and "1970" not in morsel["expires"]:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return reply

    def get(self, path, headers=None, quiet=False):
        return self.call("GET", path, headers=headers, quiet=quiet)

    def post_form(self, path, fields):
        """A form as the browser sends it, with the CSRF token of the page it came from (`csrf_token`)."""
        return self.call("POST", path, urlencode(fields), {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path, data, headers=None):
        import json

        return self.call("POST", path, json.dumps(data), {"Content-Type": "application/json", **(headers or {})})

    def csrf_token(self, path):
        """The CSRF token on a page (a form's hidden field)."""
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


def multipart(fields, files):
    """A multipart/form-data body and its Content-Type: fields {name: text}, files {name: (filename, bytes)}."""
    boundary = os.urandom(12).hex()
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
