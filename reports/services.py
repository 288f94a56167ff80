"""Report operations with side effects: audited exports, and the cached public totals."""
import re
import threading
import time

from flask import current_app
from flask_babel import gettext as _

from baiye import audit, lists
from baiye.clock import local_date, utcnow
from baiye.extensions import db
from baiye.messages import N_

from . import exports, stats

GROUP_TITLES = {"industry": N_("按行业"), "street": N_("按街道/乡镇"), "category": N_("按优待对象"), "shop": N_("按商户"),
                "day": N_("按日"), "week": N_("按周"), "month": N_("按月")}
# The heading of a breakdown's label column.
GROUP_HEADINGS = {"industry": N_("行业"), "street": N_("街道/乡镇"), "category": N_("优待对象"), "shop": N_("商户名称"),
                  "day": N_("日期"), "week": N_("周"), "month": N_("月份")}
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


def export_breakdown(actor, filters, by, fmt, now=None):
    """A breakdown as a CSV or XLSX file for people, audited: (filename, mimetype, bytes)."""
    now = now or utcnow()
    rows = stats.breakdown(filters, by)
    title = _("百业千店统计 · %(group)s", group=_(GROUP_TITLES[by]))
    columns = exports.SHOP_COLUMNS if by == "shop" else exports.BREAKDOWN_COLUMNS
    names = exports.headers(_(GROUP_HEADINGS[by]))
    if by == "shop":
        names["key"] = _("商户编号")
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
    return exports.to_xlsx(title, _("统计期间与筛选：%(f)s", f=filters.describe()), columns, rows, names,
                           total_label=total_label)


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
