"""Jinja filters for money, percentages and local times, and the names every template can use."""
from flask_babel import get_locale
from flask_babel import gettext as _

from baiye import lists
from baiye.clock import local_date, to_local, utcnow


def yuan(fen):
    """Fen as a yuan string: 1234 -> '12.34'."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def zhe(percent_off):
    """Percent off as the Chinese 折 notation: 10 -> '9折', 15 -> '8.5折'; in other languages '15% off'."""
    if get_locale().language != "zh":
        return _("减%(p)d%%", p=int(percent_off))
    rest = 100 - int(percent_off)
    return f"{rest // 10}.{rest % 10}折" if rest % 10 else f"{rest // 10}折"


def local_time(moment, fmt="%Y-%m-%d %H:%M"):
    return to_local(moment).strftime(fmt) if moment else ""


def register_filters(app):
    app.jinja_env.filters.update(yuan=yuan, zhe=zhe, local_time=local_time)


def register_template_helpers(app):
    """Filters and the names every template can use."""
    register_filters(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(category_label=lists.category_label, industry_label=lists.industry_label,
                                 street_label=lists.street_label)

    @app.context_processor
    def inject():
        return {
            "lists": lists,
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "url_map_endpoints": app.view_functions,
            "today": lambda: local_date(utcnow()),
        }
