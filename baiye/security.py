"""Checks and headers every request and response goes through, in Flask's own hooks (init_app)."""
from flask import current_app, request, session
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from baiye.api import admits, caller
from baiye.errors import DomainError
from baiye.extensions import csrf
from baiye.routing import site_path
from baiye.sessions import bearer_token

SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # same-origin: token URLs never leave the site, yet the HTTPS CSRF check can see our own Referer.
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
     "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
    ("Permissions-Policy", "camera=(self), geolocation=(self)"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def json_holds_nul(data):
    """Whether a JSON body (bytes) holds a NUL character, which no text a person types holds and PostgreSQL
    cannot store. (A raw NUL byte is not valid JSON; an escaped one is refused here.)"""
    return b"\\u0000" in data


def refuse_streamed_excess():
    """Werkzeug stops reading a body sent without a Content-Length (chunked) at MAX_CONTENT_LENGTH without a
    word, so an oversized one reached the views cut short. Read such a body here, before anything parses it:
    when it fills the limit and the server still has more, it is 413, as a sized one is up front."""
    req = request._get_current_object()
    most = req.max_content_length
    if (most is not None and req.content_length is None and req.environ.get("wsgi.input_terminated")
            and "chunked" in req.headers.get("Transfer-Encoding", "").lower()
            and len(req.get_data(cache=True)) >= most and req.environ["wsgi.input"].read(1)):
        raise RequestEntityTooLarge()


def refuse_nul_characters():
    """No text a person types holds a NUL, and PostgreSQL cannot store one: refuse it up front, before any view
    reads the request. Who may call the route comes first: a caller its roles_required does not admit is left to
    that check (401, 403, or the sign-in page), which reads nothing of the request."""
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "roles", None)
    if roles is not None and not admits(caller(), roles):
        return
    req = request._get_current_object()  # once, rather than through the proxy for each attribute
    values = [req.path, *(req.args.values() if req.query_string else ())]
    if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += req.form.values()  # a form's fields; uploaded files are the importers' to check
    if "\x00" in "".join(values) or (req.is_json and json_holds_nul(req.get_data(cache=True))):
        raise DomainError("malformed_request", _("请求中含有无效字符。"), 400)


def check_csrf():
    """Forms and cookie-signed-in API calls carry a CSRF token. Bearer-token calls are immune (browsers never
    attach the header, and such a call never opens the cookie session); anonymous API calls must be JSON,
    which a cross-site form cannot send."""
    if request.method in ("GET", "HEAD", "OPTIONS") or current_app.config.get("WTF_CSRF_ENABLED") is False:
        return
    if site_path().startswith("/api/") and (bearer_token(request) is not None or "_user_id" not in session):
        return
    csrf.protect()


def add_security_headers(response):
    """SECURITY_HEADERS (and HSTS on an https site) on every response that has not set its own. (One pass over
    the response's headers and one `extend`: five `setdefault`s, each a scan and a validated add, cost a
    tenth of a scan.)"""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    wanted = SECURITY_HEADERS
    if request.scheme == "https" or str(current_app.config.get("BASE_URL") or "").startswith("https://"):
        wanted = SECURITY_HEADERS + (HSTS,)
    headers.extend([header for header in wanted if header[0].lower() not in present])
    return response


def init_app(app):
    app.before_request(refuse_streamed_excess)
    app.before_request(refuse_nul_characters)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
