"""Keep the statistics roll-ups in step with redemptions, and rebuild them from scratch.

The redemption service sends `redemption_logged` (the flushed row) and `redemption_voided` (after
`voided_at` is set) inside its transaction; the receivers here only execute statements in that same
transaction (the till's, or the session's: baiye.prepared.till_cursor), so the roll-ups commit or roll
back with the redemption itself. Changes are applied to the
redemption's own `day`, so a late void of an old redemption corrects that old day.
"""
from array import array
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, delete, select, text

from baiye.extensions import db
from baiye.prepared import till_cursor
from verification.signals import redemption_logged, redemption_voided

from .models import StatAllMembers, StatDay, StatDayMembers, StatMonthMembers, StatWeekMembers

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

# These run inside every redemption's transaction, so they are plain SQL strings run by the driver on
# the transaction's own connection (baiye.prepared.till_cursor): building SQLAlchemy statements cost ten
# times more than executing them, and executing them through SQLAlchemy several times more again.
_SQL = {}


def _sql(name, dialect, build):
    key = (name, dialect)
    text_ = _SQL.get(key)
    if text_ is None:
        mark = (lambda n: f"%({n})s") if dialect == "postgresql" else (lambda n: f":{n}")
        text_ = _SQL[key] = build(mark)
    return text_


def _params(dialect, values):
    if dialect == "postgresql":
        return values
    # SQLAlchemy keeps SQLite dates as ISO text.
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def _upsert(cur, model, values, increments):
    """INSERT, or add `increments` to the existing row (one statement on SQLite and PostgreSQL)."""
    dialect = cur.dialect.name
    table = model.__tablename__
    keys = [c.name for c in model.__table__.primary_key.columns]
    sql = _sql(("upsert", table), dialect, lambda m: (
        f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(m(k) for k in values)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in increments)))
    cur.sql(sql, _params(dialect, values))


def _where(key, m):
    return " AND ".join(f"{k} = {m(k)}" for k in key)


def _locked_blob(cur, model, column, key, create=False):
    """The row's blob, locked for this transaction; None when there is no row."""
    dialect = cur.dialect.name
    table = model.__tablename__
    params = _params(dialect, key)
    if dialect == "postgresql" and create:
        # A missing row is created empty first, so two first visits cannot both INSERT: the second
        # waits for the first to commit, then locks and updates the same row.
        sql = _sql(("create", table), dialect, lambda m: (
            f"INSERT INTO {table} ({', '.join(key)}, {column}) VALUES ({', '.join(m(k) for k in key)}, {m(column)}) "
            "ON CONFLICT DO NOTHING"))
        cur.sql(sql, {**params, column: b""})
    # PostgreSQL: lock the row so concurrent redemptions never lose each other's members.
    # SQLite: the redemption's INSERT already holds the database's write lock.
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    sql = _sql(("select", table), dialect, lambda m: f"SELECT {column} FROM {table} WHERE {_where(key, m)}{lock}")
    row = cur.sql(sql, params).fetchone()
    return None if row is None else bytes(row[0])


def _store_blob(cur, model, column, key, blob, existed):
    dialect = cur.dialect.name
    table = model.__tablename__
    params = _params(dialect, key)
    if existed and blob:
        sql = _sql(("update", table), dialect, lambda m: f"UPDATE {table} SET {column} = {m(column)} WHERE {_where(key, m)}")
        cur.sql(sql, {**params, column: blob})
    elif existed:
        sql = _sql(("delete", table), dialect, lambda m: f"DELETE FROM {table} WHERE {_where(key, m)}")
        cur.sql(sql, params)
    elif blob:
        sql = _sql(("insert", table), dialect, lambda m: (
            f"INSERT INTO {table} ({', '.join(key)}, {column}) VALUES ({', '.join(m(k) for k in key)}, {m(column)})"))
        cur.sql(sql, {**params, column: blob})


def week_start(day):
    return day - timedelta(days=day.weekday())


def week_end(day):
    return week_start(day) + timedelta(days=6)


def _bitmaps(day, shop_id, category):
    """The bitmaps a member-day belongs to: (model, key, first day, last day, whether per shop)."""
    return (
        (StatMonthMembers, dict(month=month_start(day), shop_id=shop_id, category=category),
         month_start(day), month_end(day), True),
        (StatWeekMembers, dict(week=week_start(day), shop_id=shop_id, category=category),
         week_start(day), week_end(day), True),
        (StatAllMembers, dict(grain="day", first=day, category=category), day, day, False),
        (StatAllMembers, dict(grain="week", first=week_start(day), category=category),
         week_start(day), week_end(day), False),
        (StatAllMembers, dict(grain="month", first=month_start(day), category=category),
         month_start(day), month_end(day), False),
    )


def _set_bit(cur, model, key, member_id, on):
    bits = _locked_blob(cur, model, "bits", key, create=on)
    buf = bytearray(bits or b"")
    byte, bit = member_id >> 3, 1 << (member_id & 7)
    is_set = byte < len(buf) and bool(buf[byte] & bit)
    if is_set == on:
        return
    if on:
        buf.extend(bytes(max(0, byte + 1 - len(buf))))
        buf[byte] |= bit
    else:
        buf[byte] &= ~bit & 0xFF
    _store_blob(cur, model, "bits", key, bytes(buf.rstrip(b"\0")), bits is not None)


