"""Prepared statements for the till's hot path: SQLAlchemy Core statements compiled once per dialect
and run by the database driver.

Every scan and redemption runs a handful of small statements. Through `Connection.execute` each costs
about 35 µs of SQLAlchemy on this machine against 6 µs for SQLite itself (bench/README.md). These few
are still written as Core statements and compiled by SQLAlchemy for the dialect in use, so the SQL
stays portable; they are compiled once, and executed with the DB-API cursor, applying the same type
conversions SQLAlchemy would (dates as text on SQLite, for one).

They run in the till transaction in progress (`till_transaction`: a connection of its own, which also
spares the ORM session's begin and close, a fifth of a scan's time) or else on the session's
connection, in its transaction. On a SQLite file, a till transaction's first write waits its turn in
a queue of the till's writers (WriterQueue) rather than in SQLite's busy handler:

    _OFFER = Prepared(select(Offer.id, Offer.title).where(Offer.id == bindparam("id")))
    with till_transaction():
        row = till_cursor().first(_OFFER, id=7)      # a named tuple, or None
"""
import fcntl
import logging
import os
import threading
import weakref
from collections import namedtuple
from contextlib import contextmanager
from contextvars import ContextVar
from operator import itemgetter

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from baiye.extensions import db

log = logging.getLogger(__name__)


class Prepared:
    """A Core statement (or, where the construct differs by dialect, a function of the dialect name that
    builds it), compiled on first use for each dialect."""

    def __init__(self, statement):
        self._statement = statement
        self._plans = {}

    def plan(self, dialect):
        key = (dialect.name, dialect.driver)  # the SQL text depends on the driver's parameter style
        plan = self._plans.get(key)
        if plan is None:
            statement = self._statement(dialect.name) if callable(self._statement) else self._statement
            plan = self._plans[key] = _Plan(statement, dialect)
        return plan


class _Plan:
    """The SQL text for one dialect, how to order and convert parameters, and how to convert rows."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        # What needs an execution context is not supported: Python-side column defaults (they would be
        # sent as NULL) and expanding IN parameters (their SQL is only rendered at execution).
        if compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params:
            raise ValueError(f"Prepared cannot run {statement}: give every value, and no expanding IN")
        self.sql = str(compiled)
        self.writes = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
        # Positional paramstyles (SQLite's ?): the values in the statement's order, picked in one call.
        self.pick = None if compiled.positiontup is None else _picker(compiled.positiontup)
        # Values the statement carries itself (literals in expressions); bindparam("name") must be given.
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.binds = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.binds[name] = processor
        columns = list(getattr(statement, "exported_columns", ()) or ())
        # Rows are named tuples of the columns' keys (an unlabelled expression becomes _0, _1...).
        self.row = namedtuple("Row", [str(c.key) for c in columns], rename=True) if columns else None
        # The columns whose values need converting (dates on SQLite, say), by position: most need none.
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self.conversions = [(index, convert) for index, convert in enumerate(processors) if convert is not None]

    def parameters(self, values):
        if self.defaults:
            values = {**self.defaults, **values}
        for name, processor in self.binds.items():
            if name in values:
                values[name] = processor(values[name])
        return values if self.pick is None else self.pick(values)

    def make_row(self, raw):
        if self.conversions:
            raw = list(raw)
            for index, convert in self.conversions:
                if raw[index] is not None:
                    raw[index] = convert(raw[index])
        return self.row._make(raw)


def _picker(names):
    """A function that takes a dict and returns the values of `names`, in order, as a tuple."""
    if len(names) > 1:
        return itemgetter(*names)
    return lambda values: tuple(values[name] for name in names)  # itemgetter of one name gives no tuple


class TillCursor:
    """A DB-API cursor and its dialect, to run Prepared statements with. Given a WriterQueue, the first
    statement that writes waits for its turn in it (released by till_transaction when the transaction
    ends). A text() statement counts as a read: it would write without a turn, correct but slower."""

    def __init__(self, cursor, dialect, writers=None):
        self.cursor = cursor
        self.dialect = dialect
        self.writers = writers
        self.in_turn = False

    @classmethod
    def of_session(cls, session=None):
        """On the session's current connection, in its transaction (which begins if none has)."""
        connection = (session or db.session).connection()
        return cls(connection.connection.dbapi_connection.cursor(), connection.dialect)

    def execute(self, prepared, **values):
        plan = prepared.plan(self.dialect)
        if plan.writes and self.writers is not None and not self.in_turn:
            self.in_turn = self.writers.acquire()
            if not self.in_turn:
                self.writers = None  # going ahead without a turn
        parameters = plan.parameters(values)
        try:
            self.cursor.execute(plan.sql, parameters)
        except self.dialect.loaded_dbapi.Error as err:
            raise sqlalchemy_error(err, self.dialect, plan.sql, parameters) from err
        return plan

    def all(self, prepared, **values):
        plan = self.execute(prepared, **values)
        return [plan.make_row(raw) for raw in self.cursor.fetchall()]

    def first(self, prepared, **values):
        plan = self.execute(prepared, **values)
        raw = self.cursor.fetchone()
        return None if raw is None else plan.make_row(raw)

    def scalar(self, prepared, **values):
        self.execute(prepared, **values)
        raw = self.cursor.fetchone()
        return None if raw is None else raw[0]

    def run(self, prepared, **values):
        """Execute a statement that returns no rows; the number of rows it changed."""
        self.execute(prepared, **values)
        return self.cursor.rowcount


