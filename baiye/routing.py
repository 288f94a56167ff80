"""URL converters, and the path a request was made to."""
from flask import request
from werkzeug.routing import IntegerConverter

from baiye.validators import row_id_from_digits


class DatabaseIdConverter(IntegerConverter):
    """`<int:id>` in every URL. An id past MAX_ROW_ID (the largest integer key every database holds)
    cannot name a row: it becomes 0, which no row has, so the route gives its ordinary 404 rather
    than PostgreSQL an out-of-range error (or routing a misleading 405)."""

    def to_python(self, value):
        return row_id_from_digits(value) or 0


def init_app(app):
    app.url_map.converters["int"] = DatabaseIdConverter


def site_path():
    """The path as the client asked for it, whichever app answers. An app mounted below the site's root (the
    till's, verification.till.app) sees only the rest of it in `request.path`."""
    return request.script_root + request.path
