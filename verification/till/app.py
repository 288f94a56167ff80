"""The till's own small Flask app: `POST /api/v1/verify` and everything under `/api/v1/redemptions`.

A shop scans all day, and these calls are the service's load. They are JSON calls, from a till's app with a
bearer token or from a browser signed in to the site, so this app carries what they need and no more: the
main app's settings, database, sign-in (bearer token, cookie session), CSRF check for cookie calls, body
checks, security headers, error bodies and translations, and the till's API blueprint, all registered as
the main app registers them. What it leaves out is what the pages need: templates and their helpers, the
language cookie, and Flask-Limiter's per-request hooks, which found nothing to count here yet cost a sixth
of a scan (bench/README.md); the till counts RATELIMIT_VERIFY itself (api.verify_limits). An operator who
sets limits for every route (RATELIMIT_APPLICATION, _DEFAULT or _META) gets Flask-Limiter's hooks here too,
counting with the main app.

create_app mounts it at MOUNTS with werkzeug's DispatcherMiddleware: one request pipeline, Flask's, for
every call; this app's hooks are the shared ones (baiye.security, baiye.sessions), registered the same way.
"""
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from baiye.application import App, register_core

from . import api

MOUNTS = ("/api/v1/verify", "/api/v1/redemptions")
LIMITS_FOR_EVERY_ROUTE = ("RATELIMIT_APPLICATION", "RATELIMIT_DEFAULT", "RATELIMIT_META")


class TillApp(App):
    """Mounted at the paths of its own routes (one app for both MOUNTS), it routes on the whole path: the
    mount DispatcherMiddleware moved into SCRIPT_NAME, and the rest. (`request.path` is only the rest, as in
    any mounted app: baiye.routing.site_path gives the whole.) The site is served at the root of its host."""

    def create_url_adapter(self, request):
        if request is None:
            return super().create_url_adapter(request)
        # Flask's own steps for an app without host or subdomain matching, on the whole path.
        if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
            request.trusted_hosts = trusted_hosts
        environ = request.environ
        return self.url_map.bind(request.host, script_name="/", url_scheme=request.scheme,
                                 default_method=request.method,
                                 path_info=environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                                 query_args=environ.get("QUERY_STRING", ""))


def create_till_app(config):
    """The till's app. It shares the main app's settings: `config` is that app's Config object itself, so a
    setting changed there later (a test's, say) holds here too."""
    till = TillApp(__name__, static_folder=None)
    till.config = config
    till.json.sort_keys = False  # the answers' keys in the schemas' order: sorting them is work no till needs
    register_core(till, rate_limit_hooks=any(config.get(name) for name in LIMITS_FOR_EVERY_ROUTE))
    till.register_blueprint(api.bp)
    return till


def mount(app):
    """Send the till's calls to its own app: `app` answers everything else."""
    till = create_till_app(app.config)
    app.extensions.setdefault("mounted_apps", []).append(till)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, dict.fromkeys(MOUNTS, till))
    return till
