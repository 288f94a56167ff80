"""The Flask class the service's apps are made of."""
from inspect import CO_COROUTINE

from flask import Flask

from baiye.api import JSONProvider


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
