"""One domain error type, and the one place that turns errors into HTTP."""
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from baiye.extensions import db
from baiye.messages import localise
from baiye.routing import site_path

# The status each stable code answers with (API.md). Codes not listed are 409.
STATUS = {
    "malformed_body": 400,
    "not_signed_in": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "void_window_passed": 403,
    "not_found": 404,
    "too_large": 413,
    "validation_error": 422,
    "invalid_rows": 422,
    "rate_limited": 429,
}


class DomainError(Exception):
    """A refusal with a stable code, raised by services and mapped to HTTP in one place."""

    def __init__(self, code, message=None, status=None, fields=None, **extra):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.status = status or STATUS.get(code, 409)
        self.fields = fields
        self.extra = extra


def not_found(message=None):
    return DomainError("not_found", message or _("找不到该记录。"), 404)


def get_or_not_found(model, ident, message=None):
    """The `model` row with primary key `ident`, else DomainError not_found with `message`."""
    row = db.session.get(model, ident)
    if row is None:
        raise not_found(message)
    return row


def forbidden(message=None):
    return DomainError("forbidden", message or _("您没有权限执行此操作。"), 403)


def invalid(fields, message=None):
    return DomainError("validation_error", message or _("提交的内容有误，请检查标出的字段。"), 422, fields=fields)


def wants_json():
    path = site_path()
    return path.startswith("/api/") or path == "/healthz"


def error_body(code, message, fields=None, **extra):
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def domain_error_body(err):
    """A refusal's JSON body and status; the session's work is rolled back, as a refusal changes nothing."""
    db.session.rollback()
    return error_body(err.code, str(err.message), localise(err.fields) if err.fields else None, **err.extra), err.status


def internal_error_body(method, path):
    """The JSON body and status of an unexpected error, logged with the request's method and path."""
    current_app.logger.exception("Unhandled error on %s %s", method, path)
    db.session.rollback()
    return error_body("internal_error", _("服务器出现问题，请稍后再试。我们已记录此错误。")), 500


def http_error_body(status):
    """The JSON body and status of an HTTP error answered without raising it (HTTP_MESSAGES)."""
    code, message = HTTP_MESSAGES[status]
    return error_body(code, message()), status


def _html(status, message, headers=None):
    return render_template("errors/error.html", status=status, message=message), status, headers or []


def error_headers(err):
    """The headers an HTTP error carries beside its body (Allow on a 405, Retry-After on a 429, ...)."""
    return [(name, value) for name, value in err.get_headers() if name.lower() != "content-type"]


HTTP_MESSAGES = {
    400: ("malformed_body", lambda: _("请求格式不正确。")),
    401: ("not_signed_in", lambda: _("请先登录。")),
    403: ("forbidden", lambda: _("您没有权限访问此页面。")),
    404: ("not_found", lambda: _("页面不存在或已被删除。")),
    405: ("method_not_allowed", lambda: _("不支持该请求方法。")),
    413: ("too_large", lambda: _("上传的内容太大。")),
    429: ("rate_limited", lambda: _("操作太频繁，请稍后再试。")),
}


def register_errorhandlers(app):
    @app.errorhandler(DomainError)
    def domain_error(err):
        body, status = domain_error_body(err)  # rolls back: a refusal changes nothing
        if wants_json():
            return jsonify(body), status
        return _html(status, err.message)

    @app.errorhandler(ValidationError)
    def validation_error(err):
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        return domain_error(invalid(localise(fields)))

    @app.errorhandler(HTTPException)
    def http_error(err):
        code, message = HTTP_MESSAGES.get(err.code, ("http_error", lambda: err.description))
        if err.code == 429 and getattr(getattr(err, "limit", None), "error_message", None):
            message = (lambda: err.description)  # the limit's own words, as the per-account sign-in limit's
        if err.code == 400 and "CSRF" in (err.description or ""):
            code, message = "csrf_failed", (lambda: _("页面已过期，请刷新后重试。"))
        if wants_json():
            return jsonify(error_body(code, message())), err.code, error_headers(err)
        return _html(err.code, message(), error_headers(err))

    @app.errorhandler(Exception)
    def unexpected(err):
        body, status = internal_error_body(request.method, site_path())
        if wants_json():
            return jsonify(body), status
        return _html(status, body["error"]["message"])