def sqlalchemy_error(err, dialect, statement=None, parameters=None):
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...), so callers handle
    one kind of exception whichever way a statement ran."""
    return DBAPIError.instance(statement, parameters, err, dialect.loaded_dbapi.Error, dialect=dialect)


_current = ContextVar("till_transaction", default=None)


@contextmanager
def till_transaction():
    """A transaction of its own for one scan or redemption, on a connection of its own: on a SQLite file,
    the thread's till connection (till_connections); on any other database, one from the engine's pool.

    Committed when the block ends, rolled back if it raises; a pooled connection goes back to the pool
    either way. Work done through the ORM session meanwhile is a separate transaction: on SQLite, do
    not write through both at once. A block inside another joins it (no savepoint: an inner failure
    that the outer block catches does not undo the inner writes). A request may hold this connection
    and the session's at once: size the pool above twice the threads per worker if workers are threaded.
    Do not open a second one from another thread while one that has written is open: the second waits
    for the first's turn (up to WriterQueue.THREAD_WAIT_SECONDS, then SQLite's busy timeout).
    """
    if _current.get() is not None:  # already inside one: join it
        yield _current.get()
        return
    engine = db.engine
    dialect = engine.dialect
    writers = WriterQueue.of(engine)
    connection = till_connections.take(engine) if writers is not None else engine.raw_connection()
    cursor = TillCursor(connection.cursor(), dialect, writers)
    token = _current.set(cursor)
    try:
        yield cursor
        try:
            connection.commit()
        except dialect.loaded_dbapi.Error as err:
            raise sqlalchemy_error(err, dialect, "COMMIT") from err
    except BaseException:
        try:
            connection.rollback()
        except dialect.loaded_dbapi.Error as err:
            # A connection that cannot roll back (lost, most likely) is not used again; what failed first is raised.
            if writers is None:
                connection.invalidate(err)
            else:
                till_connections.discard(engine)
        raise
    finally:
        try:
            if cursor.in_turn:
                cursor.writers.release()
        finally:
            _current.reset(token)
            if writers is None:
                connection.close()  # back to the pool


class TillConnections(threading.local):
    """On a SQLite file, each thread keeps one connection for its till transactions, as the bare insert the
    benchmark compares redeem with does (bench/ceiling.py): taking a connection from the pool and giving
    it back cost a twentieth of a scan, and a connection to a file has nothing to lose that the pool
    would notice. It is made by the engine's pool (so with the engine's connect settings: WAL, foreign
    keys, busy timeout) and detached from it, so it counts against no pool size; only the driver's
    connection is kept, which holds no reference to the engine. It is closed when the thread or the
    engine goes or the engine is disposed (as after the database file was replaced: other threads
    replace theirs at their next transaction), and replaced after it fails to roll back. A transaction
    left open on it (a rollback cut short) is rolled back before it is used again."""

    def __init__(self):
        self.by_engine = weakref.WeakKeyDictionary()  # engine -> (its generation when made, driver connection)

    def take(self, engine):
        """This thread's till connection to the engine's database (a DB-API connection)."""
        generation = _generations.get(engine)
        kept = self.by_engine.get(engine)
        if kept is not None and kept[0] == generation:
            connection = kept[1]
            try:
                if connection.in_transaction:
                    connection.rollback()
                return connection
            except engine.dialect.loaded_dbapi.Error:
                pass  # replaced below
        self.discard(engine)
        if generation is None:
            generation = _generations[engine] = 0
            event.listen(engine, "engine_disposed", _next_generation)
        pooled = engine.raw_connection()
        connection = pooled.dbapi_connection
        pooled.detach()
        self.by_engine[engine] = (generation, connection)
        return connection

    def discard(self, engine):
        """Close this thread's till connection to the engine's database; the next transaction makes another."""
        kept = self.by_engine.pop(engine, None)
        if kept is not None:
            try:
                kept[1].close()  # as it is: the pool's close would try a rollback first
            except engine.dialect.loaded_dbapi.Error:
                pass  # going anyway


def _next_generation(engine):
    """engine.dispose(): this thread's kept till connection to it is closed now (unless a till transaction
    is using it), every other thread's is replaced at its next transaction."""
    _generations[engine] = _generations.get(engine, 0) + 1
    if _current.get() is None:
        till_connections.discard(engine)


