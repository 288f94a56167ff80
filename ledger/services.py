"""The ledger's work: append committed events, sign checkpoints, verify the whole log, prove an entry.

One writer appends. Every append first locks the head row (ledger_head, id 1) — a row lock on PostgreSQL,
the database's write lock on SQLite — and numbers the new entries from the head's size; the entries' primary
key (their index) and the unique (event, redemption) pair make a second writer that slipped past the lock
fail instead of forking the log. The till never waits for any of this: it only writes its redemption, and the
appender (gunicorn's, every minute, or cron's `flask ledger append`) finds the committed ones afterwards.

Appending reads the events not yet in the log before taking the lock, and appends them oldest first (a void
after its redemption) a batch per transaction, so the till's writers are held only for one batch's inserts.
The minute's run looks at the last two days; a checkpoint first appends everything pending, whenever it
happened. Nothing is appended or signed onto a log whose entries no longer add up to its head.
"""
import json
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from baiye.clock import local_date, utcnow
from baiye.errors import DomainError, not_found
from baiye.extensions import db
from verification import tokens
from verification.till.models import Redemption

from . import events, notes
from .notes import b64
from .merkle import EMPTY_ROOT, Tree, leaf_hash
from .models import LedgerCheckpoint, LedgerEntry, LedgerHead


class LedgerBroken(Exception):
    """The log no longer matches its head or its last checkpoint: nothing more is signed until `ledger verify`
    has named what changed and it is put right."""


BATCH = 5000
RECENT = timedelta(days=2)  # how far back the minute's run looks for events not yet appended
_ROW = tuple(getattr(Redemption, name) for name in events.COLUMNS)


# --- appending ---------------------------------------------------------------------------------

def _logged(event):
    return exists().where(LedgerEntry.event == event, LedgerEntry.redemption_id == Redemption.id)


def _pending(now, everything):
    """The events not yet in the log, in the order they are appended: by time, a void after its redemption,
    then by redemption id. A void whose redemption is not in the log yet waits for it."""
    redeemed = select(*_ROW).where(~_logged("redeemed"))
    voided = select(*_ROW, _logged("redeemed").label("logged")).where(Redemption.voided_at.is_not(None),
                                                                       ~_logged("voided"))
    if not everything:
        redeemed = redeemed.where(Redemption.day >= local_date(now - RECENT))
        voided = voided.where(Redemption.voided_at >= now - RECENT)
    found = [("redeemed", row) for row in db.session.execute(redeemed)]
    taken = {row.id for _event, row in found}
    found += [("voided", row) for row in db.session.execute(voided) if row.logged or row.id in taken]
    return sorted(found, key=lambda item: (events.event_time(*item), events.EVENTS.index(item[0]), item[1].id))


def _lock_head():
    """Take the appenders' turn (see the module's docstring); the head row, created on first use."""
    if db.session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(size=LedgerHead.size)).rowcount != 1:
        db.session.add(LedgerHead(id=1, size=0))
        db.session.flush()
    return db.session.get(LedgerHead, 1, populate_existing=True)


def check_head():
    """LedgerBroken when the entries are not as many as the head says (one was deleted, or added, behind the
    service's back): nothing is appended or signed onto a log that no longer adds up."""
    held, size = db.session.execute(select(select(func.count()).select_from(LedgerEntry).scalar_subquery(),
                                           select(LedgerHead.size).where(LedgerHead.id == 1).scalar_subquery())).one()
    db.session.rollback()
    if held != (size or 0):
        raise miscounted(held, size or 0)


def miscounted(held, size):
    return LedgerBroken(f"the ledger holds {held} entries but its head says {size}: run `flask ledger verify`")


