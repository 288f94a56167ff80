"""Evidence pack operations: asking for a pack, building it (in the background), serving it, forgetting it.

A pack asked for again while one of the same period is building or built (and not expired) is that one; a pack
whose build stopped moving (its worker died) or failed is built anew. Builds, downloads and packs written by the
operator command are audited.
"""
import tempfile
import threading
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from baiye import audit
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError, get_or_not_found, invalid
from baiye.extensions import db
from baiye.messages import N_
from ledger import services as ledger_services

from . import pack
from .models import EvidencePack

# Three years: as long as a day-by-day sheet of the figures may be (reports.stats.MAX_DAY_ROWS), and an inspection
# looks back no further.
MAX_DAYS = 1096
# A build moves on to its next step well within this; one that has not moved for longer died with its worker.
STALE_AFTER = timedelta(minutes=10)
SPOOL_BYTES = 32 * 1024 * 1024  # a pack larger than this is built in a temporary file, not in memory
STATUS_LABELS = {"queued": _l("排队中"), "building": _l("生成中"), "done": _l("已生成"), "failed": _l("生成失败")}
STEP_LABELS = {"ledger": _l("签署账本检查点"), "report": _l("生成考评报告"), "figures": _l("汇总统计表格"),
               "photos": _l("收集商户照片"), "index": _l("编写索引和验证说明")}
# Why a build failed, kept as a code (shown in the language of whoever looks): interrupted, or failed: <error>.
ERROR_LABELS = {"interrupted": N_("生成中断（服务器重启或超时），请重新生成。"),
                "failed": N_("生成失败（%(detail)s），详情已记入服务器日志，请重新生成或联系系统管理员。")}


def check_period(first_day, last_day, now):
    """Refuse (422) a period the pack cannot cover: reversed, longer than MAX_DAYS, or ending after today."""
    errors = {}
    if first_day > last_day:
        errors["from"] = [_("开始日期不能晚于结束日期。")]
    elif (last_day - first_day).days >= MAX_DAYS:
        errors["to"] = [_("证据包的期间最长 %(n)d 天（3年），请分段生成。", n=MAX_DAYS)]
    if last_day > local_date(now):
        errors["to"] = errors.get("to", []) + [_("结束日期不能晚于今天。")]
    if errors:
        raise invalid(errors)


def request_pack(actor, first_day, last_day, now, origin, fresh=False):
    """The pack of a period: the one building or built (unless `fresh`), else a new one, queued and its build
    started (start_build). (pack, new)."""
    check_period(first_day, last_day, now)
    forget_expired(now)
    job = None if fresh else current_pack(first_day, last_day, now)
    new = job is None
    if new:
        refuse_when_busy(now)
        job = EvidencePack(first_day=first_day, last_day=last_day, status="queued", progress=0, origin=origin,
                           requested_by_id=actor.id, requested_at=now, updated_at=now)
        db.session.add(job)
    db.session.commit()
    if new:
        start_build(job)
    return job, new


def refuse_when_busy(now):
    """429 while EVIDENCE_PACK_BUILDS packs are building (queued, or building and still moving), on any server."""
    limit = current_app.config["EVIDENCE_PACK_BUILDS"]
    building = db.session.scalar(select(func.count()).select_from(EvidencePack).where(
        EvidencePack.status.in_(("queued", "building")), EvidencePack.updated_at >= now - STALE_AFTER))
    if building >= limit:
        raise DomainError("pack_busy", _("正在生成另一个证据包（同时最多 %(n)d 个），请等它完成后再试。", n=limit), 429,
                          retry_after=30)


def current_pack(first_day, last_day, now):
    """The newest pack of the period that is building or built and not expired, or None. A build that stopped
    moving is marked failed on the way (the caller commits)."""
    job = db.session.scalars(
        select(EvidencePack).where(EvidencePack.first_day == first_day, EvidencePack.last_day == last_day,
                                   EvidencePack.status != "failed")
        .order_by(EvidencePack.id.desc()).limit(1)).first()
    if job is None or (job.expires_at is not None and job.expires_at <= now):
        return None
    if job.status in ("queued", "building") and job.updated_at < now - STALE_AFTER:
        job.status, job.error = "failed", "interrupted"
        job.finished_at, job.expires_at = now, now + time_to_live()
        return None
    return job


def error_message(job):
    """Why the pack's build failed, in the request's language (None when it did not)."""
    if not job.error:
        return None
    code, _sep, detail = job.error.partition(": ")
    return _(ERROR_LABELS[code], detail=detail) if code in ERROR_LABELS else job.error


def get_pack(job_id):
    return get_or_not_found(EvidencePack, job_id, _("找不到该证据包（可能已过期）。"))


