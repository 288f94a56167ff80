"""JSON routes for scanning and redemptions (API.md "Scanning and redemptions")."""
import time
from functools import lru_cache, wraps

from flask import Blueprint, current_app, request
from flask_limiter import HeaderNames
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from baiye.api import API_PREFIX, caller, doc, load, page_of, query_args, roles_required
from baiye.extensions import limiter

from . import operations, records
from .access import TILL_ROLES
from .schemas import (RedeemSchema, RedemptionQuerySchema, RedemptionSchema, VerificationSchema, VerifySchema, VoidSchema,
                      dump_verification)

bp = Blueprint("redemption_api", __name__, url_prefix=API_PREFIX)
# Schemas are built once: a marshmallow schema costs more to construct than to use.
VERIFY, REDEEM, REDEMPTION = VerifySchema(), RedeemSchema(), RedemptionSchema()


@lru_cache(maxsize=8)
def parsed_limits(text):
    return tuple(parse_many(text))


def exhausted_verify_limit(user, remote_addr):
    """Count a scan against RATELIMIT_VERIFY for the caller (per signed-in user: card numbers must not be
    guessable by one account; an anonymous caller by address) and for the address (`remote_addr`, as
    Flask-Limiter's get_remote_address reads it). Counted with Flask-Limiter's own strategy and storage
    (RATELIMIT_STORAGE_URI); every counter is hit, as Flask-Limiter does. None when within all of them, else
    (the limit, its window stats) of the exhausted one that frees up last: the caller waits for that one."""
    if not limiter.enabled:
        return None
    address = remote_addr or "127.0.0.1"  # get_remote_address's own fallback
    user_key = f"user:{user.id}" if user.is_authenticated else f"addr:{address}"
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    keys = (("verify-user", user_key), ("verify-address", address))
    counted = [(limit, (prefix, scope, key), limiter.limiter.hit(limit, prefix, scope, key))
               for limit in parsed_limits(current_app.config["RATELIMIT_VERIFY"]) for scope, key in keys]
    exhausted = [(limit, limiter.limiter.get_window_stats(limit, *identifiers))
                 for limit, identifiers, allowed in counted if not allowed]
    return max(exhausted, key=lambda item: item[1].reset_time) if exhausted else None


class VerifyLimitReached(TooManyRequests):
    """429 for a scan over RATELIMIT_VERIFY, with the headers Flask-Limiter gives the 429s of the limits it
    counts itself: Retry-After, and X-RateLimit-Limit, -Remaining and -Reset when RATELIMIT_HEADERS_ENABLED
    (under the names RATELIMIT_HEADER_* give them). baiye.errors passes an HTTP error's headers on."""

    def __init__(self, limit, stats, now):
        reset_at = int(stats.reset_time + 1)  # as Flask-Limiter's RequestLimit.reset_at
        super().__init__(retry_after=max(1, int(reset_at - now)))  # as Flask-Limiter's
        config = current_app.config
        self.limit_headers = [
            (config.get(f"RATELIMIT_HEADER_{name.name}", name.value), str(value))
            for name, value in ((HeaderNames.LIMIT, limit.amount), (HeaderNames.REMAINING, stats.remaining),
                                (HeaderNames.RESET, reset_at))
        ] if config.get("RATELIMIT_HEADERS_ENABLED") else []

    def get_headers(self, environ=None, scope=None):
        return super().get_headers(environ, scope) + self.limit_headers


def verify_limits(view):
    """RATELIMIT_VERIFY per user and per address, shared by the scanning routes and pages: a guesser
    can spread over neither accounts nor addresses; over either: 429. Checked here directly rather than
    through two `shared_limit` decorators, which cost more than the route's own rules (bench/README.md).
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        exhausted = exhausted_verify_limit(caller(), request.remote_addr)
        if exhausted is not None:
            raise VerifyLimitReached(*exhausted, now=time.time())
        return view(*args, **kwargs)

    return wrapped


@bp.post("/verify")
@verify_limits
@roles_required(*TILL_ROLES)
@doc(body=VerifySchema, response=VerificationSchema, summary="Check a scanned code at this shop's till")
def verify():
    user, data = caller(), load(VERIFY)
    return dump_verification(operations.verify_for_shop(operations.TillShop(user.shop_id), user, data["code"]))


@bp.post("/redemptions")
@verify_limits
@roles_required(*TILL_ROLES)
@doc(body=RedeemSchema, response=RedemptionSchema, status=201,
     summary="Log a redemption (the same idempotency key returns the first one with 200)")
def redeem():
    user, data = caller(), load(REDEEM)
    redemption, created = operations.redeem(operations.TillShop(user.shop_id), user, data["code"], data["offer_id"],
                                            data["bill"], data["idempotency_key"])
    return REDEMPTION.dump(redemption), 201 if created else 200


@bp.get("/redemptions")
@roles_required("owner", "cashier", "coordinator")
@doc(query=RedemptionQuerySchema, response=page_of(RedemptionSchema, "RedemptionPage"),
     summary="Redemptions: a shop's own, or any for a coordinator")
def index():
    args = query_args(RedemptionQuerySchema())
    items, total = records.list_redemptions(caller(), **args)
    return {"items": RedemptionSchema(many=True).dump(items), "total": total}


@bp.post("/redemptions/<int:redemption_id>/void")
@roles_required("owner", "cashier", "coordinator")
@doc(body=VoidSchema, response=RedemptionSchema, summary="Void a redemption with a reason")
def void(redemption_id):
    data = load(VoidSchema())
    return RedemptionSchema().dump(operations.void(redemption_id, caller(), data["reason"]))