def _append(batch, now):
    """Append `batch` in one transaction, numbered from the head; False if another appender took some first."""
    try:
        head = _lock_head()
        entries = []
        for seq, (event, row) in enumerate(batch, head.size):
            body = events.leaf(seq, event, row)
            entries.append({"seq": seq, "event": event, "redemption_id": row.id, "day": row.day, "body": body,
                            "leaf_hash": leaf_hash(body.encode()), "appended_at": now})
        db.session.execute(insert(LedgerEntry.__table__), entries)
        head.size += len(batch)
        head.appended_at = now
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def append_pending(now=None, everything=False):
    """Append the committed events not yet in the log (the last two days', or with `everything` all of them);
    returns how many were appended. Safe to run from several places at once. It works in transactions of its
    own (and ends the session's): commit what you were writing first.

    The events are read once, before any lock, and appended BATCH at a time, each batch in a transaction of
    its own, so that the till's writers wait for one batch's inserts at most."""
    now = now or utcnow()
    check_head()
    appended = 0
    for _attempt in range(100):
        pending = _pending(now, everything)
        db.session.rollback()  # the reads' transaction ends before the lock is taken
        for start in range(0, len(pending), BATCH):
            if not _append(pending[start:start + BATCH], now):
                break  # another appender took some of these first: read again
            appended += len(pending[start:start + BATCH])
        else:
            return appended
    return appended


# --- checkpoints ---------------------------------------------------------------------------------

def _leaf_hashes(size=None):
    query = select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq)
    if size is not None:
        query = query.where(LedgerEntry.seq < size)
    return db.session.scalars(query).all()


def latest_checkpoint():
    return db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1)).first()


def checkpoint(now=None, reuse=False):
    """Append everything pending, then sign a checkpoint of the whole log; returns it (committed). With `reuse`,
    the latest checkpoint when the log has not grown since (an evidence pack asked for again and again does not
    sign a checkpoint each time)."""
    now = now or utcnow()
    append_pending(now, everything=True)
    head = _lock_head()  # the size cannot move while the tree is hashed
    leaves = _leaf_hashes()
    if len(leaves) != head.size:
        db.session.rollback()
        raise miscounted(len(leaves), head.size)
    tree = Tree(leaves)
    root = tree.root()
    previous = latest_checkpoint()
    if reuse and previous and (previous.size, previous.root) == (tree.size, root):
        db.session.rollback()
        return previous
    if previous and (previous.size > tree.size or tree.root(previous.size) != previous.root):
        db.session.rollback()
        raise LedgerBroken(f"the log no longer extends checkpoint {previous.id}: run `flask ledger verify`")
    kid, note = notes.sign(tree.size, root, now)
    proof = tree.consistency(previous.size) if previous else []
    signed = LedgerCheckpoint(size=tree.size, root=root, signed_at=now, kid=kid, note=note,
                              consistency=json.dumps([b64(h) for h in proof]))
    db.session.add(signed)
    db.session.commit()
    return signed


def checkpoint_if_due(now=None):
    """Sign a checkpoint when the latest is older than LEDGER_CHECKPOINT_HOURS (the appender asks every run, so
    checkpoints are at least daily without cron); the new checkpoint, or None."""
    now = now or utcnow()
    latest = latest_checkpoint()
    db.session.rollback()
    hours = current_app.config["LEDGER_CHECKPOINT_HOURS"]
    if latest is not None and now - latest.signed_at < timedelta(hours=hours):
        return None
    return checkpoint(now)


def checkpoint_view(cp):
    """A checkpoint as the public sees it (API.md: size, root, signed_at, kid, signature, note)."""
    return {"id": cp.id, "size": cp.size, "root": b64(cp.root), "signed_at": cp.signed_at, "kid": cp.kid,
            "signature": notes.signature_of(cp.note), "note": cp.note,
            "consistency": json.loads(cp.consistency)}


def checkpoints(limit=100, before=None):
    query = select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(limit)
    if before:
        query = query.where(LedgerCheckpoint.id < before)
    return db.session.scalars(query).all()


# --- verifying ------------------------------------------------------------------------------------

@dataclass
class Report:
    """What `ledger verify` found: problems in the order met (the first names the first entry that differs)."""

    size: int = 0
    root: bytes = EMPTY_ROOT
    checkpoints: int = 0
    pending: int = 0
    problems: list = field(default_factory=list)

    @property
    def intact(self):
        return not self.problems


def _rows(ids):
    return {row.id: row for row in db.session.execute(select(*_ROW).where(Redemption.id.in_(ids)))}


