"""How fast the coordinator's figures answer at a million (or ten million) redemptions.

    python bench/stats.py --redemptions 1000000                     # SQLite file in /tmp
    python bench/stats.py --redemptions 10000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/<scratch db>   # PostgreSQL (its schema is replaced!)
    python bench/stats.py --reuse --database-url ...                   # time an already loaded database again

Loads the demo network with `flask demo --redemptions N` (timed), then calls every statistics route
through the app (JSON API, coordinator token) for several periods and filters, and prints the
median milliseconds of 5 calls after a warm-up, with the sizes of the redemption and roll-up tables.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from baiye.extensions import db  # noqa: E402
from baiye.factory import create_app  # noqa: E402

ROUTES = [("summary", "/api/v1/stats/summary", {})] + [
    (f"by {by}", "/api/v1/stats/breakdown", {"by": by})
    for by in ("industry", "street", "category", "shop", "day", "week", "month")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redemptions", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="sqlite:////tmp/bench-stats.db")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database; only time the queries")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if not args.reuse:
            load(app, args)
        token = coordinator_token()
        sizes(args.database_url)
        today = db.session.execute(select(func.max(text("day"))).select_from(text("stat_day"))).scalar()
        today = today if not isinstance(today, str) else __import__("datetime").date.fromisoformat(today)
        periods = [
            ("everything", {}),
            ("last 365 days", {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}),
            ("last 30 days", {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}),
            ("one month", {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}),
        ]
        filters = [("no filter", {}), ("street", {"street": "chengguan"}), ("category", {"category": "veteran"}),
                   ("street+industry", {"street": "dongcheng", "industry": "catering"})]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        worst = 0.0
        print(f"\n{'period':<14} {'filter':<16} " + " ".join(f"{name:>12}" for name, _, _ in ROUTES))
        for period_name, period in periods:
            for filter_name, extra in filters:
                cells = []
                for name, path, query in ROUTES:
                    params = {**period, **extra, **query}
                    response = client.get(path, query_string=params, headers=headers)
                    assert response.status_code == 200, response.get_json()
                    times = []
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        client.get(path, query_string=params, headers=headers)
                        times.append((time.perf_counter() - started) * 1000)
                    ms = statistics.median(times)
                    worst = max(worst, ms)
                    cells.append(f"{ms:>10.1f}ms")
                print(f"{period_name:<14} {filter_name:<16} " + " ".join(cells), flush=True)
        print(f"\nslowest median: {worst:.1f} ms")


def load(app, args):
    url = args.database_url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.create_all()
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["demo", "--redemptions", str(args.redemptions)])
    print(result.output)
    if result.exit_code:
        raise SystemExit(result.exception)
    print(f"demo --redemptions {args.redemptions:,}: {time.perf_counter() - started:.1f} s")
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def coordinator_token():
    from baiye.accounts.models import User
    from baiye.accounts.services import issue_api_token

    user = db.session.scalar(select(User).where(User.role == "coordinator").order_by(User.id))
    token = issue_api_token(user)
    db.session.commit()
    return token


def sizes(url):
    counts = {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
              for t in ("redemption", "member", "shop", "stat_day", "stat_day_members", "stat_month_members",
                        "stat_week_members", "stat_all_members")}
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    if url.startswith("sqlite:///"):
        print(f"database file: {os.path.getsize(url[len('sqlite:///'):]) / 1e6:.0f} MB")
    else:
        size = db.session.execute(text("SELECT pg_database_size(current_database())")).scalar()
        blobs = db.session.execute(text("SELECT pg_total_relation_size('stat_day_members') + "
                                        "pg_total_relation_size('stat_month_members') + "
                                        "pg_total_relation_size('stat_week_members') + "
                                        "pg_total_relation_size('stat_all_members') + "
                                        "pg_total_relation_size('stat_day')")).scalar()
        print(f"database: {size / 1e6:.0f} MB, roll-ups: {blobs / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
