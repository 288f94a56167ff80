"""Who is calling: the browser's signed cookie session (Flask-Login) or an API bearer token.

A call with `Authorization: Bearer <token>` is signed in by the token alone: its cookies are not read
(Request), so neither the cookie session nor a remember-me cookie can stand in for the token, and
Flask-Login's request loader finds the token's user the first time anything asks who is calling.
"""
from flask import Request as FlaskRequest
from flask import flash, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from werkzeug.utils import cached_property

from baiye.accounts.services import session_user, user_for_token
from baiye.extensions import login_manager


def bearer_token(req):
    """The token of an `Authorization: Bearer ...` header, else None. (Read from the WSGI environ, where
    `request.headers` would build and look up a header mapping, on every API call.)"""
    header = req.environ.get("HTTP_AUTHORIZATION", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


class Request(FlaskRequest):
    """Flask's request, whose cookies are not read when it carries a bearer token: a program's call is
    answered for its token, whatever a browser's cookie jar added."""

    @cached_property
    def cookies(self):
        if bearer_token(self) is not None:
            return self.parameter_storage_class()
        return super().cookies


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, minus the work it does for a request that has no session cookie or is
    signed in by a bearer token: no signer is built and no cookie parsed; the request starts with an empty
    session. At the end, an empty, unmodified session saves nothing, as in Flask's own code; it only skips
    Flask's `Vary: Cookie` for bearer-token calls, whose answers depend on the token: shared caches do not
    store answers to requests with an Authorization header (RFC 9111, 3.5)."""

    def open_session(self, app, request):
        if app.secret_key and (not request.environ.get("HTTP_COOKIE")
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified and (not session.accessed or bearer_token(request) is not None):
            return
        super().save_session(app, session, response)


def load_session_user(user_id):
    """Flask-Login's user loader. A session that was ended elsewhere (end_sessions) is cleared, remember-me
    cookie included, and a member is told why: their code was activated on another phone."""
    user, current = session_user(user_id)
    if current:
        return user
    if user is not None and has_request_context():
        session.pop("_user_id", None)
        session["_remember"] = "clear"  # Flask-Login deletes the cookie, and does not try it in this request
        if user.role == "member":
            flash(_("本机已退出：您的优待码已在另一部手机上启用。如需在本机使用，请到服务站领取新的激活链接。"), "info")
    return None


ANONYMOUS = AnonymousUserMixin()


def sign_in_bearer():
    """A call with a bearer token is signed in by it, first thing: the token's user (or anonymous, for a token
    that is unknown or expired) is kept in `g.caller`, which baiye.api.caller hands to services and Flask-Login's
    request loader gives as `current_user`. The till's calls never go through Flask-Login's user loading (a
    session check, a hash of the client's address and browser, two signals: a tenth of a scan)."""
    token = bearer_token(request)
    if token is not None:
        g.caller = user_for_token(token) or ANONYMOUS


def load_bearer_user(request):
    """Flask-Login's request loader: the user sign_in_bearer found for the call's bearer token (None: anonymous)."""
    user = g.get("caller")
    return user if user is not None and user.is_authenticated else None


def init_app(app):
    """Sessions and sign-in for `app`: the request class, the cookie session, Flask-Login's loaders."""
    app.request_class = Request
    app.session_interface = CookieSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_bearer_user)
    app.before_request(sign_in_bearer)
