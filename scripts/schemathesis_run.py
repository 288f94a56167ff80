"""The full property-based run of the API against its OpenAPI document, as each signed-in role: `make schemathesis`.

    python scripts/schemathesis_run.py [--examples 100] [--roles coordinator,owner,cashier] [-- SCHEMATHESIS ARGS]

For each role: a fresh SQLite database in a temporary folder, filled with the demo network (`flask demo`),
served by gunicorn (the shipped settings, rate limits off so that the run measures the contract and not the
limiter), signed in as that role's demo account (`demo-coordinator`, `demo-owner`, `demo-cashier`), then
`schemathesis run --checks all --max-examples N` with its bearer token and this repository's schemathesis.toml
(its hooks: tests/schemathesis_hooks.py). A fresh database for each role keeps one role's run (a suspended
shop, a changed password) out of the next. One schemathesis worker: with two, Python 3.11's AST parser, which
Hypothesis uses to describe its strategies, broke in one of them ("AST constructor recursion depth mismatch").

Exit status: non-zero when any role's run failed or the server logged a traceback; the figures (operations,
test cases, failures, time) of each are printed at the end; each run's output, JUnit report and server log
are kept in the report folder (default: a temporary folder, printed).
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "demo2026"
ROLES = ("coordinator", "owner", "cashier")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args):
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.load(response)


def wait_for(base, process, log_path, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("gunicorn did not start:\n" + Path(log_path).read_text(errors="replace"))
        time.sleep(0.2)



def run_role(role, examples, extra, report_dir, seed):
    """One role's run on its own fresh database and server; returns its figures."""
    with tempfile.TemporaryDirectory(prefix=f"schemathesis-{role}-") as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/app.db", SECRET_KEY="schemathesis-run",
                   FLASK_ID_HASH_KEY='"schemathesis-run"', FLASK_RATELIMIT_ENABLED="false",
                   BASE_URL="", GUNICORN_WORKERS="2")
        env.pop("TEST_DATABASE_URL", None)
        flask(env, "db", "upgrade")
        flask(env, "demo")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = report_dir / f"server-{role}.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                      cwd=ROOT, env=dict(env, GUNICORN_BIND=f"127.0.0.1:{port}"), stdout=log,
                                      stderr=subprocess.STDOUT)
            try:
                wait_for(base, server, log_path)
                token = post_json(base + "/api/v1/auth/login",
                                  {"username": f"demo-{role}", "password": DEMO_PASSWORD})["token"]
                junit = report_dir / f"junit-{role}.xml"
                command = [str(BIN / "schemathesis"), "--config-file", str(ROOT / "schemathesis.toml"), "run",
                           base + "/api/v1/openapi.json", "--checks", "all", "--max-examples", str(examples),
                           "--seed", str(seed), "--workers", "1", "--suppress-health-check", "all",
                           "--header", f"Authorization: Bearer {token}", "--output-sanitize", "false",
                           "--report", "junit", "--report-junit-path", str(junit), *extra]
                print(f"== {role}: schemathesis --config-file schemathesis.toml run {base}/api/v1/openapi.json "
                      f"--checks all --max-examples {examples} --seed {seed} --workers 1 "
                      f"--suppress-health-check all (bearer token of demo-{role})", flush=True)
                started = time.monotonic()
                output_path = report_dir / f"schemathesis-{role}.txt"
                with open(output_path, "w") as output:
                    # Run in the report folder, where schemathesis keeps its cache (.schemathesis/, which replays a
                    # past run's failures): each run starts afresh. The hooks module is found through PYTHONPATH;
                    # SCHEMATHESIS_ROLE tells it whose run this is (what a role may not see is no failure).
                    process = subprocess.Popen(command, cwd=report_dir, stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT, text=True,
                                               env=dict(os.environ, PYTHONPATH=str(ROOT), SCHEMATHESIS_ROLE=role))
                    for line in process.stdout:
                        sys.stdout.write(line)
                        output.write(line)
                    returncode = process.wait()
                elapsed = time.monotonic() - started
            finally:
                server.terminate()
                server.wait(timeout=20)
        text = output_path.read_text()
        tested = re.search(r"Tested: (\d+)", text)
        generated = re.search(r"(\d+) generated", text)
        failures = re.search(r"(\d+) found (\d+) unique failures?", text)
        tracebacks = log_path.read_text(errors="replace").count("Traceback")
        return {"role": role, "returncode": returncode, "operations": int(tested[1]) if tested else 0,
                "cases": int(generated[1]) if generated else 0, "failed": int(failures[2]) if failures else 0,
                "server_tracebacks": tracebacks, "seconds": round(elapsed)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="max examples per operation (default 100)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--report-dir", type=Path, default=None)
    parser.add_argument("extra", nargs="*", help="more schemathesis arguments, after --")
    args = parser.parse_args()
    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="schemathesis-report-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    results = [run_role(role, args.examples, args.extra, report_dir.resolve(), args.seed)
               for role in args.roles.split(",")]
    print("\nrole          exit  operations  test cases  failures  server tracebacks  seconds")
    for r in results:
        print(f"{r['role']:<13} {r['returncode']:>4}  {r['operations']:>10}  {r['cases']:>10}  {r['failed']:>8}  "
              f"{r['server_tracebacks']:>17}  {r['seconds']:>7}")
    print(f"reports and server logs: {report_dir}")
    if any(r["returncode"] or r["server_tracebacks"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