def _add_member(cur, day, shop_id, category, member_id):
    key = dict(day=day, shop_id=shop_id, category=category)
    blob = _locked_blob(cur, StatDayMembers, "members", key, create=True)
    ids = unpack_ids(blob)
    if member_id in ids:
        return
    _store_blob(cur, StatDayMembers, "members", key, pack_ids([*ids, member_id]), blob is not None)
    for model, key, _first, _last, _per_shop in _bitmaps(day, shop_id, category):
        _set_bit(cur, model, key, member_id, True)


def _still_served(cur, redemption, first, last, same_shop=True):
    """Whether the member has another live redemption in this category in [first, last] (at this shop)."""
    dialect = cur.dialect.name
    sql = _sql(("served", same_shop), dialect, lambda m: (
        "SELECT 1 FROM redemption WHERE member_id = {member} AND category = {category} "
        "AND day >= {first} AND day <= {last} AND voided_at IS NULL AND id <> {id}{shop} LIMIT 1").format(
            member=m("member"), category=m("category"), first=m("first"), last=m("last"), id=m("id"),
            shop=f" AND shop_id = {m('shop')}" if same_shop else ""))
    params = dict(member=redemption.member_id, category=redemption.category, first=first, last=last,
                  id=redemption.id, shop=redemption.shop_id)
    return cur.sql(sql, _params(dialect, params)).fetchone() is not None


def _remove_member(cur, redemption):
    day, shop_id, category, member_id = (redemption.day, redemption.shop_id, redemption.category,
                                         redemption.member_id)
    if _still_served(cur, redemption, day, day):
        return
    key = dict(day=day, shop_id=shop_id, category=category)
    blob = _locked_blob(cur, StatDayMembers, "members", key)
    if blob is not None:
        ids = [i for i in unpack_ids(blob) if i != member_id]
        _store_blob(cur, StatDayMembers, "members", key, pack_ids(ids), True)
    for model, key, first, last, per_shop in _bitmaps(day, shop_id, category):
        if not _still_served(cur, redemption, first, last, same_shop=per_shop):
            _set_bit(cur, model, key, member_id, False)


def add_redemption(session, redemption):
    """Count a newly logged redemption in its day's roll-ups."""
    cur = till_cursor(session)
    _upsert(cur, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=1, bill=redemption.bill, discount=redemption.discount),
            ("redemptions", "bill", "discount"))
    _add_member(cur, redemption.day, redemption.shop_id, redemption.category, redemption.member_id)


def remove_redemption(session, redemption):
    """Take a voided redemption out of its (possibly long past) day's roll-ups."""
    cur = till_cursor(session)
    _upsert(cur, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=-1, bill=-redemption.bill, discount=-redemption.discount),
            ("redemptions", "bill", "discount"))
    _remove_member(cur, redemption)


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

    def between(column, first, last):
        conditions = [column >= first] if first else []
        if last:
            conditions.append(column <= last)
        return and_(*conditions) if conditions else text("1=1")

    for model in (StatDay, StatDayMembers):
        session.execute(delete(model).where(between(model.day, start, end)))
    session.execute(delete(StatAllMembers).where(StatAllMembers.grain == "day",
                                                 between(StatAllMembers.first, start, end)))

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

    day_rows, member_rows, everywhere = [], [], {}
    for (day, shop_id, category), (n, bill, discount, ids) in groups.items():
        day = day if isinstance(day, date) else date.fromisoformat(day)
        day_rows.append(dict(day=day, shop_id=shop_id, category=category, redemptions=n, bill=bill,
                             discount=discount))
        member_rows.append(dict(day=day, shop_id=shop_id, category=category, members=pack_ids(ids)))
        everywhere.setdefault((day, category), set()).update(ids)
    _insert_chunks(session, StatDay, day_rows, 5000)
    _insert_chunks(session, StatDayMembers, member_rows, 5000)
    _insert_chunks(session, StatAllMembers, [dict(grain="day", first=d, category=c, bits=bits_from_ids(ids))
                                             for (d, c), ids in everywhere.items()], 500)
    del groups, member_rows, everywhere

    # Monthly and weekly bitmaps from the daily sets; weeks reaching outside the range included.
    for grain, model, column, first_of, first, last in (
            ("month", StatMonthMembers, "month", month_start, start, end),
            ("week", StatWeekMembers, "week", week_start, week_start(start) if start else None,
             week_end(end) if end else None)):
        session.execute(delete(model).where(between(getattr(model, column), first, last)))
        session.execute(delete(StatAllMembers).where(StatAllMembers.grain == grain,
                                                     between(StatAllMembers.first, first, last)))
        per_shop, everywhere = {}, {}
        rows = session.execute(select(StatDayMembers.day, StatDayMembers.shop_id, StatDayMembers.category,
                                      StatDayMembers.members).where(between(StatDayMembers.day, first, last)))
        for day, shop_id, category, blob in rows:
            ids = unpack_ids(blob)
            per_shop.setdefault((first_of(day), shop_id, category), set()).update(ids)
            everywhere.setdefault((first_of(day), category), set()).update(ids)
        _insert_chunks(session, model, [{column: f, "shop_id": s, "category": c, "bits": bits_from_ids(ids)}
                                        for (f, s, c), ids in per_shop.items()], 500)
        _insert_chunks(session, StatAllMembers, [dict(grain=grain, first=f, category=c, bits=bits_from_ids(ids))
                                                 for (f, c), ids in everywhere.items()], 500)
    return len(day_rows)


def _insert_chunks(session, model, rows, size):
    for chunk in _chunks(rows, size):
        session.execute(model.__table__.insert(), chunk)


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]
