"""JSON routes for scanning and redemptions (API.md "Scanning and redemptions")."""
from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from baiye.api import API_PREFIX, doc, load, roles_required
from baiye.extensions import limiter

from . import redemptions
from .redemption_schemas import (RedeemSchema, RedemptionQuerySchema, RedemptionSchema, VerificationSchema,
                                 VerifySchema, VoidSchema)

bp = Blueprint("redemption_api", __name__, url_prefix=API_PREFIX)
# Schemas are built once: a marshmallow schema costs more to construct than to use.
VERIFY, VERIFICATION, REDEEM, REDEMPTION = VerifySchema(), VerificationSchema(), RedeemSchema(), RedemptionSchema()


def user_key():
    """Rate-limit key per signed-in user (card numbers must not be guessable by one account)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"addr:{get_remote_address()}"


def verify_limit():
    return current_app.config["RATELIMIT_VERIFY"]


# Per user and per address: a guesser cannot spread over accounts nor over addresses.
per_user = limiter.shared_limit(verify_limit, scope="verify-user", key_func=user_key)
per_address = limiter.shared_limit(verify_limit, scope="verify-address")


@bp.post("/verify")
@per_user
@per_address
@roles_required("owner", "cashier")
@doc(body=VerifySchema, response=VerificationSchema, summary="Check a scanned code at this shop's till")
def verify():
    data = load(VERIFY)
    result = redemptions.verify_for_shop(redemptions.shop_for_till(current_user.shop_id), current_user, data["code"])
    return VERIFICATION.dump(result)


@bp.post("/redemptions")
@per_user
@per_address
@roles_required("owner", "cashier")
@doc(body=RedeemSchema, response=RedemptionSchema, status=201,
     summary="Log a redemption (the same idempotency key returns the first one with 200)")
def redeem():
    data = load(REDEEM)
    redemption, created = redemptions.redeem(redemptions.shop_for_till(current_user.shop_id), current_user, data["code"],
                                             data["offer_id"], data["bill"], data["idempotency_key"])
    return REDEMPTION.dump(redemption), 201 if created else 200


@bp.get("/redemptions")
@roles_required("owner", "cashier", "coordinator")
@doc(query=RedemptionQuerySchema, summary="Redemptions: a shop's own, or any for a coordinator")
def index():
    args = RedemptionQuerySchema().load(request.args.to_dict())
    items, total = redemptions.list_redemptions(current_user, **args)
    return {"items": RedemptionSchema(many=True).dump(items), "total": total}


@bp.post("/redemptions/<int:redemption_id>/void")
@roles_required("owner", "cashier", "coordinator")
@doc(body=VoidSchema, response=RedemptionSchema, summary="Void a redemption with a reason")
def void(redemption_id):
    data = load(VoidSchema())
    return RedemptionSchema().dump(redemptions.void(redemption_id, current_user, data["reason"]))