def start_build(job):
    """Build a new pack in a thread of this worker, so the request that asked for it returns at once (the thread,
    or None where EVIDENCE_PACK_THREAD is off: the pack stays queued for `build_pack`)."""
    app = current_app._get_current_object()
    if not app.config["EVIDENCE_PACK_THREAD"]:
        return None
    thread = threading.Thread(target=_build_in_thread, args=(app, job.id), name=f"evidence-pack-{job.id}", daemon=True)
    thread.start()
    return thread


def _build_in_thread(app, job_id):
    with app.app_context():
        build_pack(job_id, utcnow())


def build_pack(job_id, now):
    """Build a queued pack: claimed first (one builder per pack, whichever server runs it), its progress written
    at each step, then the ZIP stored and the build audited. A build that fails is marked so, with the reason."""
    if not _set(job_id, only_if_status="queued", status="building", step="ledger", updated_at=utcnow()):
        return None
    job = db.session.get(EvidencePack, job_id)
    try:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as target:
            built = pack.build(job.first_day, job.last_day, now, job.origin, target,
                               progress=lambda step: _set(job_id, step=step, progress=pack.STEPS[step],
                                                          updated_at=utcnow()))
            target.seek(0)
            data = target.read()
    except Exception as err:  # the thread's last stop: whatever went wrong is the job's to say, and logged
        db.session.rollback()
        current_app.logger.exception("evidence pack %s failed", job_id)
        finished = utcnow()
        _set(job_id, status="failed", error=f"failed: {type(err).__name__}", finished_at=finished,
             expires_at=finished + time_to_live())
        return None
    finished = utcnow()
    job = db.session.get(EvidencePack, job_id, populate_existing=True)  # as the build's steps left it
    job.status, job.progress, job.step, job.data, job.size = "done", 100, None, data, len(data)
    job.finished_at, job.updated_at, job.expires_at = finished, finished, finished + time_to_live()
    job.checkpoint_size, job.checkpoint_root = built.checkpoint.size, ledger_services.b64(built.checkpoint.root)
    _audit_build(job.requested_by, job.first_day, job.last_day, now, built, size=len(data))
    db.session.commit()
    return job


def write_pack(first_day, last_day, now, origin, path, echo=lambda step: None):
    """The operator's command: the pack written to a new file at `path` (never over an existing one), audited."""
    check_period(first_day, last_day, now)
    try:
        with open(path, "xb") as target:
            built = pack.build(first_day, last_day, now, origin, target, progress=echo)
    except FileExistsError:
        raise DomainError("file_exists", _("%(path)s 已存在，请换一个文件名。", path=path), 409) from None
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)  # no half-written pack left behind
        raise
    _audit_build(None, first_day, last_day, now, built, size=path.stat().st_size, out=str(path))
    db.session.commit()
    return built


def _audit_build(actor, first_day, last_day, now, built, **detail):
    audit.record(actor, "evidence.build", None, now=now, start=first_day.isoformat(), end=last_day.isoformat(),
                 checkpoint_size=built.checkpoint.size, photos=built.photos,
                 report="HTML" if built.pdf_missing else "PDF", **detail)


def download(job, actor, now):
    """The built pack's (file name, ZIP bytes); audited. A pack not built yet is 409 `pack_not_ready`."""
    if job.status != "done" or (job.expires_at is not None and job.expires_at <= now):
        raise DomainError("pack_not_ready", _("证据包尚未生成完成。"), 409)
    audit.record(actor, "evidence.download", None, now=now, start=job.first_day.isoformat(),
                 end=job.last_day.isoformat(), size=job.size)
    db.session.commit()
    return file_name(job.first_day, job.last_day), job.data


def file_name(first_day, last_day):
    return f"百业千店证据包-{first_day.isoformat()}至{last_day.isoformat()}.zip"


def forget_expired(now):
    """Delete packs past their expiry, and builds that never finished (their worker died) a day on."""
    db.session.execute(delete(EvidencePack).where(or_(
        EvidencePack.expires_at <= now,
        EvidencePack.expires_at.is_(None) & (EvidencePack.updated_at < now - timedelta(days=1)))))


def time_to_live():
    ttl = current_app.config["EVIDENCE_PACK_TTL"]
    return ttl if isinstance(ttl, timedelta) else timedelta(seconds=int(ttl))  # FLASK_EVIDENCE_PACK_TTL: seconds


def _set(job_id, only_if_status=None, **values):
    """Change a pack's row on a connection of its own, committed at once (a poll sees it while the build's own
    session reads on): whether a row changed."""
    query = update(EvidencePack).where(EvidencePack.id == job_id)
    if only_if_status:
        query = query.where(EvidencePack.status == only_if_status)
    with db.engine.begin() as connection:
        return connection.execute(query.values(**values)).rowcount == 1
