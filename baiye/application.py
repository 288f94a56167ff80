"""The Flask class the service's apps are made of."""
from inspect import CO_COROUTINE

from flask import Flask

from baiye import database, languages, routing, security, sessions
from baiye.api import JSONProvider
from baiye.errors import register_errorhandlers
from baiye.extensions import babel, csrf, db, limiter


class App(Flask):
    """Flask, with a shortcut in `ensure_sync`, which Flask calls for every hook and view of every request, and
    JSON loading that refuses bodies no route can take (baiye.api.JSONProvider)."""

    json_provider_class = JSONProvider

    def ensure_sync(self, func):
        """A plain function or method is returned as it is, as Flask's own does, without going through
        `inspect.iscoroutinefunction` (which unwraps methods and partials first); anything else (an async
        function, a partial) goes to Flask's."""
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def site_apps(app):
    """The app and the apps mounted in front of it (verification.till.app.mount): every route the site answers."""
    return [app, *app.extensions.get("mounted_apps", ())]


def register_core(app, rate_limit_hooks=True):
    """What every app of the service has, registered the same way: JSON that keeps Chinese readable, the URL
    converter, the database, CSRF, translations, sign-in, Flask-Limiter's per-request hooks (unless the app
    counts its own limits: `rate_limit_hooks=False`), the request checks and security headers, error bodies."""
    app.json.ensure_ascii = False
    routing.init_app(app)
    database.init_app(app)
    db.init_app(app)
    # CSRF is checked by baiye.security.check_csrf, which exempts bearer-token calls; Flask-WTF's own
    # blanket check would refuse those, so it is turned off.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=languages.select_locale)
    sessions.init_app(app)  # before Flask-Limiter's hook, which may ask who is calling
    if rate_limit_hooks:
        limiter.init_app(app)
    security.init_app(app)
    register_errorhandlers(app)
