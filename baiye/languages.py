"""Which language a request is answered in: Chinese by default, English when asked for."""
from flask import current_app, has_request_context, request


def select_locale():
    """?lang= or the remembered choice, then the browser's preference, else Chinese."""
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choice = request.args.get("lang") or request.cookies.get("lang")
    if choice in current_app.config["LANGUAGES"]:
        return choice
    if prefers_english(request.accept_languages):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def prefers_english(accept_languages):
    """Whether a browser's Accept-Language (werkzeug's LanguageAccept) puts English before Chinese."""
    return accept_languages.best_match(["zh_CN", "zh", "en"]) == "en"


def remember_language(response):
    """A language chosen with ?lang= is kept in a cookie for the pages that follow."""
    lang = request.args.get("lang") if request.query_string else None
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response
