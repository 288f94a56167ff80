"""verification.till.sql: Core statements run by the driver, and the till transaction (SQLite and PostgreSQL)."""
import fcntl
import os
import threading
import time
from datetime import date

import pytest
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from baiye.extensions import db
from verification.till.sql import Prepared, WriterQueue, till_connections, till_cursor, till_transaction
from verification.till.models import UsageCounter

COUNTER = UsageCounter.__table__
ADD = Prepared(insert(COUNTER).values(member_id=bindparam("m"), offer_id=bindparam("o"), period=bindparam("p"),
                                      used=bindparam("n")))
GET = Prepared(select(COUNTER.c.period, COUNTER.c.used).where(COUNTER.c.member_id == bindparam("m")))
COUNT = Prepared(select(func.count()).select_from(COUNTER))


@pytest.fixture
def offer(make):
    return make.offer(make.shop())


@pytest.fixture
def member(make):
    return make.member()


def test_rows_come_back_converted_and_named(make, offer, member):
    shop = make.shop()
    starts = Prepared(select(type(offer).starts_on.label("starts"), type(offer).is_active)
                      .where(type(offer).shop_id == bindparam("shop")))
    later = make.offer(shop, starts_on=date(2026, 3, 1))
    with till_transaction() as cursor:
        row = cursor.first(starts, shop=shop.id)
    assert row.starts == later.starts_on and isinstance(row.starts, date) and row.is_active is True


def test_the_till_transaction_commits_when_the_block_ends(offer, member):
    with till_transaction() as cursor:
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=2)
    assert db.session.scalar(select(COUNTER.c.used).where(COUNTER.c.member_id == member.id)) == 2


def test_a_failure_rolls_everything_back(offer, member):
    with pytest.raises(RuntimeError), till_transaction() as cursor:
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=2)
        raise RuntimeError("refused")
    with till_transaction() as cursor:
        assert cursor.scalar(COUNT) == 0


def test_driver_errors_arrive_as_sqlalchemy_errors(offer, member):
    with pytest.raises(IntegrityError), till_transaction() as cursor:
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=0)
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=0)  # the same primary key
    with till_transaction() as cursor:
        assert cursor.scalar(COUNT) == 0  # the first insert went with the failed transaction


def test_outside_a_till_transaction_statements_join_the_session(offer, member):
    till_cursor().run(ADD, m=member.id, o=offer.id, p="2026-11", n=1)
    assert [tuple(r) for r in till_cursor().all(GET, m=member.id)] == [("2026-11", 1)]
    db.session.rollback()
    assert till_cursor().all(GET, m=member.id) == []


def test_statements_needing_an_execution_context_are_refused(app):
    expanding = Prepared(select(COUNTER.c.used).where(COUNTER.c.offer_id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError), till_transaction() as cursor:
        cursor.all(expanding, ids=[1, 2])


def someone_else_can_write(queue):
    """Whether another writer (another open file: another process, as far as flock goes) would get in now."""
    fd = os.open(queue.path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the writer queue is for SQLite files")
def test_sqlite_writers_take_turns_from_the_first_write_to_the_end_of_the_transaction(offer, member):
    queue = WriterQueue.of(db.engine)
    assert queue is not None and queue.path.endswith("test.db-writers")
    with till_transaction() as cursor:
        cursor.all(GET, m=member.id)
        assert someone_else_can_write(queue)  # reading does not queue
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=1)
        assert not someone_else_can_write(queue)
    assert someone_else_can_write(queue)
    with pytest.raises(IntegrityError), till_transaction() as cursor:
        cursor.run(ADD, m=member.id, o=offer.id, p="all", n=1)  # the same key again: refused
    assert someone_else_can_write(queue)  # a failed transaction leaves the queue too


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the writer queue is for SQLite files")
def test_a_second_writer_waits_for_the_first_to_commit_then_proceeds(app, offer, member):
    steps, first_wrote, first_may_commit = [], threading.Event(), threading.Event()

    def first():
        with app.app_context(), till_transaction() as cursor:
            cursor.run(ADD, m=member.id, o=offer.id, p="first", n=1)
            first_wrote.set()
            first_may_commit.wait(10)
            steps.append("first commits")

    def second():
        first_wrote.wait(10)
        with app.app_context(), till_transaction() as cursor:
            cursor.run(ADD, m=member.id, o=offer.id, p="second", n=1)
            steps.append("second wrote")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_wrote.wait(10)
    time.sleep(0.2)
    assert steps == []  # the second is waiting for its turn
    first_may_commit.set()
    for thread in threads:
        thread.join(20)
    assert steps == ["first commits", "second wrote"]
    assert sorted(row.period for row in till_cursor().all(GET, m=member.id)) == ["first", "second"]


def test_a_writer_that_cannot_take_a_turn_goes_ahead_without_one(tmp_path, monkeypatch):
    assert WriterQueue(tmp_path / "missing" / "app.db").acquire() is False  # no such folder for the lock file
    queue = WriterQueue(tmp_path / "app.db")
    monkeypatch.setattr(WriterQueue, "THREAD_WAIT_SECONDS", 0.05)
    assert queue.acquire() is True
    answers = []
    waited = threading.Thread(target=lambda: answers.append(queue.acquire()))
    waited.start()
    waited.join(5)
    assert answers == [False]  # another thread of this process kept its turn too long
    queue.release()
    assert queue.acquire() is True
    queue.release()


def driver_connection(cursor):
    return cursor.cursor.connection


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="kept connections are for SQLite files")
def test_on_sqlite_each_thread_keeps_its_till_connection(app, offer, member):
    member_id, offer_id = member.id, offer.id
    in_use = db.engine.pool.checkedout()  # the session's
    with till_transaction() as cursor:
        cursor.run(ADD, m=member_id, o=offer_id, p="all", n=1)
        mine = driver_connection(cursor)
    with till_transaction() as cursor:
        assert driver_connection(cursor) is mine and cursor.scalar(COUNT) == 1
    assert db.engine.pool.checkedout() == in_use  # detached from the pool: it holds no place there
    assert mine.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # made with the engine's connect settings

    theirs = []

    def other_thread():
        with app.app_context(), till_transaction() as cursor:
            theirs.append(driver_connection(cursor))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join(10)
    assert theirs and theirs[0] is not mine


