"""The evidence pack for programs: ask for a period's pack, poll while it builds, take the ZIP."""
import io

from flask import Blueprint, jsonify, redirect, request, send_file, url_for

from baiye.api import API_PREFIX, caller, doc, query_args, roles_required
from baiye.clock import utcnow
from verification.tokens import public_origin

from . import services
from .schemas import PackQuerySchema, PackStatusSchema

bp = Blueprint("evidence_api", __name__, url_prefix=API_PREFIX)

RETRY_AFTER_SECONDS = 2
BUILDING = {202: (PackStatusSchema, "Building: poll the same URL again after Retry-After seconds",
                  {"Retry-After": "Seconds to wait before asking again"})}


@bp.get("/evidence-pack")
@roles_required("coordinator")
@doc(query=PackQuerySchema, produces="application/zip", also=BUILDING,
     summary="The evidence pack (ZIP) of a period: 202 with its progress while it builds, then 200 with the ZIP; "
             "a browser is sent to the progress page")
def pack():
    if prefers_html():
        return redirect(url_for("evidence.progress", **request.args), 303)
    args = query_args(PackQuerySchema())
    job, _new = services.request_pack(caller(), args["first_day"], args["last_day"], utcnow(), public_origin())
    return zip_file(job) if job.status == "done" else building(job)


@bp.get("/evidence-pack/<int:job_id>")
@roles_required("coordinator")
@doc(response=PackStatusSchema, summary="Where a pack's build is (the progress page polls it)")
def status(job_id):
    return PackStatusSchema().dump(services.get_pack(job_id))


@bp.get("/evidence-pack/<int:job_id>.zip")
@roles_required("coordinator")
@doc(produces="application/zip", summary="A built pack's ZIP (409 pack_not_ready before); audited")
def download(job_id):
    return zip_file(services.get_pack(job_id))


def prefers_html():
    """Whether the caller is a browser opening the URL (it would rather have a page than JSON or a ZIP)."""
    accepted = request.accept_mimetypes
    return accepted.best_match(["application/json", "application/zip", "text/html"]) == "text/html"


def building(job):
    response = jsonify(PackStatusSchema().dump(job))
    response.status_code = 202
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def zip_file(job):
    name, data = services.download(job, caller(), utcnow())
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
