"""Keep the statistics roll-ups in step with redemptions, and rebuild them from scratch.

The redemption service sends `redemption_logged` (the flushed row) and `redemption_voided` (after
`voided_at` is set) inside its transaction; the receivers here only execute statements on the same
session, so the roll-ups commit or roll back with the redemption itself. Changes are applied to the
redemption's own `day`, so a late void of an old redemption corrects that old day.
"""
from array import array
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from baiye.extensions import db
from verification.models import Redemption
from verification.signals import redemption_logged, redemption_voided

from .models import StatDay, StatDayMembers, StatMonthMembers

if array("I").itemsize != 4:  # pragma: no cover - every platform we deploy on
    raise RuntimeError("reports.rollups needs 4-byte unsigned ints for member-id arrays")


# --- packing ---------------------------------------------------------------------------------

def pack_ids(ids):
    """Sorted member ids as bytes (uint32, machine order)."""
    return array("I", sorted(ids)).tobytes()


def unpack_ids(blob):
    ids = array("I")
    ids.frombytes(blob or b"")
    return ids


def bits_from_ids(ids):
    """A little-endian bitmap with bit i set for each member id i."""
    ids = list(ids)
    if not ids:
        return b""
    buf = bytearray(max(ids) // 8 + 1)
    for i in ids:
        buf[i >> 3] |= 1 << (i & 7)
    return bytes(buf)


def month_start(day):
    return day.replace(day=1)


def month_end(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


# --- incremental maintenance ----------------------------------------------------------------

def _upsert(session, model, values, increments):
    """INSERT, or add `increments` to the existing row (one statement on SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values)
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: getattr(table.c, name) + getattr(stmt.excluded, name) for name in increments})
    session.execute(stmt)


def _locked_blob(session, model, column, key):
    query = select(getattr(model, column)).where(*(getattr(model, k) == v for k, v in key.items()))
    # PostgreSQL: lock the row so concurrent redemptions never lose each other's member bits.
    # SQLite: the redemption's INSERT already holds the database's write lock.
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _store_blob(session, model, column, key, blob, existed):
    where = [getattr(model, k) == v for k, v in key.items()]
    if existed and blob:
        session.execute(update(model).where(*where).values({column: blob}))
    elif existed:
        session.execute(delete(model).where(*where))
    elif blob:
        session.execute(model.__table__.insert().values(**key, **{column: blob}))


def _add_member(session, day, shop_id, category, member_id):
    key = dict(day=day, shop_id=shop_id, category=category)
    blob = _locked_blob(session, StatDayMembers, "members", key)
    ids = unpack_ids(blob)
    if member_id in ids:
        return
    _store_blob(session, StatDayMembers, "members", key, pack_ids([*ids, member_id]), blob is not None)
    key = dict(month=month_start(day), shop_id=shop_id, category=category)
    bits = _locked_blob(session, StatMonthMembers, "bits", key)
    buf = bytearray(bits or b"")
    byte, bit = member_id >> 3, 1 << (member_id & 7)
    if byte < len(buf) and buf[byte] & bit:
        return
    if byte >= len(buf):
        buf.extend(bytes(byte + 1 - len(buf)))
    buf[byte] |= bit
    _store_blob(session, StatMonthMembers, "bits", key, bytes(buf), bits is not None)


def _still_served(session, redemption, first, last):
    """Whether the member has another live redemption at this shop, in this category, in [first, last]."""
    return session.execute(
        select(Redemption.id).where(
            Redemption.member_id == redemption.member_id, Redemption.shop_id == redemption.shop_id,
            Redemption.category == redemption.category, Redemption.day.between(first, last),
            Redemption.voided_at.is_(None), Redemption.id != redemption.id).limit(1)
    ).first() is not None


def _remove_member(session, redemption):
    day, shop_id, category, member_id = (redemption.day, redemption.shop_id, redemption.category,
                                         redemption.member_id)
    if _still_served(session, redemption, day, day):
        return
    key = dict(day=day, shop_id=shop_id, category=category)
    blob = _locked_blob(session, StatDayMembers, "members", key)
    if blob is not None:
        ids = [i for i in unpack_ids(blob) if i != member_id]
        _store_blob(session, StatDayMembers, "members", key, pack_ids(ids), True)
    if _still_served(session, redemption, month_start(day), month_end(day)):
        return
    key = dict(month=month_start(day), shop_id=shop_id, category=category)
    bits = _locked_blob(session, StatMonthMembers, "bits", key)
    if bits is None:
        return
    buf = bytearray(bits)
    byte = member_id >> 3
    if byte < len(buf):
        buf[byte] &= ~(1 << (member_id & 7)) & 0xFF
    _store_blob(session, StatMonthMembers, "bits", key, bytes(buf.rstrip(b"\0")), True)


def add_redemption(session, redemption):
    """Count a newly logged redemption in its day's roll-ups."""
    _upsert(session, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=1, bill=redemption.bill, discount=redemption.discount),
            ("redemptions", "bill", "discount"))
    _add_member(session, redemption.day, redemption.shop_id, redemption.category, redemption.member_id)


def remove_redemption(session, redemption):
    """Take a voided redemption out of its (possibly long past) day's roll-ups."""
    _upsert(session, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=-1, bill=-redemption.bill, discount=-redemption.discount),
            ("redemptions", "bill", "discount"))
    _remove_member(session, redemption)