def _check_entries(report, limit):
    """Every entry against its row: in place, hashed as stored, and made again from the redemption as it is
    now. The leaf hashes for the tree."""
    leaves, expected = [], 0
    query = select(LedgerEntry.seq, LedgerEntry.event, LedgerEntry.redemption_id, LedgerEntry.body,
                   LedgerEntry.leaf_hash).order_by(LedgerEntry.seq)
    entries = db.session.execute(query.execution_options(yield_per=BATCH)).partitions()
    for chunk in entries:
        rows = _rows({entry.redemption_id for entry in chunk})
        for entry in chunk:
            where = f"entry #{expected} ({entry.event} redemption {entry.redemption_id})"
            if entry.seq != expected:
                report.problems.append(f"entry #{expected}: missing (deleted from the ledger); "
                                       f"the next is #{entry.seq}")
                expected = entry.seq
                where = f"entry #{expected} ({entry.event} redemption {entry.redemption_id})"
            row = rows.get(entry.redemption_id)
            if leaf_hash(entry.body.encode()) != entry.leaf_hash:
                report.problems.append(f"{where}: its stored hash does not match its text")
            elif row is None:
                report.problems.append(f"{where}: the redemption is no longer in the database (deleted)")
            elif entry.event == "voided" and row.voided_at is None:
                report.problems.append(f"{where}: voided in the ledger, not in the database")
            elif (rebuilt := events.leaf(expected, entry.event, row)) != entry.body:
                report.problems.append(f"{where}: " + "; ".join(events.differences(entry.body, rebuilt)))
            leaves.append(entry.leaf_hash)
            expected += 1
            if len(report.problems) >= limit:
                return leaves
    return leaves


def _check_checkpoints(report, tree):
    previous = None
    for cp in db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)):
        report.checkpoints += 1
        where = f"checkpoint {cp.id} (size {cp.size}, signed {cp.signed_at:%Y-%m-%d %H:%M} UTC)"
        try:
            kid = notes.verify(cp.note)
            _body, _origin, size, root, _sigs = notes.parse_checkpoint(cp.note)
        except notes.PackError as err:
            report.problems.append(f"{where}: {err}")
            continue
        if (size, root, kid) != (cp.size, cp.root, cp.kid):
            report.problems.append(f"{where}: its size, root or key differ from its signed note")
        elif previous and cp.size < previous.size:
            report.problems.append(f"{where}: smaller than checkpoint {previous.id} before it")
        elif cp.size > tree.size:
            report.problems.append(f"{where}: the ledger has only {tree.size} entries")
        elif tree.root(cp.size) != cp.root:
            start = previous.size if previous and tree.root(previous.size) == previous.root else 0
            report.problems.append(f"{where}: the entries no longer hash to its root: one of entries "
                                   f"#{start}–#{cp.size - 1} was changed, removed, added or moved")
        elif json.loads(cp.consistency) != [b64(h) for h in tree.consistency(previous.size if previous else 0,
                                                                             cp.size)]:
            report.problems.append(f"{where}: its consistency proof from checkpoint {previous.id} is wrong")
        previous = cp


def verify(now=None, limit=20):
    """Recompute every leaf from the database rows and every checkpoint's root from the leaves; check the
    signatures and that each checkpoint extends the one before. A Report."""
    report = Report()
    leaves = _check_entries(report, limit)
    tree = Tree(leaves)
    report.size, report.root = tree.size, tree.root()
    head = db.session.get(LedgerHead, 1)
    if not report.problems and (head.size if head else 0) != tree.size:
        report.problems.append(f"the ledger's head says {head.size if head else 0} entries, it holds {tree.size}")
    if not report.problems:
        _check_checkpoints(report, tree)
    report.pending = db.session.scalar(select(func.count()).select_from(Redemption).where(
        or_(~_logged("redeemed"), Redemption.voided_at.is_not(None) & ~_logged("voided"))))
    return report


# --- proofs --------------------------------------------------------------------------------------

