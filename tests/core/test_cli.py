import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from baiye.accounts.models import User
from baiye.extensions import db
from shops.models import Shop


def test_create_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--username", "boss", "--password", "strong2026", "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "boss")).role == "coordinator"
    again = runner.invoke(args=["create-user", "--username", "boss", "--password", "strong2026", "--role", "coordinator"])
    assert again.exit_code != 0 and "username_taken" in again.output
    weak = runner.invoke(args=["create-user", "--username", "weak", "--password", "123", "--role", "coordinator"])
    assert weak.exit_code != 0 and "密码" in weak.output


def test_demo_fills_an_empty_database_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo-coordinator" in result.output and "demo-owner" in result.output and "demo-cashier" in result.output
    assert db.session.scalar(select(func.count()).select_from(Shop).where(Shop.status == "approved")) > 20
    assert runner.invoke(args=["demo"]).exit_code != 0  # not into a database with data
    quiet = runner.invoke(args=["demo", "--if-empty"])
    assert quiet.exit_code == 0 and "demo-owner" in quiet.output
    assert "at https://yj.example.cn/login" in quiet.output  # BASE_URL
    assert "activation link: https://yj.example.cn/activate/" in quiet.output
    app.config["BASE_URL"] = ""
    elsewhere = runner.invoke(args=["demo", "--if-empty", "--origin", "http://127.0.0.1:8010"])
    assert "at http://127.0.0.1:8010/login" in elsewhere.output
    assert "activation link: http://127.0.0.1:8010/activate/" in elsewhere.output


def test_backup_is_consistent_while_writes_go_on(app, tmp_path, make):
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("backup copies SQLite databases")
    path = db.engine.url.database
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ticker (n INTEGER)")
    conn.commit()
    stop = threading.Event()

    def write():
        writer = sqlite3.connect(path, timeout=10)
        n = 0
        while not stop.is_set():
            n += 1
            writer.execute("INSERT INTO ticker VALUES (?)", (n,))
            writer.commit()
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count, top = copy.execute("SELECT count(*), max(n) FROM ticker").fetchone()
    assert count == (top or 0)  # a snapshot: every row up to the last one, none missing
    again = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.db")])
    assert again.exit_code != 0  # never overwrites
