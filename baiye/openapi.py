"""The OpenAPI 3 document, built from the routes' marshmallow schemas (apispec)."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, render_template
from marshmallow import INCLUDE, Schema, fields

from baiye.api import API_PREFIX
from baiye.application import site_apps

bp = Blueprint("openapi", __name__)

ERRORS = {
    "400": "Malformed body (`malformed_body`)",
    "401": "Not signed in (`not_signed_in`, `invalid_credentials`)",
    "403": "Role or ownership (`forbidden`, `void_window_passed`)",
    "404": "Unknown id (`not_found`)",
    "409": "State conflict (see API.md for codes)",
    "413": "Too large (`too_large`)",
    "422": "Validation (`validation_error`, `invalid_rows`); `fields` says which",
    "429": "Rate limited (`rate_limited`)",
}


class ErrorDetailSchema(Schema):
    class Meta:
        unknown = INCLUDE  # some refusals add detail of their own

    code = fields.String(required=True)
    message = fields.String(required=True)
    reason = fields.String(metadata={"description": "credential_invalid: revoked | expired | stale | unknown | invalid"})
    rows = fields.List(fields.Dict(), metadata={"description": "invalid_rows: [{row, fields}]"})
    fields = fields.Dict(metadata={"description": "validation: {field: [message]}"})  # last: shadows the module


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def name_resolver():
    """Schema names for the document: the class name, prefixed by its area where two areas share one."""
    taken = {}

    def resolve(schema):
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__.removesuffix("Schema") or cls.__name__
        if taken.setdefault(name, cls) is not cls:
            name = cls.__module__.split(".")[0].title() + name
            taken.setdefault(name, cls)
        return name

    return resolve


def build_spec(app):
    spec = APISpec(title="百业千店 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=name_resolver())],
                   info={"description": "JSON API of the 百业千店 merchant discount network. Amounts are integers "
                                        "in fen; dates are YYYY-MM-DD in the deployment's time zone."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    routes = [(rule, each.view_functions[rule.endpoint]) for each in site_apps(app) for rule in each.url_map.iter_rules()]
    for rule, view in sorted(routes, key=lambda route: route[0].rule):
        if not rule.rule.startswith(API_PREFIX) or rule.endpoint.startswith("openapi."):
            continue
        info = getattr(view, "apidoc", None) or {}
        for rule_text in concrete_rules(rule.rule):
            operations = {}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                operations[method.lower()] = operation(rule, view, info, method)
            spec.path(path=openapi_path(rule_text), operations=operations,
                      parameters=[{"name": name, "in": "path", "required": True,
                                   "schema": {"type": "integer" if conv == "int" else "string"}}
                                  for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule_text)])
    return spec.to_dict()


ANY = re.compile(r"<any\(([^)]*)\):[a-z_]+>")


def concrete_rules(rule_text):
    """A rule with an any(a, b) converter stands for one path per choice (export.csv, export.xlsx)."""
    match = ANY.search(rule_text)
    if not match:
        return [rule_text]
    return [path for choice in match[1].split(",")
            for path in concrete_rules(rule_text[:match.start()] + choice.strip() + rule_text[match.end():])]


def openapi_path(rule_text):
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule_text)


def operation(rule, view, info, method):
    status = str(info.get("status", 200))
    op = {"summary": info.get("summary") or (view.__doc__ or rule.endpoint).strip().splitlines()[0],
          "operationId": f"{rule.endpoint}.{method.lower()}",
          "tags": [rule.endpoint.split(".")[0].removesuffix("_api")]}
    if info.get("body") is not None:
        content_type = info.get("content_type", "application/json")
        op["requestBody"] = {"required": False, "content": {content_type: {"schema": info["body"]}}}
    if info.get("query") is not None:
        op["parameters"] = [{"in": "query", "schema": info["query"]}]
    success = {"description": "OK"}
    if status == "204":
        success = {"description": "No content"}
    elif info.get("response") is not None:
        success["content"] = {"application/json": {"schema": info["response"]}}
    elif info.get("produces"):
        success["content"] = {info["produces"]: {"schema": {"type": "string", "format": "binary"}}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses = {status: success}
    for code, text in ERRORS.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": "Error"}}}
    op["responses"] = responses
    roles = getattr(view, "roles", None)
    if roles is not None:  # set by roles_required
        op["security"] = [{"bearer": []}]
        op["description"] = "Roles: " + (", ".join(roles) if roles else "any signed-in user")
    return op


@bp.get(API_PREFIX + "/openapi.json")
def document():
    spec = current_app.extensions.get("openapi_spec")
    if spec is None:
        spec = current_app.extensions["openapi_spec"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/api/docs")
def docs_page():
    spec = current_app.extensions.get("openapi_spec") or build_spec(current_app)
    return render_template("api_docs.html", spec=spec)