_generations = weakref.WeakKeyDictionary()  # engine -> how many times it was disposed (once it kept a connection)
till_connections = TillConnections()  # each thread sees its own


class WriterQueue:
    """The till's writers to one SQLite file take turns waiting in the kernel (an flock on a file beside
    the database, behind a thread lock for threaded workers), woken in no particular order.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps 1, 2, 5,
    10... ms between tries. A till transaction holds the lock for a fraction of a millisecond, so under
    load most of that sleep was wasted (bench/README.md): a waiting writer now starts the moment the one
    before it commits. SQLite's own lock still decides, so a writer without a turn (the ORM session's,
    or one that could not take a turn) is as correct as before, only slower.

    Waits are bounded: a writer holds its turn only while its transaction runs, whose statements each
    give up after SQLite's busy timeout. A writer that cannot open the lock file, or has waited longer
    than THREAD_WAIT_SECONDS behind another thread of its process, goes ahead without a turn.
    """

    THREAD_WAIT_SECONDS = 10

    def __init__(self, path):
        self.path = f"{path}-writers"
        self._thread_lock = threading.Lock()
        self._fd = None

    @classmethod
    def of(cls, engine):
        """The queue of the engine's SQLite file; None for any other database (or SQLite in memory)."""
        if engine not in _writer_queues:
            path = engine.url.database if engine.dialect.name == "sqlite" else None
            usable = path and path != ":memory:" and not path.startswith("file:")
            _writer_queues[engine] = cls(os.path.abspath(path)) if usable else None
        return _writer_queues[engine]

    def acquire(self):
        """Wait for a turn: True once it is ours, False to go ahead without one."""
        if not self._thread_lock.acquire(timeout=self.THREAD_WAIT_SECONDS):
            return False
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                weakref.finalize(self, os.close, self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            return True
        except OSError as err:
            self._thread_lock.release()
            log.warning("SQLite writers go without turns: %s", err)
            return False
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self):
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


# Engine -> its WriterQueue (or None). Per process: a forked child starts afresh, with locks and files of
# its own (an flock belongs to the open file, which a child would otherwise share with its parent).
_writer_queues = weakref.WeakKeyDictionary()
os.register_at_fork(after_in_child=_writer_queues.clear)
# Nor does a child use its parent's till connections: a SQLite connection must not cross a fork. They are not
# closed in the child either (closing one could checkpoint the parent's database); they are only set aside.
_inherited_connections = []
os.register_at_fork(after_in_child=lambda: (_inherited_connections.extend(till_connections.by_engine.values()),
                                            till_connections.by_engine.clear()))


def till_cursor(session=None):
    """The cursor of the till transaction in progress, else one on the session's connection."""
    return _current.get() or TillCursor.of_session(session)
