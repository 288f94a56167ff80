"""Report operations with side effects: audited exports, and the cached public totals."""
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
MIMETYPES = {"csv": "text/csv",  # Flask adds "; charset=utf-8" to a text type
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _filters_detail(filters):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in vars(filters).items() if v is not None}


def export_breakdown(actor, filters, by, fmt, now=None):
    """A breakdown as a CSV or XLSX file, audited: (filename, mimetype, bytes)."""
    now = now or utcnow()
    rows = stats.breakdown(filters, by)
    title = _("百业千店统计 · %(group)s", group=_(GROUP_TITLES[by]))
    data = _render(fmt, title, filters, exports.BREAKDOWN_COLUMNS, rows)
    audit.record(actor, "stats.export", None, now=now, format=fmt, by=by, rows=len(rows), **_filters_detail(filters))
    db.session.commit()
    return f"stats-{by}-{local_date(now).isoformat()}.{fmt}", MIMETYPES[fmt], data


def export_inactive(actor, filters, days, fmt, now=None):
    """Shops with no redemption in the last `days` days, with phones, as a file; audited."""
    now = now or utcnow()
    rows = [{"key": item["shop"].id, "label": item["shop"].name, "phone": item["shop"].phone,
             "street": lists.street_label(item["shop"].street), "industry": lists.industry_label(item["shop"].industry),
             "last_day": item["last_day"].isoformat() if item["last_day"] else ""}
            for item in stats.inactive_shops(days, filters, now)]
    title = _("近%(n)d天无核销的商户", n=days)
    data = _render(fmt, title, filters, ("key", "label", "phone", "street", "industry", "last_day"), rows)
    audit.record(actor, "stats.export", None, now=now, format=fmt, table="inactive", days=days, rows=len(rows),
                 **_filters_detail(filters))
    db.session.commit()
    return f"inactive-shops-{local_date(now).isoformat()}.{fmt}", MIMETYPES[fmt], data


def _render(fmt, title, filters, columns, rows):
    if fmt == "csv":
        return exports.to_csv(columns, rows)
    return exports.to_xlsx(title, _("统计期间与筛选：%(f)s", f=filters.describe()), columns, rows)


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
