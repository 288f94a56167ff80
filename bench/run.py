"""Verify and redeem under gunicorn, as ratios of their ceilings measured in the same run.

    python bench/run.py [--seconds 5] [--rounds 3] [--connections 64] [--members 2000]

Builds a fresh SQLite database in a temporary folder, seeds one approved shop with a cashier, an
unlimited offer and enrolled members (through the app's own services), then serves the app and
bench/ceiling.py with the same gunicorn settings (gunicorn.conf.py) and drives each with wrk on
loopback:

    ceiling JSON route   vs  POST /api/v1/verify        (target: >= 0.5, p99 < 50 ms)
    ceiling insert route vs  POST /api/v1/redemptions   (target: >= 0.5, p99 < 100 ms)

Each round runs the four in turn (ceiling, route, ceiling, route) and the figures are the medians over
the rounds, so a burst of load from other processes cannot land on one side of a ratio only.
Needs wrk (apt-get install wrk). Prints a table and writes bench/results/latest.json.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

LUA = r"""
-- tid is a global set per thread by setup(); BENCH_RUN is unique per wrk run, so idempotency keys never
-- repeat across threads or runs (a repeated key would measure a replay, not a redemption).
local codes, token, path, kind = {}, os.getenv("BENCH_TOKEN"), os.getenv("BENCH_PATH"), os.getenv("BENCH_KIND")
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local offer, run = os.getenv("BENCH_OFFER"), os.getenv("BENCH_RUN")
local counter = 0
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); threads[#threads + 1] = thread end
function init(args) math.randomseed(os.time() * 100 + tid); counter = 0 end
request = function()
  counter = counter + 1
  local code = codes[math.random(#codes)]
  local body
  if kind == "redeem" then
    body = string.format('{"code":"%s","offer_id":%s,"bill":%d,"idempotency_key":"%s-%d-%d"}',
                         code, offer, math.random(1000, 50000), run, tid, counter)
  else
    body = string.format('{"code":"%s"}', code)
  end
  return wrk.format("POST", path, {["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer " .. token}, body)
end
"""

SEED = r"""
import sys
from baiye.extensions import db
from wsgi import app  # the app gunicorn serves, wherever a version builds it
with app.app_context():
    from baiye.accounts.services import create_user, issue_api_token
    from shops.models import Offer, Shop
    from verification.members.services import enrol_member
    from verification.tokens import card_token, code_url
    from baiye.clock import local_date, utcnow
    from datetime import timedelta
    import random
    coordinator = create_user("bench-coordinator", "bench2026x", "coordinator")
    shop = Shop(name="压测商户", industry="catering", street="chengguan", address="1号", phone="13800138000",
                licence_no="911100000000000001", status="approved")
    db.session.add(shop)
    db.session.flush()
    cashier = create_user("bench-cashier", "bench2026x", "cashier", shop=shop)
    today = local_date(utcnow())
    offer = Offer(shop=shop, title="全单9折", kind="percent_off", value=10, categories="", limit_per_member=None,
                  limit_period="none", starts_on=today - timedelta(days=1))
    db.session.add(offer)
    db.session.add(Offer(shop=shop, title="每日一次", kind="amount_off", value=500, categories="",
                         limit_per_member=1, limit_period="day", starts_on=today - timedelta(days=1)))
    db.session.commit()
    rng = random.Random(1)
    codes = []
    with app.test_request_context(base_url="http://127.0.0.1"):
        for n in range(int(sys.argv[1])):
            body = f"1101011980{n:07d}"
            from verification.tokens import id_check_char
            number = body + id_check_char(body)
            member, credential, _ = enrol_member(dict(name=f"成员{n}", category=rng.choice(
                ["active_duty", "family", "veteran", "martyr_family"]), id_number=number, phone=None,
                expires_on=today + timedelta(days=365), station=None), coordinator)
            codes.append(code_url(card_token(credential)))
    token = issue_api_token(cashier)
    db.session.commit()
    print(token, offer.id)
    open(sys.argv[2], "w").write("\n".join(codes) + "\n")
"""


def seed(work, members):
    """A fresh SQLite database in the folder `work`, migrated and seeded by SEED with `members` members.
    Returns the environment to run the app and the ceiling with, the cashier's bearer token, the
    unlimited offer's id and the file of the members' QR texts (one per line)."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{work / 'app.db'}", SECRET_KEY="bench-secret",
               BASE_URL="", FLASK_RATELIMIT_VERIFY="100000000 per minute", CEILING_DB=str(work / "ceiling.db"),
               PYTHONPATH=str(ROOT))
    env.pop("RATELIMIT_STORAGE_URI", None)
    subprocess.run([str(Path(PYTHON).with_name("flask")), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    codes = work / "codes.txt"
    seeded = subprocess.run([PYTHON, "-c", SEED, str(members), str(codes)], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    return env, seeded[-2], seeded[-1], codes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def serve(app_spec, port, env, log):
    return subprocess.Popen([GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", app_spec],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wrk(url, seconds, connections, env):
    env = dict(env, BENCH_RUN=f"r{time.time_ns()}")
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", env["BENCH_LUA"], url],
                         env=env, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p99_ms": round(float(p99.group(1)) * scale, 2), "requests": total,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="per run, in each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    env, token, offer_id, codes = seed(work, args.members)
    (work / "bench.lua").write_text(LUA)
    env.update(BENCH_LUA=str(work / "bench.lua"), BENCH_CODES=str(codes), BENCH_TOKEN=token, BENCH_OFFER=offer_id)

    app_port, ceiling_port = free_port(), free_port()
    log = open(work / "servers.log", "w")
    servers = [serve("wsgi:app", app_port, env, log), serve("bench.ceiling:app", ceiling_port, env, log)]
    try:
        wait_up(f"http://127.0.0.1:{app_port}/healthz")
        wait_up(f"http://127.0.0.1:{ceiling_port}/json")
        app_url, ceiling_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{ceiling_port}"
        runs = [("ceiling_json", ceiling_url, "/json", "verify"), ("verify", app_url, "/api/v1/verify", "verify"),
                ("ceiling_insert", ceiling_url, "/insert", "redeem"),
                ("redeem", app_url, "/api/v1/redemptions", "redeem")]
        warm_up = {name: wrk(base + path, 2, args.connections, dict(env, BENCH_PATH=path, BENCH_KIND=kind))
                   for name, base, path, kind in runs}
        rounds = {name: [] for name, *_ in runs}
        for _ in range(args.rounds):
            for name, base, path, kind in runs:
                rounds[name].append(wrk(base + path, args.seconds, args.connections,
                                        dict(env, BENCH_PATH=path, BENCH_KIND=kind)))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=20)
    # Every answered redeem request wrote one redemption (a replayed key would answer without one); requests
    # cut off in flight when wrk stops may add up to one per connection and run.
    with sqlite3.connect(work / "app.db") as conn:
        written = conn.execute("SELECT count(*) FROM redemption").fetchone()[0]
    sent = warm_up["redeem"]["requests"] + sum(r["requests"] for r in rounds["redeem"])
    results = {name: {"rps": statistics.median(r["rps"] for r in runs_),
                      "p99_ms": statistics.median(r["p99_ms"] for r in runs_),
                      "requests": sum(r["requests"] for r in runs_), "errors": sum(r["errors"] for r in runs_),
                      "rounds": runs_}
               for name, runs_ in rounds.items()}
    verify_ratio = results["verify"]["rps"] / results["ceiling_json"]["rps"]
    redeem_ratio = results["redeem"]["rps"] / results["ceiling_insert"]["rps"]
    summary = {"connections": args.connections, "seconds": args.seconds, "rounds": args.rounds, "results": results,
               "redemptions_written": written, "redeem_requests_sent": sent,
               "verify_ratio": round(verify_ratio, 3), "redeem_ratio": round(redeem_ratio, 3),
               "verify_ok": verify_ratio >= 0.5 and results["verify"]["p99_ms"] < 50 and not results["verify"]["errors"],
               "redeem_ok": redeem_ratio >= 0.5 and results["redeem"]["p99_ms"] < 100 and not results["redeem"]["errors"]
               and sent <= written <= sent + (args.rounds + 1) * args.connections}
    print(f"{'run (median of ' + str(args.rounds) + ')':<20}{'req/s':>10}{'p99 ms':>10}{'non-2xx':>10}   req/s per round")
    for name, r in results.items():
        per_round = " ".join(f"{x['rps']:.0f}" for x in r["rounds"])
        print(f"{name:<20}{r['rps']:>10.0f}{r['p99_ms']:>10.1f}{r['errors']:>10}   {per_round}")
    print(f"verify/ceiling_json  = {verify_ratio:.2f}  (target >= 0.5, p99 < 50 ms)  {'OK' if summary['verify_ok'] else 'NOT MET'}")
    print(f"redemptions written {written} for {sent} redeem requests (warm-up included)")
    print(f"redeem/ceiling_insert = {redeem_ratio:.2f}  (target >= 0.5, p99 < 100 ms) {'OK' if summary['redeem_ok'] else 'NOT MET'}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(summary, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
