"""The audit log page for coordinators: every entry in plain words, with filters."""
from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from baiye import audit, lists
from baiye.accounts.models import User
from baiye.api import roles_required
from baiye.clock import day_start_utc
from baiye.extensions import db
from baiye.messages import N_, localise
from baiye.validators import DAY_IN_RANGE, MAX_ROW_ID
from reports.models import ShopPhoto
from reports.services import GROUP_TITLES
from shops.models import Offer, Shop
from verification.members.models import Credential, Member

bp = Blueprint("audit", __name__)

# What each recorded action is called on the page (the code stays in the log and the filter's URL).
ACTIONS = {
    "shop.register": N_("商户注册"), "shop.update": N_("修改店铺资料"), "shop.resubmit": N_("修改后重新提交审核"),
    "shop.location": N_("更正店铺位置"), "shop.approve": N_("审核通过商户"), "shop.reject": N_("驳回商户"),
    "shop.suspend": N_("暂停商户"), "offer.create": N_("新增优惠"), "offer.update": N_("修改优惠"),
    "offer.deactivate": N_("停用优惠"), "offer.activate": N_("重新启用优惠"), "staff.add": N_("添加收银员"),
    "staff.disable": N_("停用收银员"), "staff.enable": N_("恢复收银员"), "staff.password": N_("重设收银员密码"),
    "photo.add": N_("上传商户照片"), "photo.remove": N_("删除商户照片"), "member.enrol": N_("登记新优待对象"),
    "member.import": N_("批量导入优待对象"), "member.update": N_("修改优待对象"),
    "member.purge": N_("清除到期个人信息"), "credential.issue": N_("发放优待证"),
    "credential.reissue": N_("补发优待证"), "credential.revoke": N_("作废优待证"),
    "credential.print": N_("打印优待卡"), "credential.form": N_("改用手机出示"),
    "activation.create": N_("生成激活码"), "activation.use": N_("在手机上启用优待码"),
    "redemption.void": N_("撤销核销"), "redemption.export": N_("导出本店核销记录"), "stats.export": N_("导出统计"),
    "evidence.build": N_("生成证据包"), "evidence.download": N_("下载证据包"),
}


def targets():
    """{the kind of record an entry is about (audit.record stores its class name): what the page calls one}."""
    return {"shop": pgettext("one shop", "商户"), "offer": _("优惠"), "user": _("账号"), "shopphoto": _("照片"),
            "member": pgettext("one member", "优待对象"), "credential": _("优待证"), "redemption": _("核销记录")}


DETAILS = {
    "reason": N_("原因"), "name": N_("名称"), "shop_id": N_("商户编号"), "member_id": N_("优待对象编号"),
    "member_ids": N_("优待对象编号"), "serial": N_("第几张证"), "replaced_id": N_("替换的证"), "link_id": N_("激活码编号"),
    "fields": N_("修改的项"), "category": N_("优待对象类别"), "created": N_("新增人数"), "first_id": N_("起始编号"),
    "last_id": N_("结束编号"), "count": N_("人数"), "months": N_("到期后月数"), "discount": N_("优惠金额"),
    "date_from": N_("从"), "date_to": N_("到"), "format": N_("格式"), "by": N_("分组"), "table": N_("表"),
    "days": N_("天数"), "rows": N_("行数"), "start": N_("从"), "end": N_("到"), "street": N_("街道/乡镇"),
    "industry": N_("行业"), "shop": N_("商户"), "size": N_("文件大小（字节）"), "checkpoint_size": N_("账本检查点记录数"),
    "photos": N_("照片张数"), "report": N_("报告格式"), "out": N_("写入文件"), "before": N_("原位置"),
    "after": N_("新位置"), "live_form": N_("出示方式"), "previous_form": N_("原出示方式"),
}
# The fields an update lists ("fields"), by the model's column names.
FIELDS = {
    "name": N_("名称"), "industry": N_("行业"), "street": N_("街道/乡镇"), "address": N_("地址"), "phone": N_("电话"),
    "licence_no": N_("营业执照号"), "hours": N_("营业时间"), "description": N_("说明"), "title": N_("优惠名称"),
    "kind": N_("优惠方式"), "value": N_("优惠额度"), "min_spend": N_("最低消费"), "categories": N_("适用对象"),
    "limit_per_member": N_("每人限用次数"), "limit_period": N_("限用周期"), "starts_on": N_("开始日期"),
    "ends_on": N_("结束日期"), "is_active": N_("是否启用"), "category": N_("优待对象类别"), "expires_on": N_("有效期"),
    "station": N_("服务站"), "location": N_("位置"),
}
MONEY = {"discount", "bill"}  # fen in the log, yuan on the page
TABLES = {"inactive": N_("无核销的商户")}  # stats.export's `table`
FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}
LIVE_FORMS = {"card": N_("实体优待卡"), "phone": N_("手机动态码")}  # the form a member carries (Credential.live_form)
LOCATIONS = {"before", "after"}  # shop.location's positions, {"lat", "lng"} or None (not set)
# Details the page shows another way: the shop and member as a named link, an import's ids as a link to its list.
LINKED = {"shop_id", "member_id", "first_id", "last_id"}
HIDDEN = {"link_id"}  # which activation link: an internal number that tells a coordinator nothing
LABELLED = {"category": lists.category_label, "street": lists.street_label, "industry": lists.industry_label}