def proof(redemption_id):
    """The inclusion proof of a redemption's events against the latest checkpoint."""
    found = db.session.scalars(select(LedgerEntry).where(LedgerEntry.redemption_id == redemption_id)
                               .order_by(LedgerEntry.seq)).all()
    if not found:
        if db.session.get(Redemption, redemption_id) is None:
            raise not_found(_("找不到这条核销记录。"))
        raise DomainError("not_in_ledger", _("这条核销记录还没有记入账本（每分钟记入一次），请稍后再试。"), 409)
    cp = latest_checkpoint()
    if cp is None or found[0].seq >= cp.size:
        raise DomainError("not_in_checkpoint",
                          _("这条核销记录还没有进入已签名的检查点（每天至少签一次），请稍后再试。"), 409)
    tree = Tree(_leaf_hashes(cp.size))
    return {"checkpoint": checkpoint_view(cp),
            "entries": [{"seq": e.seq, "event": e.event, "body": e.body, "leaf_hash": b64(e.leaf_hash),
                         "audit_path": [b64(h) for h in tree.inclusion(e.seq)]} for e in found if e.seq < cp.size]}


@dataclass
class PackPart:
    files: dict
    totals: dict  # the recount of the entries (tools/verify_pack.recount's shape)
    entries: int
    stated: dict  # the statistics' figures for the period (totals.json)

    @property
    def agrees(self):
        from tools.verify_pack import compare

        return not compare(self.stated, self.totals)


def stated_figures(start, end):
    """The programme's figures for the local days start..end as the statistics report them (from the roll-ups,
    not the ledger), in tools/verify_pack.recount's shape: what an evidence pack states and verify_pack
    recounts from the entries."""
    from reports import stats

    filters = stats.Filters(start=start, end=end)
    figures = stats.Figures(filters)
    summary = stats.summary(filters, figures=figures)

    def groups(by):
        return {str(row["key"]): {"redemptions": row["redemptions"], "people": row["beneficiaries"],
                                  "bill": row["bill"], "discount": row["discount"]}
                for row in stats.breakdown(filters, by, figures) if row["redemptions"]}

    return {"from": start.isoformat(), "to": end.isoformat(), "redemptions": summary["redemptions"],
            "people": summary["beneficiaries"], "bill": summary["bill"], "discount": summary["discount"],
            "by_category": groups("category"), "by_shop": groups("shop")}


def pack_part(start, end, cp):
    """The ledger's part of an evidence pack for the local days start..end, tied to checkpoint `cp`:
    the period's entries (both events of its redemptions), the hashes that rebuild `cp`'s root from them,
    `cp` itself, the public keys, and the figures the statistics report for the period (totals.json), which
    verify_pack compares with its recount of the entries. `totals` is that recount: a builder compares it with
    the stated figures (a redemption or void committed after `cp` makes them differ: sign a new checkpoint)."""
    from tools.verify_pack import recount

    stated = stated_figures(start, end)

    seqs, bodies = [], []
    for seq, body in db.session.execute(
            select(LedgerEntry.seq, LedgerEntry.body)
            .where(LedgerEntry.day >= start, LedgerEntry.day <= end, LedgerEntry.seq < cp.size)
            .order_by(LedgerEntry.seq).execution_options(yield_per=BATCH)):
        seqs.append(seq)
        bodies.append(body)
    tree = Tree(_leaf_hashes(cp.size))
    proof = {"tree_size": cp.size, "root": b64(cp.root),
             "hashes": [[lo, hi, b64(h)] for lo, hi, h in tree.batch_proof(seqs)]}
    files = {"ledger/entries.jsonl": "".join(body + "\n" for body in bodies).encode(),
             "ledger/checkpoint.txt": cp.note.encode(),
             "ledger/proof.json": json.dumps(proof, indent=1).encode(),
             "ledger/jwks.json": json.dumps(tokens.jwks(), indent=1).encode(),
             "ledger/totals.json": json.dumps(stated, ensure_ascii=False, indent=1, sort_keys=True).encode()}
    totals = recount(json.loads(body) for body in bodies)
    return PackPart(files=files, totals=totals, entries=len(seqs), stated=stated)


def appender_interval():
    return int(current_app.config.get("LEDGER_APPEND_SECONDS") or 0)
