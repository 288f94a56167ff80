"""Plumbing shared by every JSON route: body loading, role checks, the OpenAPI registry."""
import re
from functools import wraps

from flask import g, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields

from baiye.errors import DomainError, forbidden, wants_json
from baiye.extensions import login_manager

API_PREFIX = "/api/v1"


# No body a route takes nests deeper than a few levels (a shop's owner inside the shop).
MAX_JSON_DEPTH = 32
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \\ud800-\\udfff, in pairs or alone


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, loading only what a route can take. A body nested deeper than MAX_JSON_DEPTH (the parser
    itself overflows the stack at about 1,000), or holding a lone surrogate (`"\\udc00"`: half of a character,
    which no text holds and no database stores), is no JSON to us: ValueError, as for any malformed body, so
    `request.get_json` answers it for every route (baiye.api.json_body: 400 malformed_body)."""

    def loads(self, s, **kwargs):
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None
        text = s.decode("latin-1") if isinstance(s, (bytes, bytearray)) else s  # only ASCII is looked at
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH and nesting(data) > MAX_JSON_DEPTH:
            raise ValueError("JSON nested too deep")
        if SURROGATE_ESCAPE.search(text):
            self.dumps(data).encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
        return data


def nesting(data):
    """How deeply lists and objects nest in loaded JSON (without recursion); stops counting past MAX_JSON_DEPTH."""
    deepest, stack = 0, [(data, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_body():
    """The request's JSON object; {} when there is no body, 400 when it is not an object."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("malformed_body", _("请求体必须是 JSON 对象。"), 400)
    return data


def load(schema, data=None, partial=False):
    """Validate the body (or `data`) with a marshmallow schema into plain data."""
    return schema.load(json_body() if data is None else data, unknown=EXCLUDE, partial=partial)


def query_args(schema):
    """The query string validated by a schema; parameters it does not name (?lang=) are ignored."""
    return schema.load(request.args.to_dict(), unknown=EXCLUDE)


def caller():
    """Who is calling, to hand to services: in an app signed in by bearer token alone (the till's:
    baiye.sessions.sign_in_bearer) the user its hook found; elsewhere the signed-in user itself rather than
    Flask-Login's `current_user` proxy, which looks the user up in the request context at every read."""
    user = g.get("caller")
    return user if user is not None else current_user._get_current_object()


def admits(user, roles):
    """Whether a route marked roles_required(*roles) lets `user` in."""
    return user.is_authenticated and (not roles or user.role in roles)


def roles_required(*roles):
    """Allow signed-in users of these roles (any role when none are named). The roles are kept on the view
    (`view.roles`): the OpenAPI document names them, and checks that run before the view (a NUL in the request,
    baiye.security) leave a caller the route does not admit to this one."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = caller()
            if not admits(user, roles):
                if user.is_authenticated:
                    raise forbidden()
                if wants_json():
                    raise DomainError("not_signed_in", _("请先登录。"), 401)
                return login_manager.unauthorized()
            return view(*args, **kwargs)

        wrapped.roles = roles
        return wrapped

    return decorator


def doc(body=None, response=None, status=200, query=None, summary=None, auth=True, content_type=None, produces=None,
        response_description=None, also=None):
    """Record a route's schemas for the OpenAPI document. `content_type`: the body's, when not JSON (a multipart
    upload); `produces`: the media type of an answer that is a file, not JSON (or {extension: media type} for a
    route that serves several, export.<csv|xlsx>); `also`: other successful answers, {status: (JSON schema,
    description, {header: description})} (a 202 while a file is being made; headers hold integers, as Retry-After)."""

    def decorator(view):
        view.apidoc = {"body": body, "response": response, "status": status, "query": query, "summary": summary,
                       "auth": auth, "content_type": content_type, "produces": produces,
                       "response_description": response_description, "also": also or {}}
        return view

    return decorator


class Input(Schema):
    """A schema that loads a body or a query string: fields it does not name are ignored (API.md), which the
    OpenAPI document then says too (no `additionalProperties: false`)."""

    class Meta:
        unknown = EXCLUDE


def page_of(item_schema, name):
    """The schema of a list answer, {"items": [...], "total": n}, for the OpenAPI document."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema), required=True),
                             "total": fields.Integer(required=True)}, name=name)
