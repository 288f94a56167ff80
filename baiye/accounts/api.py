from flask import Blueprint
from flask_babel import gettext as _

from baiye.api import API_PREFIX, doc, load
from baiye.errors import DomainError
from baiye.extensions import db

from .schemas import LoginSchema, TokenSchema
from .services import authenticate, issue_api_token
from .throttle import login_limits

bp = Blueprint("accounts_api", __name__, url_prefix=API_PREFIX)


@bp.post("/auth/login")
@login_limits
@doc(body=LoginSchema, response=TokenSchema, summary="Sign in and get a bearer token", auth=False)
def login():
    data = load(LoginSchema())
    user = authenticate(data["username"], data["password"])
    if user is None:
        raise DomainError("invalid_credentials", _("用户名或密码不正确。"), 401)
    token = issue_api_token(user)
    db.session.commit()
    return TokenSchema().dump({"token": token, "user": user})
