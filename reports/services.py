"""Report operations: audited exports, the figures of a period as one workbook, and the cached public totals."""
import re
import threading
import time

from flask import current_app
from flask_babel import gettext as _

from baiye import audit, lists
from baiye.clock import local_date, utcnow
from baiye.extensions import db
from baiye.messages import N_
from verification.tokens import FORM_LABELS

from . import exports, stats

GROUP_TITLES = {"industry": N_("按行业"), "street": N_("按街道/乡镇"), "category": N_("按优待对象"), "shop": N_("按商户"),
                "day": N_("按日"), "week": N_("按周"), "month": N_("按月")}
# The heading of a breakdown's label column.
GROUP_HEADINGS = {"industry": N_("行业"), "street": N_("街道/乡镇"), "category": N_("优待对象"), "shop": N_("商户名称"),
                  "day": N_("日期"), "week": N_("周"), "month": N_("月份")}
# The breakdowns of the evidence pack's workbook, one sheet each, in this order.
WORKBOOK_GROUPS = ("street", "industry", "category", "shop", "day", "week", "month")
MIMETYPES = {"csv": "text/csv",  # Flask adds "; charset=utf-8" to a text type
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _filters_detail(filters):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(filters).items() if v is not None}


def file_name(prefix, filters, fmt, now, period=True):
    """`stats-week-2026-09-08-2026-12-06-chengguan-veteran.xlsx`: what, the period (an open end reads `start` or
    the export's day; a table of its own period says so in `prefix`) and the filters, so that files saved side by side tell themselves apart. ASCII only:
    the keys of the lists, and a shop by its number."""
    start = filters.start.isoformat() if filters.start else "start"
    end = (filters.end or local_date(now)).isoformat()
    parts = [prefix, *((start, end) if period else ()), filters.street, filters.industry, filters.category,
             f"shop{filters.shop_id}" if filters.shop_id else None]
    stem = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) + "." + fmt


def breakdown_table(by):
    """How a breakdown reads as a table for people: (title, columns, column headings)."""
    columns = exports.SHOP_COLUMNS if by == "shop" else exports.BREAKDOWN_COLUMNS
    names = exports.headers(_(GROUP_HEADINGS[by]))
    if by == "shop":
        names["key"] = _("商户编号")
    return _("百业千店统计 · %(group)s", group=_(GROUP_TITLES[by])), columns, names


def export_breakdown(actor, filters, by, fmt, now=None):
    """A breakdown as a CSV or XLSX file for people, audited: (filename, mimetype, bytes)."""
    now = now or utcnow()
    rows = stats.breakdown(filters, by)
    title, columns, names = breakdown_table(by)
    data = _render(fmt, title, filters, columns, rows, names)
    audit.record(actor, "stats.export", None, now=now, format=fmt, by=by, rows=len(rows), **_filters_detail(filters))
    db.session.commit()
    return file_name(f"stats-{by}", filters, fmt, now), MIMETYPES[fmt], data


def export_inactive(actor, filters, days, fmt, now=None):
    """Shops with no redemption in the last `days` days, with phones, as a file; audited."""
    now = now or utcnow()
    items = stats.inactive_shops(days, filters, now)
    rows = [{"key": item["shop"].id, "label": item["shop"].name, "phone": item["shop"].phone,
             "street": lists.street_label(item["shop"].street), "industry": lists.industry_label(item["shop"].industry),
             "approved_on": item["approved_on"].isoformat() if item["approved_on"] else "",
             "last_day": item["last_day"].isoformat() if item["last_day"] else _("从未核销")}
            for item in items if not item["new"]]
    title = _("近%(n)d天无核销的商户", n=days)
    names = exports.headers(_("商户名称")) | {"key": _("商户编号")}
    data = _render(fmt, title, filters, ("key", "label", "phone", "street", "industry", "approved_on", "last_day"),
                   rows, names, total_label=_("%(n)d家商户", n=len(rows)))
    audit.record(actor, "stats.export", None, now=now, format=fmt, table="inactive", days=days, rows=len(rows),
                 **_filters_detail(filters))
    db.session.commit()
    # The table's period is the `days` up to today, whatever the dashboard's period.
    return (file_name(f"inactive-shops-{days}d-to-{local_date(now).isoformat()}", filters, fmt, now, period=False),
            MIMETYPES[fmt], data)


def _render(fmt, title, filters, columns, rows, names, total_label=None):
    if fmt == "csv":
        return exports.to_csv(columns, rows, names)
    return exports.to_xlsx(title, _subtitle(filters), columns, rows, names, total_label=total_label)


def _subtitle(filters):
    return _("统计期间与筛选：%(f)s", f=filters.describe())


def figures_workbook(filters, now, figures=None):
    """Every figure of a period as one XLSX workbook for people (bytes): the headline figures, then a sheet per
    breakdown (street, industry, category, shop, day, week, month) and one by the form that identified the member.
    Amounts in yuan, headings in the request's language."""
    figures = figures or stats.Figures(filters)
    summary = stats.summary(filters, now=now, figures=figures)
    book = exports.new_workbook()
    exports.add_sheet(book, _("概况"), _("百业千店统计 · 概况"), _subtitle(filters), ("label", "count", "amount"),
                      _summary_rows(summary), exports.headers(_("项目")), totals=False)
    for by in WORKBOOK_GROUPS:
        title, columns, names = breakdown_table(by)
        exports.add_sheet(book, _(GROUP_TITLES[by]), title, _subtitle(filters), columns,
                          stats.breakdown(filters, by, figures), names)
    total = summary["redemptions"] or 1
    forms = [{"label": str(FORM_LABELS.get(form, _("未记录（早于记录出示方式）"))), "redemptions": count,
              "share": count / total} for form, count in summary["by_form"].items()]
    exports.add_sheet(book, _("按出示方式"), _("百业千店统计 · 按出示方式"), _subtitle(filters),
                      ("label", "redemptions", "share"), forms, exports.headers(_("出示方式")) | {"share": _("占比")})
    return exports.workbook_bytes(book)


def _summary_rows(summary):
    """The headline figures as rows of a table: a count, or an amount (fen)."""
    shops = summary["shops"]
    counts = ((_("参与商户（已通过审核）"), shops["approved"]), (_("待审核商户"), shops["pending"]),
              (_("已暂停商户"), shops["suspended"]), (_("进行中的优惠"), summary["offers_active"]),
              (_("登记优待对象"), summary["members"]), (_("核销笔数"), summary["redemptions"]),
              (_("服务人数（去重）"), summary["beneficiaries"]))
    amounts = ((_("消费金额"), summary["bill"]), (_("让利金额"), summary["discount"]))
    return ([{"label": label, "count": n} for label, n in counts]
            + [{"label": label, "amount": fen} for label, fen in amounts])


_public_cache = {}
_public_lock = threading.Lock()


def public_totals(now=None):
    """The programme totals for the public page, cached for PUBLIC_STATS_TTL seconds per database."""
    ttl = current_app.config.get("PUBLIC_STATS_TTL", 60)
    key = str(db.engine.url)
    moment = time.monotonic()
    with _public_lock:
        hit = _public_cache.get(key)
        if hit and hit[0] > moment:
            return hit[1]
    totals = stats.public_totals()
    with _public_lock:
        _public_cache[key] = (moment + ttl, totals)
    return totals


def clear_public_cache():
    with _public_lock:
        _public_cache.clear()
