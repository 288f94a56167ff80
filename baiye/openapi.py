"""The OpenAPI 3 document, built from the routes' marshmallow schemas (apispec)."""
import re

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, render_template
from marshmallow import INCLUDE, Schema, fields

from baiye.api import API_PREFIX
from baiye.application import site_apps
from baiye.validators import Text

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
        if getattr(schema, "partial", None) is True:  # a change (PATCH): every field optional
            name += "Change"
        if taken.setdefault(name, cls) is not cls:
            name = cls.__module__.split(".")[0].title() + name
            taken.setdefault(name, cls)
        return name

    return resolve


def field_extras(converter, field, ret, **kwargs):
    """An apispec attribute function: what apispec cannot read off a field by itself. A Text field's pattern
    (Text.text_pattern); bounds the deployment's config sets (metadata `from_config`, e.g.
    {"maximum": "BILL_CEILING_FEN"}); and a query filter that takes a blank value as "no filter" (Day(blank=True)
    or metadata `blank`), which is then its schema or "". Changes `ret` in place."""
    if isinstance(field, Text):
        ret["pattern"] = field.text_pattern()
        if field.required_in_document():  # null is as missing: refused
            ret.pop("nullable", None)
            ret.pop("default", None)
    for keyword, setting in field.metadata.get("from_config", {}).items():
        ret[keyword] = current_app.config[setting]
    for alternative in ret.get("anyOf", ()):
        if alternative == {"nullable": True, "type": "object"}:  # apispec's null for Nested(allow_none): any object
            alternative["enum"] = [None]  # ... so say null alone
    if getattr(field, "blank", False) or field.metadata.get("blank"):
        inner = {key: ret.pop(key) for key in list(ret) if key not in ("description", "default")}
        ret["anyOf"] = [inner, {"type": "string", "enum": [""]}]
    return {}


class SchemaExtras(BasePlugin):
    """What a schema says of itself as a whole, in `Meta.openapi` (e.g. "one of these two fields is required":
    {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}), merged into its component."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        extras = dict(getattr(getattr(schema, "Meta", None), "openapi", None) or {})
        if getattr(schema, "partial", None) is True:  # a change is checked on what it makes with the stored fields
            extras = {key: value for key, value in extras.items() if key == "description"}
        return extras


INFO = ("JSON API of the 百业千店 merchant discount network. Amounts are integers in fen; dates are YYYY-MM-DD in "
        "the deployment's time zone, within 2000-01-01..2099-12-31. Text is trimmed of spaces at both ends before "
        "its least length is counted. No text holds a NUL character (U+0000): a request with one, in its path, "
        "query or body, is refused with 400 `malformed_request` (once the caller's role is checked). Fields a "
        "body does not name are ignored; numbers are strict (\"5\" is not 5).")


def build_spec(app):
    marshmallow = MarshmallowPlugin(schema_name_resolver=name_resolver())
    spec = APISpec(title="百业千店 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[marshmallow, SchemaExtras()], info={"description": INFO})
    marshmallow.converter.add_attribute_function(field_extras)
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
                operations[method.lower()] = operation(rule, view, info, method, rule_text)
            spec.path(path=openapi_path(rule_text), operations=operations,
                      parameters=[{"name": name, "in": "path", "required": True,
                                   "schema": {"type": "integer" if conv == "int" else "string"}}
                                  for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule_text)])
    document = spec.to_dict()
    for path_item in document["paths"].values():
        for op in path_item.values():
            for parameter in op.get("parameters", []) if isinstance(op, dict) else []:
                if parameter.get("in") == "query":
                    never_null(parameter["schema"])
    return document


def never_null(schema):
    """A query parameter is text or absent, never null: drop what apispec says of a field that loads as None when
    left out (load_default=None)."""
    schema.pop("nullable", None)
    if None in schema.get("enum", ()):
        schema["enum"] = [choice for choice in schema["enum"] if choice is not None]
    schema.pop("default", None) if schema.get("default", 0) is None else None
    for alternative in schema.get("anyOf", ()):
        never_null(alternative)


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


def requires_something(schema):
    """Whether a body schema requires a field (of its own, or one of several: Meta.openapi's anyOf): then a missing
    body, validated as {}, is refused (API.md). A change (partial) requires none."""
    instance = schema() if isinstance(schema, type) else schema
    if instance.partial is True:
        return False
    extras = getattr(getattr(instance, "Meta", None), "openapi", None) or {}
    return (any(field.required for field in instance.fields.values()) or bool(extras.get("required"))
            or any("required" in alternative for alternative in extras.get("anyOf", ())))


def produced(produces, rule_text):
    """The media type an operation answers with: one, or one per file extension of the path (export.csv)."""
    if isinstance(produces, dict):
        return produces[rule_text.rsplit(".", 1)[-1]]
    return produces


def operation(rule, view, info, method, rule_text):
    status = str(info.get("status", 200))
    op = {"summary": info.get("summary") or (view.__doc__ or rule.endpoint).strip().splitlines()[0],
          "operationId": f"{rule.endpoint}.{method.lower()}",
          "tags": [rule.endpoint.split(".")[0].removesuffix("_api")]}
    if info.get("body") is not None:
        content_type = info.get("content_type") or "application/json"
        op["requestBody"] = {"required": requires_something(info["body"]),
                             "content": {content_type: {"schema": info["body"]}}}
    if info.get("query") is not None:
        op["parameters"] = [{"in": "query", "schema": info["query"]}]
    success = {"description": info.get("response_description") or "OK"}
    if status == "204":
        success = {"description": "No content"}
    elif info.get("response") is not None:
        success["content"] = {"application/json": {"schema": info["response"]}}
    elif info.get("produces"):
        success["content"] = {produced(info["produces"], rule_text): {"schema": {"type": "string", "format": "binary"}}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses = {status: success}
    for code, (schema, description, headers) in info.get("also", {}).items():
        responses[str(code)] = {"description": description, "content": {"application/json": {"schema": schema}},
                                "headers": {name: {"description": text, "schema": {"type": "integer"}}
                                            for name, text in headers.items()}}
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
