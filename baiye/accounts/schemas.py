from marshmallow import Schema, fields, validate

from baiye.api import Input


class LoginSchema(Input):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    shop_id = fields.Integer(allow_none=True)


class TokenSchema(Schema):
    token = fields.String()
    user = fields.Nested(UserSchema)
