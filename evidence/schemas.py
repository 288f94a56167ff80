from flask import url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from baiye.api import Input
from baiye.clock import iso_utc
from baiye.validators import Day

from .services import MAX_DAYS, STATUS_LABELS, STEP_LABELS, error_message

DAY_ERRORS = {"invalid": _l("日期格式应为 YYYY-MM-DD。")}


class PackQuerySchema(Input):
    """The period of an evidence pack: both days required, `from` not after `to`, at most MAX_DAYS days, ending
    today at the latest (the last three are checked by the service: evidence.services.check_period)."""

    first_day = Day(data_key="from", required=True, error_messages=DAY_ERRORS,
                    metadata={"description": "First day (inclusive)"})
    last_day = Day(data_key="to", required=True, error_messages=DAY_ERRORS, metadata={
        "description": f"Last day (inclusive): not before `from`, at most {MAX_DAYS} days after it counting both, "
                       "and not after today (the deployment's time zone)"})


def _time(name):
    return fields.Function(lambda job: iso_utc(getattr(job, name)), allow_none=True,
                           metadata={"type": "string", "format": "date-time"})


class PackStatusSchema(Schema):
    """Where a pack's build is: while it builds, the answer (202) to the period's URL and to its own."""

    id = fields.Integer()
    status = fields.String(metadata={"enum": ["queued", "building", "done", "failed"]})
    status_label = fields.Function(lambda job: str(STATUS_LABELS[job.status]))
    progress = fields.Integer(metadata={"description": "Percent done"})
    step = fields.String(allow_none=True, metadata={"description": "ledger | report | figures | photos | index"})
    step_label = fields.Function(lambda job: str(STEP_LABELS[job.step]) if job.step else None, allow_none=True,
                                 metadata={"type": "string"})
    error = fields.Function(error_message, allow_none=True, metadata={"type": "string",
                                                                       "description": "Why the build failed"})
    first_day = fields.Date(data_key="from")
    last_day = fields.Date(data_key="to")
    requested_at = _time("requested_at")
    finished_at = _time("finished_at")
    expires_at = _time("expires_at")
    size = fields.Integer(allow_none=True, metadata={"description": "The ZIP's size in bytes, once built"})
    checkpoint_size = fields.Integer(allow_none=True, metadata={"description": "The ledger checkpoint it is tied to"})
    checkpoint_root = fields.String(allow_none=True,
                                    metadata={"description": "That checkpoint's root, base64 (as in its note)"})
    status_url = fields.Function(lambda job: url_for("evidence_api.status", job_id=job.id),
                                 metadata={"type": "string"})
    download_url = fields.Function(lambda job: url_for("evidence_api.download", job_id=job.id),
                                   metadata={"type": "string", "description": "The ZIP, once `status` is done"})
