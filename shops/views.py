from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from baiye.accounts.views import start_session
from baiye.api import roles_required
from baiye.clock import local_date, utcnow
from baiye.forms import submit, validate_with
from baiye.extensions import limiter
from baiye.messages import N_

from . import services
from .forms import LocationForm, OfferForm, PasswordForm, ReasonForm, RegisterForm, ShopForm, StaffForm
from .schemas import (DirectoryQuerySchema, OfferInputSchema, PasswordSchema, ReasonSchema, ShopInputSchema,
                      ShopRegistrationSchema, StaffSchema)

bp = Blueprint("shops", __name__)

STATUS_LABELS = {"pending": N_("待审核"), "approved": N_("已通过"), "rejected": N_("未通过"), "suspended": N_("已暂停")}


@bp.app_template_filter("distance")
def distance_text(metres):
    """350 -> "350 米"; 1234 -> "1.2 公里"."""
    if metres < 1000:
        return _("%(n)d 米", n=metres)
    return _("%(n)s 公里", n=f"{metres / 1000:.1f}" if metres < 100_000 else f"{metres / 1000:.0f}")


@bp.app_template_filter("amap_url")
def amap_url(shop):
    """Amap's public marker URI for the shop (opens the Amap app where installed, else its web page); the
    position is the phone's WGS-84, which Amap converts (coordinate=wgs84)."""
    return "https://uri.amap.com/marker?" + urlencode({
        "position": f"{shop.lng},{shop.lat}", "name": shop.name, "coordinate": "wgs84", "callnative": 1})


@bp.app_context_processor
def shop_helpers():
    return {"status_label": lambda s: _(STATUS_LABELS.get(s, s))}


def directory_args(names=("industry", "street", "category", "q", "near")):
    """The directory's filters from the query string; a position that is not one is dropped (the list is then
    by name, as without one) rather than refused: it comes from the phone, not from the person."""
    raw = {k: v for k, v in request.args.items() if k in names and v}
    errors = DirectoryQuerySchema().validate(raw)
    return DirectoryQuerySchema().load({k: v for k, v in raw.items() if k not in errors})


@bp.get("/shops")
def directory():
    args = directory_args()
    args["per_page"] = 200
    shops, total = services.directory(**args)
    return render_template("shops/directory.html", shops=shops, total=total, args=args,
                           near_text=request.args.get("near", "") if args["near"] else "")


@bp.get("/shops/<int:shop_id>")
def detail(shop_id):
    shop = services.visible_shop(shop_id, current_user)
    return render_template("shops/detail.html", shop=shop, offers=services.current_offers(shop))


