"""Tables of the ledger: its entries (the leaves, in order), its signed checkpoints and its head.

Nothing here is ever updated or deleted by the service: entries and checkpoints are only appended. The head
is one row whose lock makes the appender the only writer (see ledger.services.append_pending).
"""
from baiye.extensions import db


class LedgerEntry(db.Model):
    """One event of the log: a redemption logged or voided. `body` is the leaf, exactly the bytes hashed
    (ledger.events); `seq` its index in the tree."""

    __tablename__ = "ledger_entry"

    seq = db.Column(db.BigInteger, primary_key=True, autoincrement=False)
    event = db.Column(db.String(16), nullable=False)  # ledger.events.EVENTS
    # Not a foreign key: the log outlives any row it was made from, and a row deleted behind the service's back
    # is exactly what `ledger verify` reports.
    redemption_id = db.Column(db.Integer, nullable=False)
    day = db.Column(db.Date, nullable=False)  # the redemption's local day (for both events): a pack's period
    body = db.Column(db.Text, nullable=False)
    leaf_hash = db.Column(db.LargeBinary(32), nullable=False)
    appended_at = db.Column(db.DateTime, nullable=False)

    __table_args__ = (db.UniqueConstraint("event", "redemption_id", name="uq_ledger_entry_event"),
                      db.Index("ix_ledger_entry_day", "day"))


class LedgerCheckpoint(db.Model):
    """A signed tree head: the C2SP checkpoint `note` (origin, size, root, time), signed by key `kid`, and the
    RFC 6962 consistency proof from the checkpoint before it."""

    __tablename__ = "ledger_checkpoint"

    id = db.Column(db.Integer, primary_key=True)
    size = db.Column(db.BigInteger, nullable=False)
    root = db.Column(db.LargeBinary(32), nullable=False)
    signed_at = db.Column(db.DateTime, nullable=False)
    kid = db.Column(db.String(16), nullable=False)
    note = db.Column(db.Text, nullable=False)
    consistency = db.Column(db.Text, nullable=False, default="[]")  # JSON list of base64 hashes


class LedgerHead(db.Model):
    """The log's size, in one row (id 1) that the appender locks first: under PostgreSQL a row lock, under
    SQLite the database's write lock, so appenders take turns and the log never forks."""

    __tablename__ = "ledger_head"

    id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    size = db.Column(db.BigInteger, nullable=False, default=0)
    appended_at = db.Column(db.DateTime)
