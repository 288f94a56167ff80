"""Verify and redeem called in process, without gunicorn or a network: CPU time per request.

    python bench/inprocess.py [--requests 2000] [--batches 5] [--only NAME] [--profile verify|redeem]

Seeds a fresh SQLite database exactly as bench/run.py does, then calls the WSGI apps (`wsgi:app` and
bench/ceiling.py) directly with the same request bodies the load generator sends, one after another,
and prints the best of `--batches` batches in microseconds per request. No concurrency: this is what
each request costs a worker, the part the code controls. With --profile, one route runs under
cProfile and the top of the profile is printed (sorted by cumulative time); cProfile's own cost per
call inflates small functions, so to see where the time really goes sample one route instead:

    py-spy record -r 1000 -o /tmp/verify.svg -- python bench/inprocess.py --only verify --batches 20
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import seed  # noqa: E402 - after the path is set


def environ(path, body, token):
    data = json.dumps(body).encode()
    return {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
            "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_HOST": "127.0.0.1:8000"}


def call(app, env):
    status = []
    body = b"".join(app(env, lambda s, h, exc=None: status.append(s)))
    if not status[0].startswith("20"):
        raise SystemExit(f"{env['PATH_INFO']} answered {status[0]}: {body[:300]!r}")


def timed(app, bodies, path, token, batches):
    """Best batch's microseconds per request (environs are built before the clock starts)."""
    best = None
    for _ in range(batches):
        envs = [environ(path, body(), token) for body in bodies]
        start = time.perf_counter()
        for env in envs:
            call(app, env)
        elapsed = (time.perf_counter() - start) / len(envs) * 1e6
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--only", choices=("ceiling_json", "verify", "ceiling_insert", "redeem"), help="time one route")
    parser.add_argument("--profile", choices=("verify", "redeem"))
    args = parser.parse_args()
    env, token, offer_id, codes_file = seed(Path(tempfile.mkdtemp(prefix="bench-inprocess-")), args.members)
    os.environ.clear()
    os.environ.update(env)  # the environment bench/run.py serves the app with, before the app is imported
    offer_id, codes = int(offer_id), codes_file.read_text().split()

    from bench.ceiling import app as ceiling
    from wsgi import app

    rng, keys = random.Random(2), iter(range(10**9))
    verify = lambda: {"code": rng.choice(codes)}  # noqa: E731 - request bodies, as bench/run.py's Lua sends
    redeem = lambda: {"code": rng.choice(codes), "offer_id": offer_id, "bill": rng.randint(1000, 50000),  # noqa: E731
                      "idempotency_key": f"k-{next(keys)}"}
    runs = {"ceiling_json": (ceiling, "/json", verify), "verify": (app, "/api/v1/verify", verify),
            "ceiling_insert": (ceiling, "/insert", redeem), "redeem": (app, "/api/v1/redemptions", redeem)}
    for app_, path, body in runs.values():  # warm up: imports, compiled statements, caches
        timed(app_, [body] * 200, path, token, 1)
    if args.profile:
        app_, path, body = runs[args.profile]
        envs = [environ(path, body(), token) for _ in range(args.requests)]
        profiler = cProfile.Profile()
        profiler.enable()
        for env in envs:
            call(app_, env)
        profiler.disable()
        profiler.dump_stats(os.environ.get("PROFILE_OUT", "/tmp/inprocess.prof"))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        return
    figures = {name: timed(app_, [body] * args.requests, path, token, args.batches)
               for name, (app_, path, body) in runs.items() if args.only in (None, name)}
    if args.only:
        print(f"{args.only:<16}{figures[args.only]:>8.0f} µs/request")
        return
    for name, micros in figures.items():
        print(f"{name:<16}{micros:>8.0f} µs/request")
    print(f"verify - ceiling_json   = {figures['verify'] - figures['ceiling_json']:.0f} µs")
    print(f"redeem - ceiling_insert = {figures['redeem'] - figures['ceiling_insert']:.0f} µs")


if __name__ == "__main__":
    main()
