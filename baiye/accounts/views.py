from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from baiye.extensions import db

from .forms import LoginForm
from .services import authenticate, sign_out
from .throttle import login_limits

bp = Blueprint("accounts", __name__)


def home_for(user):
    """Where each role starts."""
    return {
        "coordinator": url_for("shops.queue"),
        "owner": url_for("shops.mine"),
        "cashier": url_for("shops.mine"),
    }.get(user.role, url_for("core.index"))


def safe_next(target):
    """Only same-site paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user, remember=False):
    """A fresh session on sign-in, so a planted session id is worthless."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("用户名或密码不正确。"))
        else:
            db.session.commit()
            start_session(user, remember=True)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    elif current_user.is_authenticated and request.method == "GET" and not request.args.get("next"):
        return redirect(home_for(current_user))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/logout")
@login_required
def logout():
    sign_out(current_user)  # every session of the user ends, copies of this browser's cookies included
    session.clear()
    logout_user()  # after the clear: it marks the remember-me cookie for deletion
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("core.index"))
