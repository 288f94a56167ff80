"""What schemathesis needs beyond the OpenAPI document to send requests the API must take: the document states
these rules in words (descriptions, formats), since JSON Schema cannot state them. Loaded by schemathesis.toml
(`make schemathesis`, scripts/schemathesis_run.py) and by tests/core/test_schemathesis.py.

- Formats: "uscc" (a business licence whose last character checks the first 17) and "resident-id" (a resident ID
  whose last character checks the first 17).
- Rules across fields or against stored data: an offer's `ends_on` not before its `starts_on` and its `value` as its
  `kind` takes it, a change checked on the offer it makes (so a change names both or neither of `kind` and `value`,
  and of `starts_on` and `ends_on`); a member's `expires_on` not before today; a statistics period's `to` not
  before its `from`, and a day-by-day breakdown of at most MAX_DAY_ROWS days; an evidence pack's period at most
  evidence.services.MAX_DAYS days, ending today at the latest; an approved shop's name and licence
  the coordinators' to change.
- Resources that stay or stay hidden, as the document says: a deleted offer is deactivated and kept (it is still
  answered, `is_active` false, and may be changed), and a shop just registered is pending, which only coordinators
  (and its own staff) see: the stateful phase's "deleted resource still available" (ST301) and, in a run as an owner
  or a cashier (SCHEMATHESIS_ROLE, set by scripts/schemathesis_run.py), "created resource not found" (ST302) on
  these are set aside; every other such failure stands.
- Files: an upload's content is no JSON Schema matter. A generated photo upload carries a real image, a member import
  a CSV of one new member; generated to break the schema, they are left as they are.

The hooks that make requests (filter_*, map_case) serve the generated phases; schemathesis' coverage phase draws its
boundary values without them, so filter_failure sets aside a 422 to a schema-valid request when, and only when,
every field it names breaks one of these rules (checked here again).
"""
import io
import json
import os
import random
import zlib
from datetime import date, datetime, timedelta, timezone

import schemathesis
from hypothesis import strategies as st

from baiye.validators import CONTROL_CHARACTERS, USCC_CHARS, uscc_check_char, valid_licence
from evidence.services import MAX_DAYS as PACK_MAX_DAYS
from reports.stats import MAX_DAY_ROWS
from verification.tokens import id_check_char, id_number_valid, normalise_id_number

DIGITS = "0123456789"


@st.composite
def uscc(draw):
    if draw(st.booleans()):
        return draw(st.text(DIGITS, min_size=15, max_size=15))  # an old registration number: no check character
    first17 = (draw(st.text(USCC_CHARS, min_size=2, max_size=2)) + draw(st.text(DIGITS, min_size=6, max_size=6))
               + draw(st.text(USCC_CHARS, min_size=9, max_size=9)))
    return first17 + uscc_check_char(first17)


@st.composite
def resident_id(draw):
    first17 = draw(st.text(DIGITS, min_size=17, max_size=17))
    return first17 + id_check_char(first17)


schemathesis.openapi.format("uscc", uscc())
schemathesis.openapi.format("resident-id", resident_id())

OFFERS = ("/api/v1/shops/{shop_id}/offers", "/api/v1/offers/{offer_id}")
MEMBERS = ("/api/v1/members", "/api/v1/members/{member_id}")


def value_fits(kind, value):
    if kind == "percent_off":
        return isinstance(value, int) and 1 <= value <= 99
    if kind == "amount_off":
        return isinstance(value, int) and value >= 1
    return True


def soonest_expiry():
    """The first day surely not past in the deployment's zone, whatever it is (UTC+14 at most)."""
    return datetime.now(timezone.utc).date() + timedelta(days=2)


@schemathesis.hook
def filter_body(context, body):
    path, method = context.operation.path, context.operation.method.upper()
    if not isinstance(body, dict):
        return True
    if path in OFFERS:
        starts, ends = body.get("starts_on"), body.get("ends_on")
        if isinstance(starts, str) and isinstance(ends, str) and ends < starts:
            return False
        if method == "PATCH":  # checked with the stored offer's fields
            if ("kind" in body) != ("value" in body) or ("starts_on" in body) != ("ends_on" in body):
                return False
            return "kind" not in body or value_fits(body["kind"], body["value"])
        return True
    if path in MEMBERS and isinstance(body.get("expires_on"), str):
        try:
            return date.fromisoformat(body["expires_on"]) >= soonest_expiry()
        except ValueError:
            return True  # not a date: generated to be refused
    return True


STATS = ("/api/v1/stats/summary", "/api/v1/stats/breakdown", "/api/v1/stats/export.csv", "/api/v1/stats/export.xlsx",
         "/api/v1/stats/inactive", "/api/v1/stats/inactive.csv", "/api/v1/stats/inactive.xlsx")


def period_reversed(query):
    start, end = query.get("from"), query.get("to")
    return isinstance(start, str) and isinstance(end, str) and start and end and end < start


PACK = "/api/v1/evidence-pack"


def pack_period_refused(query):
    """Whether an evidence pack's period breaks a rule the document states in words: `to` before `from`, more than
    MAX_DAYS days, or `to` after today (in the deployment's zone, within a day of UTC's either way)."""
    latest = datetime.now(timezone.utc).date() - timedelta(days=1)  # surely not after today anywhere
    try:
        start, end = date.fromisoformat(query.get("from")), date.fromisoformat(query.get("to"))
    except (TypeError, ValueError):
        return False
    return end < start or (end - start).days >= PACK_MAX_DAYS or end >= latest


