"""The audit log page for coordinators: every entry in plain words, with filters."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import pgettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from baiye import audit, lists
from baiye.api import roles_required
from baiye.clock import day_start_utc
from baiye.messages import N_, localise
from baiye.validators import DAY_IN_RANGE, MAX_ROW_ID
from reports.services import GROUP_TITLES

bp = Blueprint("audit", __name__)

# What each recorded action is called on the page (the code stays in the log and the filter's URL).
ACTIONS = {
    "shop.register": N_("商户注册"), "shop.update": N_("修改店铺资料"), "shop.resubmit": N_("修改后重新提交审核"),
    "shop.approve": N_("审核通过商户"), "shop.reject": N_("驳回商户"),
    "shop.suspend": N_("暂停商户"), "offer.create": N_("新增优惠"), "offer.update": N_("修改优惠"),
    "offer.deactivate": N_("停用优惠"), "offer.activate": N_("重新启用优惠"), "staff.add": N_("添加收银员"),
    "staff.disable": N_("停用收银员"), "staff.enable": N_("恢复收银员"), "staff.password": N_("重设收银员密码"),
    "photo.add": N_("上传商户照片"), "photo.remove": N_("删除商户照片"), "member.enrol": N_("登记新优待对象"),
    "member.import": N_("批量导入优待对象"), "member.update": N_("修改优待对象"),
    "member.purge": N_("清除到期个人信息"), "credential.issue": N_("发放优待证"),
    "credential.reissue": N_("补发优待证"), "credential.revoke": N_("作废优待证"),
    "activation.create": N_("生成激活码"), "activation.use": N_("在手机上启用优待码"),
    "redemption.void": N_("撤销核销"), "redemption.export": N_("导出本店核销记录"), "stats.export": N_("导出统计"),
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
    "industry": N_("行业"), "shop": N_("商户"),
}
# The fields an update lists ("fields"), by the model's column names.
FIELDS = {
    "name": N_("名称"), "industry": N_("行业"), "street": N_("街道/乡镇"), "address": N_("地址"), "phone": N_("电话"),
    "licence_no": N_("营业执照号"), "hours": N_("营业时间"), "description": N_("说明"), "title": N_("优惠名称"),
    "kind": N_("优惠方式"), "value": N_("优惠额度"), "min_spend": N_("最低消费"), "categories": N_("适用对象"),
    "limit_per_member": N_("每人限用次数"), "limit_period": N_("限用周期"), "starts_on": N_("开始日期"),
    "ends_on": N_("结束日期"), "is_active": N_("是否启用"), "category": N_("优待对象类别"), "expires_on": N_("有效期"),
    "station": N_("服务站"),
}
MONEY = {"discount", "bill"}  # fen in the log, yuan on the page
LABELLED = {"category": lists.category_label, "street": lists.street_label, "industry": lists.industry_label}


def action_label(code):
    return _(ACTIONS[code]) if code in ACTIONS else code


def detail_lines(entry):
    """[(label, text)] of an entry's details, in the page's words; empty values left out."""
    lines = []
    for key, value in (entry.detail or {}).items():
        if value is None or value == "" or value == []:
            continue
        if key in MONEY and isinstance(value, int):
            text = f"¥{value / 100:,.2f}"
        elif key in LABELLED and isinstance(value, str):
            text = LABELLED[key](value)
        elif key == "by" and value in GROUP_TITLES:
            text = _(GROUP_TITLES[value])
        elif isinstance(value, list):
            names = [_(FIELDS[v]) if key == "fields" and v in FIELDS else str(v) for v in value]
            text = _("、").join(names)
        else:
            text = str(value)
        lines.append((_(DETAILS[key]) if key in DETAILS else key, text))
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
                           action_label=action_label, detail_lines=detail_lines,
                           pages=(total + PER_PAGE - 1) // PER_PAGE), 422 if errors else 200