SQLITE_ONLY = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                 reason="kept connections are for SQLite files")


@SQLITE_ONLY
def test_a_kept_connection_that_cannot_roll_back_is_closed_and_replaced(offer, member):
    with pytest.raises(RuntimeError), till_transaction() as cursor:
        lost = driver_connection(cursor)
        lost.close()  # as if the connection had been lost: the rollback fails
        raise RuntimeError("refused")
    with till_transaction() as cursor:
        assert driver_connection(cursor) is not lost and cursor.scalar(COUNT) == 0


@SQLITE_ONLY
def test_a_transaction_left_open_on_a_kept_connection_is_rolled_back_before_its_next_use(offer, member):
    member_id, offer_id = member.id, offer.id
    kept = till_connections.take(db.engine)
    kept.execute("INSERT INTO usage_counter (member_id, offer_id, period, used) VALUES (?, ?, 'left', 1)",
                 (member_id, offer_id))  # begins a transaction that nothing ends (a rollback cut short)
    assert kept.in_transaction
    with till_transaction() as cursor:
        assert driver_connection(cursor) is kept and cursor.scalar(COUNT) == 0


@SQLITE_ONLY
def test_disposing_of_the_engine_replaces_every_kept_connection(offer, member):
    kept = till_connections.take(db.engine)
    db.engine.dispose()  # as after the database file was replaced
    with till_transaction() as cursor:
        assert driver_connection(cursor) is not kept
    with pytest.raises(db.engine.dialect.loaded_dbapi.ProgrammingError):
        kept.execute("SELECT 1")  # closed by its thread when replaced


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_kept_connection_goes_with_its_engine(tmp_path):
    import gc
    import weakref

    from sqlalchemy import create_engine

    path = str(tmp_path / "gone.db")

    def open_files():
        return sum(1 for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}") == path)

    engine = create_engine(f"sqlite:///{path}")
    till_connections.take(engine).execute("SELECT 1")
    assert open_files() == 1
    engine_ref = weakref.ref(engine)
    del engine
    gc.collect()  # the engine (in reference cycles of its own)
    gc.collect()  # then its kept connection (in a cycle with its statement cache)
    assert engine_ref() is None and open_files() == 0  # nothing kept the engine, and its connection closed


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="the pool serves other databases")
def test_elsewhere_till_connections_come_from_the_pool_and_go_back(offer, member):
    assert member.id and offer.id
    in_use = db.engine.pool.checkedout()
    with till_transaction() as cursor:
        cursor.scalar(COUNT)
        assert db.engine.pool.checkedout() == in_use + 1
    assert db.engine.pool.checkedout() == in_use


def test_only_sqlite_files_have_a_writer_queue(app):
    from sqlalchemy import create_engine

    assert WriterQueue.of(create_engine("sqlite://")) is None
    assert WriterQueue.of(create_engine("postgresql+psycopg://u@localhost/db")) is None