@bp.route("/shops/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        data = validate_with(form, ShopRegistrationSchema(), form.registration_data())
        shop = data and submit(form, lambda: services.register_shop(data))
        if shop:
            start_session(shop.owner, remember=True)
            flash(_("登记已提交，区双拥办审核通过后即可在目录中展示并开始核销。"), "success")
            flash_location_warning(shop)
            return redirect(url_for("shops.mine"))
    return render_template("shops/register.html", form=form), 422 if form.errors or form.form_errors else 200


def flash_location_warning(shop):
    warning = services.location_warning(shop.location)
    if warning:
        flash(warning, "warning")


def own_shop():
    return services.get_shop(current_user.shop_id)


@bp.get("/shop")
@roles_required("owner", "cashier")
def mine():
    shop = own_shop()
    return render_template("shops/mine.html", shop=shop, offers=shop.offers,
                           current=set(o.id for o in services.current_offers(shop)))


@bp.route("/shop/edit", methods=["GET", "POST"])
@roles_required("owner")
def edit_shop():
    """The shop's details; for a rejected shop, corrected and sent for review again."""
    shop = own_shop()
    form = ShopForm(obj=shop if request.method == "GET" else None)
    was_rejected = shop.status == "rejected"
    if form.validate_on_submit():
        data = validate_with(form, ShopInputSchema(), form.shop_data())
        if data and submit(form, lambda: services.update_shop(shop, current_user, data)):
            flash(_("已修改并重新提交，请等待区双拥办审核。") if was_rejected else _("店铺资料已更新。"), "success")
            flash_location_warning(shop)
            return redirect(url_for("shops.mine"))
    return render_template("shops/edit.html", form=form, shop=shop), 422 if form.errors or form.form_errors else 200


@bp.route("/shop/offers/new", methods=["GET", "POST"])
@roles_required("owner")
def new_offer():
    shop = own_shop()
    form = OfferForm()
    if request.method == "GET":
        form.starts_on.data = local_date(utcnow())
    if form.validate_on_submit():
        raw = form.offer_data()
        data = validate_with(form, OfferInputSchema(), raw)  # every field's complaint at once
        if data and not form.errors and submit(form, lambda: services.create_offer(shop, current_user, data)):
            flash(_("优惠已添加。"), "success")
            return redirect(url_for("shops.mine"))
    return render_offer_form(form, shop, None)


@bp.route("/shop/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@roles_required("owner")
def edit_offer(offer_id):
    offer = services.get_offer(offer_id)
    services.require_owner(current_user, offer.shop)
    form = OfferForm()
    if request.method == "GET":
        form.fill_from(offer)
    if form.validate_on_submit():
        raw = form.offer_data()
        # The form has no on/off switch (its own buttons do that): editing a paused offer leaves it paused.
        schema = OfferInputSchema(exclude=("is_active",))
        data = validate_with(form, schema, raw)
        if data and not form.errors and submit(form, lambda: services.update_offer(offer, current_user, data)):
            flash(_("优惠已更新。"), "success")
            return redirect(url_for("shops.mine"))
    return render_offer_form(form, offer.shop, offer)


def render_offer_form(form, shop, offer):
    """The offer form, with a warning beside an amount off that is large against the shop's typical bill (the
    statistics area answers that, when present: `typical_bill`), also kept up to date by its script as one types."""
    typical_bill = current_app.extensions.get("typical_bill", lambda shop_id: None)(shop.id)
    if request.method == "POST":
        kind, value, min_spend = form.kind.data, getattr(form.amount, "fen", None), getattr(form.min_spend, "fen", None)
    else:
        kind, value, min_spend = (offer.kind, offer.value, offer.min_spend) if offer else (None, None, None)
    warning = services.offer_warning(kind, value, min_spend, typical_bill)
    templates = {against: services.warning_text(against, "{amount}", "{ref}", "{pct}")
                 for against in ("typical", "min_spend")}
    return render_template("shops/offer_form.html", form=form, offer=offer, warning=warning, typical_bill=typical_bill,
                           warning_templates=templates, thresholds=(services.LARGE_AGAINST_TYPICAL_BILL,
                                                                    services.LARGE_AGAINST_MIN_SPEND)
                           ), 422 if form.errors else 200


@bp.post("/shop/offers/<int:offer_id>/<any(activate, deactivate):action>")
@roles_required("owner")
def switch_offer(offer_id, action):
    """Stop an offer (never deleted: redemptions point at it), or run it again."""
    active = action == "activate"
    services.set_offer_active(services.get_offer(offer_id), current_user, active)
    if active:
        flash(_("优惠已重新启用。"), "success")
    else:
        flash(_("优惠已停用，历史记录仍保留。"), "info")
    return redirect(url_for("shops.mine"))


@bp.route("/shop/staff", methods=["GET", "POST"])
@roles_required("owner")
def staff():
    shop = own_shop()
    form = StaffForm()
    if form.validate_on_submit():
        data = validate_with(form, StaffSchema(), {
            "username": form.username.data or "", "password": form.password.data or "",
            "display_name": (form.display_name.data or "").strip() or None})
        if data and submit(form, lambda: services.add_cashier(shop, current_user, data)):
            flash(_("收银员账号已创建。"), "success")
            return redirect(url_for("shops.staff"))
    return render_template("shops/staff.html", shop=shop, form=form), 422 if form.errors else 200


@bp.post("/shop/staff/<int:user_id>/<any(enable, disable):action>")
@roles_required("owner")
def switch_staff(user_id, action):
    """Disable a cashier account (kept for the history of what it logged), or let it sign in again."""
    enabled = action == "enable"
    services.set_cashier_enabled(own_shop(), current_user, user_id, enabled)
    if enabled:
        flash(_("该收银员账号已恢复，可以重新登录。"), "success")
    else:
        flash(_("该收银员账号已停用。"), "info")
    return redirect(url_for("shops.staff"))


@bp.post("/shop/staff/<int:user_id>/password")
@roles_required("owner")
def staff_password(user_id):
    """A new password for a cashier who forgot theirs, from the staff page."""
    form = PasswordForm()
    if form.validate_on_submit():
        data = validate_with(form, PasswordSchema(), {"password": form.password.data or ""})
        if data and submit(form, lambda: services.set_cashier_password(own_shop(), current_user, user_id,
                                                                      data["password"])):
            flash(_("新密码已生效，该收银员在其他设备上需要重新登录。"), "success")
            return redirect(url_for("shops.staff"))
    flash(" ".join(form.password.errors + form.form_errors) or _("请重试。"), "error")
    return redirect(url_for("shops.staff"))


@bp.get("/admin/shops")
@roles_required("coordinator")
def queue():
    status = request.args.get("status", "pending")
    status = status if status in STATUS_LABELS or status == "all" else "pending"
    shops = services.shops_by_status(None if status == "all" else status)
    counts = services.status_counts()
    return render_template("shops/queue.html", shops=shops, status=status, counts=counts)


@bp.get("/admin/shops/<int:shop_id>")
@roles_required("coordinator")
def review(shop_id):
    shop = services.get_shop(shop_id)
    return render_template("shops/review.html", shop=shop, form=ReasonForm(), location_form=LocationForm(obj=shop),
                           location_warning=services.location_warning(shop.location))


@bp.post("/admin/shops/<int:shop_id>/location")
@roles_required("coordinator")
def correct_location(shop_id):
    """A coordinator puts the shop where it is (or clears a wrong position: both boxes blank)."""
    shop = services.get_shop(shop_id)
    form = LocationForm()
    if form.validate_on_submit():
        location = form.location_data()
        data = validate_with(form, ShopInputSchema(only=("location",)), {"location": location})
        if data and not form.errors and submit(form, lambda: services.set_location(
                shop, current_user, data["location"])):
            flash(_("位置已更新。") if shop.location else _("位置已清除。"), "success")
            flash_location_warning(shop)
            return redirect(url_for("shops.review", shop_id=shop.id, _anchor="location"))
    return render_template("shops/review.html", shop=shop, form=ReasonForm(), location_form=form,
                           location_warning=None), 422


@bp.post("/admin/shops/<int:shop_id>/<any(approve, reject, suspend):action>")
@roles_required("coordinator")
def decide(shop_id, action):
    shop = services.get_shop(shop_id)
    form = ReasonForm()
    data = validate_with(form, ReasonSchema(), {"reason": form.reason.data}) if form.validate_on_submit() else None
    if data is not None and submit(form, lambda: services.change_status(shop, action, current_user, data["reason"])):
        flash(_("已处理：%(name)s — %(status)s", name=shop.name, status=_(STATUS_LABELS[shop.status])), "success")
        return redirect(url_for("shops.queue"))
    # Back to the shop's page, whose address answers GET (this one does not) and can be reloaded or shared.
    for message in [m for messages in form.errors.values() for m in messages] + list(form.form_errors):
        flash(message, "error")
    return redirect(url_for("shops.review", shop_id=shop.id, _anchor="decision"))
