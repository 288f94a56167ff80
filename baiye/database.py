"""Database connection settings that SQLAlchemy's URL cannot carry."""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout on every SQLite connection, so readers never block the till."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def init_app(app):
    """Every engine's new SQLite connections get sqlite_pragmas (connected once per process)."""
    if not event.contains(Engine, "connect", sqlite_pragmas):
        event.listen(Engine, "connect", sqlite_pragmas)
