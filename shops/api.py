from flask import Blueprint, current_app
from flask_login import current_user

from baiye import lists
from baiye.api import API_PREFIX, doc, load, page_of, query_args, roles_required
from baiye.extensions import limiter

from . import services
from .schemas import (DecisionSchema, DirectoryQuerySchema, DirectoryShopSchema, MetaSchema, OfferInputSchema,
                      OfferSchema, PasswordSchema, ReasonSchema, RequiredReasonSchema, ShopInputSchema, ShopPrivateSchema, ShopRegistrationSchema, ShopSchema,
                      StaffListSchema, StaffOutSchema, StaffSchema)

bp = Blueprint("shops_api", __name__, url_prefix=API_PREFIX)


def shop_schema_for(shop):
    return ShopPrivateSchema() if services.can_manage(current_user, shop) else ShopSchema()


@bp.get("/meta")
@doc(response=MetaSchema, summary="The deployment's lists: industries, streets, beneficiary categories", auth=False)
def meta():
    as_items = lambda pairs: [{"key": k, "label": v} for k, v in pairs]  # noqa: E731
    return {"industries": as_items(lists.industries()), "streets": as_items(lists.streets()),
            "categories": as_items(lists.categories())}


@bp.post("/shops")
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"])
@doc(body=ShopRegistrationSchema, response=ShopPrivateSchema, status=201, summary="Register a shop", auth=False)
def register():
    shop = services.register_shop(load(ShopRegistrationSchema()))
    return ShopPrivateSchema().dump(shop), 201


@bp.get("/shops")
@doc(query=DirectoryQuerySchema, response=page_of(DirectoryShopSchema, "ShopPage"),
     summary="The directory of approved shops (with `near`, nearest first)", auth=False)
def directory():
    args = query_args(DirectoryQuerySchema())
    items, total = services.directory(**args)
    return {"items": DirectoryShopSchema(many=True).dump(items), "total": total}


@bp.get("/shops/<int:shop_id>")
@doc(response=ShopPrivateSchema, summary="A shop with its current offers", auth=False,
     response_description="The shop; licence_no, status_reason and created_at for its own staff and coordinators only. "
                          "A shop not approved (one just registered is pending) is theirs alone to see: 404 for "
                          "anyone else")
def detail(shop_id):
    shop = services.visible_shop(shop_id, current_user)
    return shop_schema_for(shop).dump(shop)


@bp.patch("/shops/<int:shop_id>")
@roles_required("owner")
@doc(body=ShopInputSchema(partial=True), response=ShopPrivateSchema,
     summary="Change the shop's details (its owner); a rejected shop goes back to pending")
def update(shop_id):
    shop = services.get_shop(shop_id)
    services.require_owner(current_user, shop)
    return ShopPrivateSchema().dump(services.update_shop(shop, current_user, load(ShopInputSchema(), partial=True)))


def _decide(shop_id, action, schema):
    data = load(schema)
    shop = services.change_status(services.get_shop(shop_id), action, current_user, data.get("reason"))
    return {"id": shop.id, "status": shop.status}


@bp.post("/shops/<int:shop_id>/approve")
@roles_required("coordinator")
@doc(body=ReasonSchema, response=DecisionSchema, summary="Approve a pending or suspended shop")
def approve(shop_id):
    return _decide(shop_id, "approve", ReasonSchema())


@bp.post("/shops/<int:shop_id>/reject")
@roles_required("coordinator")
@doc(body=RequiredReasonSchema, response=DecisionSchema, summary="Reject a pending shop (reason required)")
def reject(shop_id):
    return _decide(shop_id, "reject", RequiredReasonSchema())


@bp.post("/shops/<int:shop_id>/suspend")
@roles_required("coordinator")
@doc(body=RequiredReasonSchema, response=DecisionSchema, summary="Suspend an approved shop (reason required)")
def suspend(shop_id):
    return _decide(shop_id, "suspend", RequiredReasonSchema())


@bp.get("/shops/<int:shop_id>/staff")
@roles_required("owner", "coordinator")
@doc(response=StaffListSchema, summary="The shop's staff accounts")
def staff(shop_id):
    shop = services.get_shop(shop_id)
    if not services.can_manage(current_user, shop):
        services.require_owner(current_user, shop)
    return {"items": StaffOutSchema(many=True).dump(shop.staff)}


@bp.post("/shops/<int:shop_id>/staff/<int:user_id>/password")
@roles_required("owner")
@doc(body=PasswordSchema, response=StaffOutSchema,
     summary="Set a new password for a cashier (its devices are signed out)")
def staff_password(shop_id, user_id):
    shop = services.get_shop(shop_id)
    data = load(PasswordSchema())
    return StaffOutSchema().dump(services.set_cashier_password(shop, current_user, user_id, data["password"]))


@bp.post("/shops/<int:shop_id>/staff")
@roles_required("owner")
@doc(body=StaffSchema, response=StaffOutSchema, status=201, summary="Add a cashier")
def add_staff(shop_id):
    shop = services.get_shop(shop_id)
    services.require_owner(current_user, shop)
    user = services.add_cashier(shop, current_user, load(StaffSchema()))
    return StaffOutSchema().dump(user), 201


@bp.post("/shops/<int:shop_id>/offers")
@roles_required("owner")
@doc(body=OfferInputSchema, response=OfferSchema, status=201, summary="Create an offer")
def create_offer(shop_id):
    shop = services.get_shop(shop_id)
    services.require_owner(current_user, shop)
    offer = services.create_offer(shop, current_user, load(OfferInputSchema()))
    return OfferSchema().dump(offer), 201


@bp.get("/offers/<int:offer_id>")
@doc(response=OfferSchema, summary="An offer", auth=False,
     response_description="The offer, a deleted one included: DELETE deactivates it (is_active false) and keeps it")
def offer_detail(offer_id):
    offer = services.get_offer(offer_id)
    services.visible_shop(offer.shop_id, current_user)
    return OfferSchema().dump(offer)


@bp.patch("/offers/<int:offer_id>")
@roles_required("owner")
@doc(body=OfferInputSchema(partial=True), response=OfferSchema, summary="Change an offer")
def update_offer(offer_id):
    offer = services.get_offer(offer_id)
    services.require_owner(current_user, offer.shop)
    data = load(OfferInputSchema(), partial=True)
    return OfferSchema().dump(services.update_offer(offer, current_user, data))


@bp.delete("/offers/<int:offer_id>")
@roles_required("owner")
@doc(status=204, summary="Deactivate an offer (history is kept)")
def delete_offer(offer_id):
    offer = services.get_offer(offer_id)
    services.deactivate_offer(offer, current_user)
    return "", 204
