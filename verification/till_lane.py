"""The till's lane: `POST /api/v1/verify` and `POST /api/v1/redemptions` from a till's app (a bearer token,
no cookies), answered without Flask's per-request machinery.

A shop scans all day, and these two calls are the service's load. Flask's request context, routing and the
extensions' hooks (sign-in, CSRF, session, Flask-Limiter's bookkeeping) cost about a third of a scan, for
work these calls do not need (bench/README.md, "The till's lane"). The lane sits in front of the Flask app,
inside the security headers (create_app puts it there), and answers them with the same parts the views use
(verification.redemption_api): the bearer-token sign-in, the role check, the schemas, the rate limits, the
services, the JSON provider and the error bodies. The views stay the routes' definition and documentation.

The lane takes only a call it can answer exactly as Flask would: one of the two paths, POST, `Authorization:
Bearer`, a JSON `Content-Type` and a `Content-Length` within MAX_CONTENT_LENGTH, no query string, no cookies
(a browser's call has a session, a CSRF check and a language choice), an Accept-Language that does not prefer
English (messages stay in the default language), no rate limits that apply to every route (those are
Flask-Limiter's to count), a JSON object without NUL characters, the token of an owner or a cashier, and a
body the schema accepts. Anything else goes to Flask before anything has changed, so those refusals are
Flask's own; so does a call whose checks fail in an unexpected way (a body nested too deep to parse, a
database error while finding the token), which Flask then answers as it would. The lane answers the service's result, the service's refusals (DomainError,
as baiye.errors renders them), 429 when over a rate limit, and an unexpected error as a logged 500.
TILL_LANE = False sends every call to Flask.
"""
import io
import json

from flask import current_app
from marshmallow import EXCLUDE
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from baiye import environ_bearer_token, json_holds_nul, prefers_english
from baiye.accounts.services import user_for_token
from baiye.api import API_PREFIX
from baiye.errors import DomainError, domain_error_body, http_error_body, internal_error_body
from baiye.extensions import limiter

from .redemption_api import REDEEM, TILL_ROLES, VERIFY, redeem_answer, verify_answer, within_verify_limits

ROUTES = {f"{API_PREFIX}/verify": (VERIFY, verify_answer), f"{API_PREFIX}/redemptions": (REDEEM, redeem_answer)}


class TillLane:
    """WSGI middleware in front of `flask_wsgi_app` (the Flask app's own `wsgi_app`)."""

    def __init__(self, app, flask_wsgi_app):
        self.app = app
        self.flask_wsgi_app = flask_wsgi_app

    def __call__(self, environ, start_response):
        route = ROUTES.get(environ.get("PATH_INFO"))
        length = None
        if route is not None and self.app.config["TILL_LANE"] and not limiter.has_global_limits():
            length = self.body_length(environ)
        if length is None:
            return self.flask_wsgi_app(environ, start_response)
        body = read_body(environ["wsgi.input"], length)
        environ["wsgi.input"] = io.BytesIO(body)  # Flask reads it again if the call goes there
        response = self.answer(environ, route, body) if len(body) == length else None
        if response is None:
            return self.flask_wsgi_app(environ, start_response)
        return response(environ, start_response)

    def body_length(self, environ):
        """The body's length when the headers are those of a till's call as the lane answers it, else None."""
        length = environ.get("CONTENT_LENGTH", "")
        if not (length.isascii() and length.isdigit()):
            return None
        length, most = int(length), self.app.config["MAX_CONTENT_LENGTH"]
        takes = (environ.get("REQUEST_METHOD") == "POST"
                 and environ_bearer_token(environ) is not None
                 and not environ.get("QUERY_STRING") and not environ.get("HTTP_COOKIE")
                 and environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() == "application/json"
                 and 0 < length and (most is None or length <= most)
                 and not prefers_english(parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)))
        return length if takes else None

    def answer(self, environ, route, body):
        """The response to the call, or None to leave it to Flask (nothing has changed yet)."""
        schema, answer = route
        with self.app.app_context():
            try:
                user, data = accepted(environ, schema, body)
            except Exception:  # noqa: BLE001 - a body it cannot read, a database that fails: Flask's to answer
                return None
            if user is None:
                return None
            try:
                result, status = answered(user, data, answer, environ)
                response = current_app.json.response(result)
            except Exception:  # noqa: BLE001 - answered as Flask's handler answers it: a logged 500
                result, status = internal_error_body(environ["REQUEST_METHOD"], environ["PATH_INFO"])
                response = current_app.json.response(result)
        response.status_code = status
        return response


def accepted(environ, schema, body):
    """(the caller, the loaded body) when the lane answers the call, else (None, None). Changes nothing."""
    if json_holds_nul(body):
        return None, None
    data = json.loads(body)
    if not isinstance(data, dict):
        return None, None
    user = user_for_token(environ_bearer_token(environ))
    if user is None or user.role not in TILL_ROLES:
        return None, None
    return user, schema.load(data, unknown=EXCLUDE)


def answered(user, data, answer, environ):
    """(the JSON body, the status): the answer, 429 over a rate limit, or a refusal."""
    try:
        if not within_verify_limits(user, environ.get("REMOTE_ADDR")):
            return http_error_body(429)
        return answer(user, data)
    except DomainError as err:
        return domain_error_body(err)


def read_body(stream, length):
    """Up to `length` bytes of a request body (a WSGI server may return fewer than asked at each read)."""
    chunks, left = [], length
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
