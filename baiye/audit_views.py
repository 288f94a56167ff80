"""The audit log page for coordinators."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from marshmallow import Schema, fields, validate

from baiye import audit
from baiye.api import roles_required
from baiye.clock import day_start_utc
from baiye.validators import DAY_IN_RANGE, MAX_ROW_ID

bp = Blueprint("audit", __name__)


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
    args = AuditQuerySchema().load({k: v for k, v in request.args.items() if v})
    items, total = audit.entries(
        action=args["action"], actor=args["actor"], target_type=args["target_type"], target_id=args["target_id"],
        since=day_start_utc(args["from_"]) if args["from_"] else None,
        until=day_start_utc(args["to"] + timedelta(days=1)) if args["to"] else None,
        limit=PER_PAGE, offset=(args["page"] - 1) * PER_PAGE)
    return render_template("audit/log.html", items=items, total=total, args=args, actions=audit.actions(),
                           pages=(total + PER_PAGE - 1) // PER_PAGE)
