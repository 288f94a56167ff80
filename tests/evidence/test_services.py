"""Asking for a pack, building it, serving it and forgetting it (services, no HTTP)."""
import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from baiye.audit import AuditEntry
from baiye.errors import DomainError
from baiye.extensions import db
from evidence import pack, services
from evidence.models import EvidencePack
from ledger import services as ledger_services

from .conftest import FIRST, LAST

ORIGIN = "https://yj.example.cn"


def ask(actor, now, first=FIRST, last=LAST, **kw):
    return services.request_pack(actor, first, last, now, ORIGIN, **kw)


@pytest.mark.parametrize("first, last, field, words", [
    (date(2026, 11, 30), date(2026, 1, 1), "from", "开始日期不能晚于结束日期"),
    (date(2023, 11, 30), date(2026, 11, 30), "to", "最长 1096 天"),
    (date(2026, 1, 1), date(2026, 12, 7), "to", "不能晚于今天"),
])
def test_a_period_the_pack_cannot_cover_is_refused(make, now, first, last, field, words):
    with pytest.raises(DomainError) as refused:
        ask(make.coordinator(), now, first, last)
    assert refused.value.status == 422 and words in str(refused.value.fields[field])
    assert db.session.scalar(select(EvidencePack.id)) is None


def test_three_years_to_today_is_the_longest_period(make, now):
    job, new = ask(make.coordinator(), now, date(2023, 12, 7), date(2026, 12, 6))
    assert new and job.status == "queued"


def test_the_same_period_asked_again_is_the_same_pack_until_it_expires(make, network, now):
    coordinator = make.coordinator()
    job, new = ask(coordinator, now)
    assert new and (job.status, job.progress, job.requested_by_id) == ("queued", 0, coordinator.id)
    assert ask(make.coordinator(), now) == (job, False)  # whoever asks
    services.build_pack(job.id, now)
    assert ask(coordinator, now + timedelta(hours=23)) == (job, False)
    first = job.id
    again, new = ask(coordinator, now + timedelta(hours=24, seconds=1))
    assert new and again.id > first  # a number never given twice: an old progress page polls its own
    assert db.session.get(EvidencePack, first) is None  # forgotten once expired


def test_fresh_builds_anew(make, network, now):
    job, _ = ask(make.coordinator(), now)
    services.build_pack(job.id, now)
    again, new = ask(make.coordinator(), now, fresh=True)
    assert new and again.id != job.id


def test_a_build_that_stopped_moving_is_failed_and_built_anew(make, now):
    job, _ = ask(make.coordinator(), now)
    later = now + services.STALE_AFTER + timedelta(seconds=1)
    again, new = ask(make.coordinator(), later)
    assert new and again.id != job.id
    assert (job.status, job.error) == ("failed", "interrupted")
    assert services.error_message(job) == "生成中断（服务器重启或超时），请重新生成。"


def test_a_build_stores_the_zip_and_is_audited(make, network, now):
    coordinator = make.coordinator()
    job, _ = ask(coordinator, now)
    built = services.build_pack(job.id, now)
    assert built is job and (job.status, job.progress, job.step) == ("done", 100, None)
    assert zipfile.ZipFile(io.BytesIO(job.data)).testzip() is None and job.size == len(job.data)
    assert job.expires_at == job.finished_at + timedelta(hours=24)
    assert job.checkpoint_root == ledger_services.b64(ledger_services.latest_checkpoint().root)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.build")).one()
    assert entry.actor_id == coordinator.id
    assert entry.detail["start"] == "2026-01-01" and entry.detail["end"] == "2026-11-30"
    assert entry.detail["size"] == job.size and entry.detail["photos"] == 0


def test_a_pack_is_built_once_whoever_else_tries(make, network, now):
    job, _ = ask(make.coordinator(), now)
    services.build_pack(job.id, now)
    assert services.build_pack(job.id, now) is None  # claimed already: no second build


def test_progress_is_written_at_each_step(make, network, now, monkeypatch):
    seen = []
    real_build = pack.build

    def watching(*args, progress, **kw):
        def step(name):
            progress(name)
            row = db.session.execute(select(EvidencePack.status, EvidencePack.step, EvidencePack.progress)
                                     .execution_options(populate_existing=True)).one()
            seen.append(tuple(row))
        return real_build(*args, progress=step, **kw)

    monkeypatch.setattr(pack, "build", watching)
    job, _ = ask(make.coordinator(), now)
    services.build_pack(job.id, now)
    assert seen == [("building", step, percent) for step, percent in pack.STEPS.items()]


def test_a_failed_build_says_so_and_a_new_one_starts(make, network, now, monkeypatch, caplog):
    def broken(*args, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pack, "build", broken)
    job, _ = ask(make.coordinator(), now)
    assert services.build_pack(job.id, now) is None
    db.session.refresh(job)
    assert (job.status, job.error) == ("failed", "failed: RuntimeError") and "disk full" in caplog.text
    assert services.error_message(job).startswith("生成失败（RuntimeError），详情已记入服务器日志")
    with pytest.raises(DomainError) as refused:
        services.download(job, make.coordinator(), now)
    assert refused.value.code == "pack_not_ready"
    again, new = ask(make.coordinator(), now)
    assert new and again.id != job.id


def test_a_download_is_audited(make, network, now):
    coordinator = make.coordinator()
    job, _ = ask(coordinator, now)
    services.build_pack(job.id, now)
    name, data = services.download(job, coordinator, now)
    assert name == "百业千店证据包-2026-01-01至2026-11-30.zip" and data == job.data
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.download")).one()
    assert entry.actor_id == coordinator.id and entry.detail["size"] == job.size


def test_the_command_writes_a_new_file_and_is_audited(app, network, now, tmp_path):
    out = tmp_path / "证据包.zip"
    result = app.test_cli_runner().invoke(args=["evidence-pack", "--from", "2026-01-01", "--to", "2026-11-30",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "ledger checkpoint size" in result.output
    assert "索引.txt" in zipfile.ZipFile(out).namelist()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evidence.build")).one()
    assert entry.actor_id is None and entry.detail["out"] == str(out)
    again = app.test_cli_runner().invoke(args=["evidence-pack", "--from", "2026-01-01", "--to", "2026-11-30",
                                               "--out", str(out)])
    assert again.exit_code != 0 and "已存在" in again.output


@pytest.mark.parametrize("first, last, words", [
    ("2026-13-01", "2026-11-30", "--from: 日期格式应为 YYYY-MM-DD。"),
    ("2026-11-30", "2026-01-01", "开始日期不能晚于结束日期"),
    ("2026-01-01", "2099-01-01", "不能晚于今天"),
])
def test_the_command_refuses_a_bad_period(app, now, tmp_path, first, last, words):
    out = tmp_path / "p.zip"
    result = app.test_cli_runner().invoke(args=["evidence-pack", "--from", first, "--to", last, "--out", str(out)])
    assert result.exit_code != 0 and words in result.output and not out.exists()