@schemathesis.hook
def filter_query(context, query):
    """A period's `to` is not before its `from`; an evidence pack's period is one it can cover."""
    if not isinstance(query, dict):
        return True
    if context.operation.path == PACK:
        return not pack_period_refused(query)
    return not (context.operation.path in STATS and period_reversed(query))


def day_span(query):
    """Days from `from` to `to`; an open end counts as the whole window (the data's own first or last day decides)."""
    try:
        start = date.fromisoformat(query.get("from") or "2000-01-01")
        end = date.fromisoformat(query.get("to") or "2099-12-31")
    except (TypeError, ValueError):
        return 0
    return (end - start).days


def breaks_stated_rule(case, field):
    """Whether the request's value of `field` breaks a rule the document states in words only."""
    body = case.body if isinstance(case.body, dict) else {}
    path, method = case.operation.path, case.operation.method.upper()
    if field in ("name", "licence_no") and path == "/api/v1/shops/{shop_id}" and method == "PATCH":
        return True  # once the shop is approved, the coordinators' to change
    if field == "licence_no":
        return isinstance(body.get(field), str) and not valid_licence(body[field])
    if field == "id_number":
        number = normalise_id_number(body.get(field)) if isinstance(body.get(field), str) else ""
        return len(number) == 18 and not id_number_valid(number)
    if field == "expires_on" and path in MEMBERS:
        try:
            return date.fromisoformat(body[field]) < soonest_expiry()
        except (KeyError, TypeError, ValueError):
            return False
    if field in ("value", "ends_on") and path in OFFERS:
        if method == "PATCH" and (("kind" in body) != ("value" in body) or ("starts_on" in body) != ("ends_on" in body)):
            return True  # checked with the stored offer's fields
        if field == "value":
            return not value_fits(body.get("kind"), body.get("value"))
        starts, ends = body.get("starts_on"), body.get("ends_on")
        return isinstance(starts, str) and isinstance(ends, str) and ends < starts
    if field == "from" and path in STATS:
        query = case.query or {}
        # a day-by-day breakdown covers at most MAX_DAY_ROWS days; an open end closes at the data's first or last day
        return period_reversed(query) or (query.get("by") == "day" and day_span(query) >= MAX_DAY_ROWS)
    if field in ("from", "to") and path == PACK:
        return pack_period_refused(case.query or {})
    if field == "file":  # an upload's content
        return path in ("/api/v1/shops/{shop_id}/photos", "/api/v1/members/import")
    return False


def text_as_sent(value):
    """A multipart field is text: a value generated as another type (to break the schema) is sent as its JSON
    spelling ("null", "5"), which may well be text the field takes."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


OFFER = "/api/v1/offers/{offer_id}"
SHOP = "/api/v1/shops/{shop_id}"


def kept_as_documented(failure, case, response):
    """Whether a stateful failure is the document's own behaviour: a deleted offer still answered, deactivated (or
    changed: an inactive offer is edited as any other), or a just-registered (pending) shop that an owner or a
    cashier of another shop cannot see."""
    method = case.operation.method.upper()
    if failure.code == "ST301" and case.operation.path == OFFER:
        if method == "PATCH":
            return True
        try:
            return method == "GET" and response.json().get("is_active") is False
        except (ValueError, AttributeError):
            return False
    if failure.code == "ST302" and case.operation.path == SHOP and method == "GET" and response.status_code == 404:
        return failure.created_with.startswith("POST /api/v1/shops") and os.environ.get("SCHEMATHESIS_ROLE") in (
            "owner", "cashier")
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """A schema-valid request refused (422) only for rules the document states in words (formats with a check
    character, rules across fields or against stored data, a file's content) is no disagreement with the document;
    nor is a photo caption "generated to break the schema" that reached the server as valid text, nor a stateful
    failure that is the document's own behaviour (kept_as_documented). Every other failure stands."""
    if failure.code in ("ST301", "ST302"):
        return not kept_as_documented(failure, case, response)
    if failure.code == "ST201" and case.operation.path == "/api/v1/shops/{shop_id}/photos":
        # what reached the server (text, and the image it took) is what the document allows
        caption = case.body.get("caption") if isinstance(case.body, dict) else None
        sent = text_as_sent(caption)
        return len(sent) > 200 or bool(CONTROL_CHARACTERS.search(sent))
    if failure.code != "ST202" or response.status_code != 422:
        return True
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return True
    fields = error.get("fields") or {}
    if error.get("code") == "invalid_rows":
        fields = {"file": True}
    return not (fields and all(breaks_stated_rule(case, field) for field in fields))


def jpeg(seed):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8 + seed % 8, 8), (seed % 256, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def member_csv(seed):
    rng = random.Random(seed)
    first17 = "".join(rng.choice(DIGITS) for _ in range(17))
    expires = (soonest_expiry() + timedelta(days=rng.randrange(1, 3000))).isoformat()
    return (f"name,category,id_number,phone,expires_on\n测试{seed % 1000},veteran,{first17}{id_check_char(first17)},"
            f"13900139000,{expires}\n").encode()


@schemathesis.hook
def map_case(context, case):
    path = context.operation.path
    uploads = {"/api/v1/shops/{shop_id}/photos": ("photo.jpg", jpeg), "/api/v1/members/import": ("members.csv", member_csv)}
    if path not in uploads or not isinstance(case.body, dict) or "file" not in case.body:
        return case
    if case.meta is not None and any(info.mode.is_negative for info in case.meta.components.values()):
        return case
    _name, make = uploads[path]
    case.body = dict(case.body, file=make(zlib.crc32(repr(sorted(case.body.items())).encode())))  # no randomness of its own
    return case
