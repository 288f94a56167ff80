"""Sign-in limits, one set for the sign-in page and the API alike, counted in the rate-limit storage (Redis in
production, so every worker and node shares them).

- Per address (RATELIMIT_LOGIN): every attempt counts, through either door.
- Per account (RATELIMIT_LOGIN_ACCOUNT): only failed attempts count, from any address. The window is short, so
  a stranger who guesses at a shop's account holds its sign-in back for minutes at most after they stop, and a
  till that is already signed in (a session, a remember-me cookie, a bearer token) is not affected at all.
"""
import hashlib
import math

from flask import current_app, request
from flask_babel import gettext as _
from limits import parse

from baiye.extensions import limiter


def account_key():
    """The rate-limit key of the account an attempt names: a digest, so the storage holds no usernames; "" when
    the body names none (no per-account count then; the per-address one still applies)."""
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested too deep to be a sign-in; the view refuses it as malformed
            body = None
        username = body.get("username") if isinstance(body, dict) else None
    else:
        username = request.form.get("username")
    if not isinstance(username, str) or not username:
        return ""
    return "account:" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def failed(response):
    """Whether a sign-in attempt failed (wrong credentials, or a form or body that was refused)."""
    return response.status_code in (401, 422)


def account_limit_message():
    minutes = math.ceil(parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"]).get_expiry() / 60)
    return _("该账号登录失败次数过多，请 %(n)d 分钟后再试。已登录的设备不受影响。", n=minutes)


def login_limits(view):
    """The sign-in limits, for a sign-in view (page or API): only POSTs count."""
    per_address = limiter.shared_limit(lambda: current_app.config["RATELIMIT_LOGIN"], scope="login",
                                       methods=["POST"])
    per_account = limiter.shared_limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"], scope="login-account",
                                       key_func=account_key, exempt_when=lambda: not account_key(),
                                       methods=["POST"], deduct_when=failed,
                                       error_message=account_limit_message)
    return per_account(per_address(view))