def action_label(code):
    return _(ACTIONS[code]) if code in ACTIONS else code


class Names:
    """The names and pages of what a page of entries is about, read in one query per kind of record."""

    def __init__(self, entries):
        ids = {"shop": set(), "member": set(), "credential": set(), "offer": set(), "user": set(), "shopphoto": set()}
        for e in entries:
            if e.target_type in ids and e.target_id:
                ids[e.target_type].add(e.target_id)
            detail = e.detail or {}
            if isinstance(detail.get("replaced_id"), int):
                ids["credential"].add(detail["replaced_id"])
            for key, kind in (("shop_id", "shop"), ("member_id", "member")):
                if isinstance(detail.get(key), int):
                    ids[kind].add(detail[key])
            for kind in ("member", "shop"):  # who did it: a member by name, shop staff with their shop
                if ident := getattr(e.actor, f"{kind}_id", None):
                    ids[kind].add(ident)
        self.credentials = self._rows(Credential, ids["credential"], Credential.member_id, Credential.card_no)
        self.offers = self._rows(Offer, ids["offer"], Offer.shop_id, Offer.title)
        self.users = self._rows(User, ids["user"], User.shop_id, User.username)
        self.photos = self._rows(ShopPhoto, ids["shopphoto"], ShopPhoto.shop_id, ShopPhoto.caption)
        ids["member"] |= {c.member_id for c in self.credentials.values()}
        ids["shop"] |= {r.shop_id for rows in (self.offers, self.users, self.photos) for r in rows.values() if r.shop_id}
        self.shops = {i: n for i, n in db.session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids["shop"])))}
        self.members = {i: n for i, n in db.session.execute(
            select(Member.id, Member.name).where(Member.id.in_(ids["member"])))}

    @staticmethod
    def _rows(model, ids, *columns):
        if not ids:
            return {}
        return {row.id: row for row in db.session.execute(select(model.id, *columns).where(model.id.in_(ids)))}

    def shop(self, shop_id):
        """(the shop's name, its page) — the number when the shop is gone."""
        name = self.shops.get(shop_id)
        if name is None:
            return _("商户 #%(id)d", id=shop_id), None
        return name, url_for("shops.review", shop_id=shop_id)

    def member(self, member_id):
        """(the member's name, their page); a member whose details were cleared is named by number."""
        name = self.members.get(member_id)
        if member_id not in self.members:
            return _("优待对象 #%(id)d", id=member_id), None
        return name or _("（个人信息已清除）"), url_for("verification.member_detail", member_id=member_id)

    def actor(self, entry):
        """(who did it, as a coordinator reads it: a member by name, shop staff by name and shop, a coordinator by
        name, each with the username the filter takes; their page or None)."""
        user = entry.actor
        if user is None:
            return _("系统"), None
        if user.role == "member" and user.member_id:
            name, link = self.member(user.member_id)
            return _("%(name)s（优待对象本人）", name=name), link
        who = (_("%(name)s（%(username)s）", name=user.display_name, username=user.username) if user.display_name
               else user.username)
        if user.shop_id:
            shop, link = self.shop(user.shop_id)
            return f"{who} · {shop}", link
        return who, None

    def target(self, entry):
        """(what the page calls the entry's record: kind and name, its page or None)."""
        kind, number = entry.target_type, entry.target_id
        if not kind or not number:
            return None, None
        label = targets().get(kind, kind)
        if kind == "shop":
            name, link = self.shop(number)
        elif kind == "member":
            name, link = self.member(number)
        elif kind == "credential" and number in self.credentials:
            credential = self.credentials[number]
            person, link = self.member(credential.member_id)
            name = _("%(name)s（尾号 %(last4)s）", name=person, last4=credential.card_no[-4:])
        elif kind == "offer" and number in self.offers:
            offer = self.offers[number]
            name, link = f"{offer.title} · {self.shop(offer.shop_id)[0]}", self.shop(offer.shop_id)[1]
        elif kind == "user" and number in self.users:
            user = self.users[number]
            name, link = user.username, self.shop(user.shop_id)[1] if user.shop_id else None
        elif kind == "shopphoto" and number in self.photos:
            photo = self.photos[number]
            name = self.shop(photo.shop_id)[0] + (f" · {photo.caption}" if photo.caption else "")
            link = url_for("reports.shop_photos", shop_id=photo.shop_id) if photo.shop_id in self.shops else None
        else:
            name, link = f"#{number}", None
        return f"{label}{_('：')}{name}", link


