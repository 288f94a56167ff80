"""Keep the statistics roll-ups in step with redemptions, and rebuild them from scratch.

The redemption service sends `redemption_logged` (the flushed row) and `redemption_voided` (after
`voided_at` is set) inside its transaction; the receivers here only execute statements in that same
transaction (the till's, or the session's: verification.till.sql.till_cursor), so the roll-ups commit or roll
back with the redemption itself. Changes are applied to the
redemption's own `day`, so a late void of an old redemption corrects that old day.
"""
from array import array
from datetime import date, timedelta

from sqlalchemy import and_, bindparam, delete, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from baiye.extensions import db
from verification.till.sql import Prepared, till_cursor
from verification.till.models import Redemption
from verification.till.signals import redemption_logged, redemption_voided

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

# These run inside every redemption's transaction, through verification.till.sql (Core statements compiled once
# per table and dialect, run by the driver in that transaction): building SQLAlchemy statements cost ten
# times more than executing them, and executing them through SQLAlchemy several times more again.
_STATEMENTS = {}


def _statement(kind, table, build):
    """The Prepared statement `kind` for `table`, built on first use (`build(table)`)."""
    key = (kind, table.name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Prepared(build(table))
    return _STATEMENTS[key]


def _insert(dialect):
    """The INSERT construct with ON CONFLICT clauses, as each dialect spells it."""
    return (postgresql if dialect == "postgresql" else sqlite).insert


def _key_is(table, key):
    """WHERE each primary-key column of `key` equals its parameter (named k_<column>)."""
    return and_(*(table.c[k] == bindparam(f"k_{k}") for k in key))


def _new_row(key, column):
    """VALUES of a new blob row: its key columns and the blob (parameters k_<column> and v_<column>)."""
    return {**{k: bindparam(f"k_{k}") for k in key}, column: bindparam(f"v_{column}")}


def _keyed(key, **values):
    return {**{f"k_{k}": v for k, v in key.items()}, **{f"v_{k}": v for k, v in values.items()}}


def _upsert(cur, model, values, increments):
    """INSERT, or add `increments` to the existing row (one statement on SQLite and PostgreSQL)."""
    def build(table):
        def for_dialect(dialect):
            statement = _insert(dialect)(table).values({k: bindparam(f"v_{k}") for k in values})
            return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns),
                                                   set_={c: table.c[c] + statement.excluded[c] for c in increments})
        return for_dialect

    cur.run(_statement("upsert", model.__table__, build), **_keyed({}, **values))


def _locked_blob(cur, model, column, key, create=False):
    """The row's blob, locked for this transaction; None when there is no row."""
    table = model.__table__
    if cur.dialect.name == "postgresql" and create:
        # A missing row is created empty first, so two first visits cannot both INSERT: the second
        # waits for the first to commit, then locks and updates the same row.
        cur.run(_statement("create", table, lambda t: lambda dialect: _insert(dialect)(t).values(
            _new_row(key, column)).on_conflict_do_nothing()), **_keyed(key, **{column: b""}))
    # PostgreSQL: lock the row so concurrent redemptions never lose each other's members (SQLite has no
    # FOR UPDATE: the redemption's INSERT already holds the database's write lock).
    row = cur.first(_statement("select", table, lambda t: select(t.c[column]).where(_key_is(t, key)).with_for_update()),
                    **_keyed(key))
    return None if row is None else bytes(row[0])


def _store_blob(cur, model, column, key, blob, existed):
    table = model.__table__
    if existed and blob:
        cur.run(_statement("update", table, lambda t: update(t).where(_key_is(t, key)).values(
            {column: bindparam(f"v_{column}")})), **_keyed(key, **{column: blob}))
    elif existed:
        cur.run(_statement("delete", table, lambda t: delete(t).where(_key_is(t, key))), **_keyed(key))
    elif blob:
        cur.run(_statement("insert", table, lambda t: insert(t).values(_new_row(key, column))),
                **_keyed(key, **{column: blob}))


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


def _served_query(same_shop):
    r = Redemption.__table__
    query = (select(literal(1)).where(r.c.member_id == bindparam("member"), r.c.category == bindparam("category"),
                                      r.c.day >= bindparam("first"), r.c.day <= bindparam("last"),
                                      r.c.voided_at.is_(None), r.c.id != bindparam("id")).limit(1))
    return Prepared(query.where(r.c.shop_id == bindparam("shop")) if same_shop else query)


_SERVED, _SERVED_AT_SHOP = _served_query(False), _served_query(True)


def _still_served(cur, redemption, first, last, same_shop=True):
    """Whether the member has another live redemption in this category in [first, last] (at this shop)."""
    statement = _SERVED_AT_SHOP if same_shop else _SERVED
    return cur.first(statement, member=redemption.member_id, category=redemption.category, first=first, last=last,
                     id=redemption.id, shop=redemption.shop_id) is not None


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


FORMS = ("phone_qr", "phone_digits", "card_qr", "card_number")  # verification.tokens.FORMS: StatDay's columns


def _form_counts(redemption, sign):
    form = getattr(redemption, "credential_form", None)
    return {name: sign if name == form else 0 for name in FORMS}


def add_redemption(session, redemption):
    """Count a newly logged redemption in its day's roll-ups."""
    cur = till_cursor(session)
    _upsert(cur, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=1, bill=redemption.bill, discount=redemption.discount,
                                   **_form_counts(redemption, 1)),
            ("redemptions", "bill", "discount", *FORMS))
    _add_member(cur, redemption.day, redemption.shop_id, redemption.category, redemption.member_id)


def remove_redemption(session, redemption):
    """Take a voided redemption out of its (possibly long past) day's roll-ups."""
    cur = till_cursor(session)
    _upsert(cur, StatDay, dict(day=redemption.day, shop_id=redemption.shop_id, category=redemption.category,
                                   redemptions=-1, bill=-redemption.bill, discount=-redemption.discount,
                                   **_form_counts(redemption, -1)),
            ("redemptions", "bill", "discount", *FORMS))
    _remove_member(cur, redemption)


def _on_logged(redemption, **extra):
    add_redemption(db.session, redemption)


def _on_voided(redemption, **extra):
    remove_redemption(db.session, redemption)


def connect_receivers():
    """Follow the till's redemptions and voids (create_app calls this; connecting twice changes nothing)."""
    redemption_logged.connect(_on_logged)
    redemption_voided.connect(_on_voided)


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
    query = ("SELECT day, shop_id, category, member_id, bill, discount, credential_form FROM redemption"
             " WHERE voided_at IS NULL")
    params = {}
    if start:
        query += " AND day >= :start"
        params["start"] = start
    if end:
        query += " AND day <= :end"
        params["end"] = end
    statement = text(query).bindparams(*(bindparam(k, type_=db.Date) for k in params))
    groups = {}
    for day, shop_id, category, member_id, bill, discount, form in (
            session.execute(statement, params).yield_per(50_000)):
        acc = groups.get((day, shop_id, category))
        if acc is None:
            acc = groups[(day, shop_id, category)] = [0, 0, 0, set(), dict.fromkeys(FORMS, 0)]
        acc[0] += 1
        acc[1] += bill
        acc[2] += discount
        acc[3].add(member_id)
        if form in acc[4]:
            acc[4][form] += 1

    day_rows, member_rows, everywhere = [], [], {}
    for (day, shop_id, category), (n, bill, discount, ids, forms) in groups.items():
        day = day if isinstance(day, date) else date.fromisoformat(day)
        day_rows.append(dict(day=day, shop_id=shop_id, category=category, redemptions=n, bill=bill,
                             discount=discount, **forms))
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