@redemption_logged.connect
def _on_logged(redemption, **extra):
    add_redemption(db.session, redemption)


@redemption_voided.connect
def _on_voided(redemption, **extra):
    remove_redemption(db.session, redemption)


# --- full rebuild ---------------------------------------------------------------------------

def rebuild_rollups(start=None, end=None, session=None):
    """Recompute the roll-ups from the redemptions, for whole months covering [start, end] (all when None).

    Use after bulk loads or direct data fixes; the caller commits. Returns the number of day rows.
    """
    session = session or db.session
    start = month_start(start) if start else None
    end = month_end(end) if end else None

    def in_range(column):
        conditions = []
        if start:
            conditions.append(column >= start)
        if end:
            conditions.append(column <= end)
        return and_(*conditions) if conditions else text("1=1")

    for model, column in ((StatDay, StatDay.day), (StatDayMembers, StatDayMembers.day),
                          (StatMonthMembers, StatMonthMembers.month)):
        session.execute(delete(model).where(in_range(column)))

    # One streaming pass over the live redemptions (untyped columns: no per-row conversions).
    query = "SELECT day, shop_id, category, member_id, bill, discount FROM redemption WHERE voided_at IS NULL"
    params = {}
    if start:
        query += " AND day >= :start"
        params["start"] = start
    if end:
        query += " AND day <= :end"
        params["end"] = end
    statement = text(query).bindparams(*(bindparam(k, type_=db.Date) for k in params))
    groups = {}
    for day, shop_id, category, member_id, bill, discount in session.execute(statement, params).yield_per(50_000):
        acc = groups.get((day, shop_id, category))
        if acc is None:
            acc = groups[(day, shop_id, category)] = [0, 0, 0, set()]
        acc[0] += 1
        acc[1] += bill
        acc[2] += discount
        acc[3].add(member_id)

    day_rows, member_rows, months = [], [], {}
    for (day, shop_id, category), (n, bill, discount, ids) in groups.items():
        day = day if isinstance(day, date) else date.fromisoformat(day)
        day_rows.append(dict(day=day, shop_id=shop_id, category=category, redemptions=n, bill=bill,
                             discount=discount))
        member_rows.append(dict(day=day, shop_id=shop_id, category=category, members=pack_ids(ids)))
        months.setdefault((month_start(day), shop_id, category), set()).update(ids)
    for chunk in _chunks(day_rows, 5000):
        session.execute(StatDay.__table__.insert(), chunk)
    for chunk in _chunks(member_rows, 5000):
        session.execute(StatDayMembers.__table__.insert(), chunk)
    month_rows = [dict(month=mo, shop_id=s, category=c, bits=bits_from_ids(ids))
                  for (mo, s, c), ids in months.items()]
    for chunk in _chunks(month_rows, 500):
        session.execute(StatMonthMembers.__table__.insert(), chunk)
    return len(day_rows)


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]