def detail_lines(entry, names=None):
    """[(label, text, link or None)] of an entry's details, in the page's words; empty values left out."""
    names = names or Names([entry])
    detail = entry.detail or {}
    lines = []
    for key, value in detail.items():
        if key in LOCATIONS and (value is None or isinstance(value, dict)):
            text = _("纬度 %(lat)s，经度 %(lng)s", lat=value.get("lat"), lng=value.get("lng")) if value else _("未设置")
            lines.append((_(DETAILS[key]), text, None))
            continue
        if value is None or value == "" or value == [] or key in LINKED or key in HIDDEN:
            continue
        if key in MONEY and isinstance(value, int):
            text = f"¥{value / 100:,.2f}"
        elif key in LABELLED and isinstance(value, str):
            text = LABELLED[key](value)
        elif key == "by" and value in GROUP_TITLES:
            text = _(GROUP_TITLES[value])
        elif key == "table" and value in TABLES:
            text = _(TABLES[value])
        elif key == "format" and value in FORMATS:
            text = FORMATS[value]
        elif key in ("live_form", "previous_form") and value in LIVE_FORMS:
            text = _(LIVE_FORMS[value])
        elif key == "replaced_id" and value in names.credentials:
            text = _("尾号 %(last4)s", last4=names.credentials[value].card_no[-4:])
        elif key == "member_ids" and isinstance(value, list):
            text = _("%(n)d 人", n=len(value))
        elif isinstance(value, list):
            words = [_(FIELDS[v]) if key == "fields" and v in FIELDS else str(v) for v in value]
            text = _("、").join(words)
        else:
            text = str(value)
        lines.append((_(DETAILS[key]) if key in DETAILS else key, text, None))
    # The shop or member the entry concerns, when it is not the record itself.
    if isinstance(detail.get("shop_id"), int) and not (entry.target_type == "shop"):
        lines.insert(0, (pgettext("one shop", "商户"), *names.shop(detail["shop_id"])))
    if isinstance(detail.get("member_id"), int) and entry.target_type not in ("member", "credential"):
        lines.insert(0, (pgettext("one member", "优待对象"), *names.member(detail["member_id"])))
    if isinstance(detail.get("first_id"), int) and isinstance(detail.get("last_id"), int):
        lines.append((_("导入的名单"), _("查看这 %(n)d 人", n=detail["last_id"] - detail["first_id"] + 1),
                      url_for("verification.members", imported=f"{detail['first_id']}-{detail['last_id']}")))
    return lines


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None, validate=validate.Length(max=48))
    actor = fields.String(load_default=None, validate=validate.Length(max=64))
    target_type = fields.String(load_default=None, validate=validate.Length(max=32))
    target_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ROW_ID))
    from_ = fields.Date(data_key="from", load_default=None, validate=DAY_IN_RANGE)
    to = fields.Date(load_default=None, validate=DAY_IN_RANGE)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


PER_PAGE = 100


@bp.get("/admin/audit")
@roles_required("coordinator")
def log():
    schema = AuditQuerySchema(unknown=EXCLUDE)  # ?lang= and the like are the app's, not filters
    try:
        args, errors = schema.load({k: v for k, v in request.args.items() if v}), {}
    except ValidationError as err:
        args, errors = schema.load({}), {name: localise(texts) for name, texts in err.messages.items()}
    items, total = ([], 0) if errors else audit.entries(
        action=args["action"], actor=args["actor"], target_type=args["target_type"], target_id=args["target_id"],
        since=day_start_utc(args["from_"]) if args["from_"] else None,
        until=day_start_utc(args["to"] + timedelta(days=1)) if args["to"] else None,
        limit=PER_PAGE, offset=(args["page"] - 1) * PER_PAGE)
    return render_template("audit/log.html", items=items, total=total, args=args, errors=errors,
                           actions=[(code, action_label(code)) for code in audit.actions()], targets=targets(),
                           action_label=action_label, detail_lines=detail_lines, names=Names(items),
                           pages=(total + PER_PAGE - 1) // PER_PAGE), 422 if errors else 200
