from datetime import timedelta

from sqlalchemy import func, select

from baiye.audit import AuditEntry
from baiye.clock import utcnow
from baiye.extensions import db
from verification.members.models import Member
from verification.till.models import Redemption
from verification.members.retention import PURGED_NAME, members_due, months_before, purge_members
from verification.members.services import revoke_credential


def redeem_directly(shop, offer, member, bill, day):
    credential = member.credentials[-1]
    db.session.add(Redemption(shop_id=shop.id, offer_id=offer.id, member_id=member.id, credential_id=credential.id,
                              category=member.category, bill=bill, discount=bill // 10, day=day,
                              created_at=utcnow()))
    db.session.commit()


def totals():
    return db.session.execute(select(func.count(), func.sum(Redemption.bill), func.sum(Redemption.discount),
                                     func.count(func.distinct(Redemption.member_id)))).one()


def test_months_before_clamps_to_month_end():
    from datetime import date

    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 24) == date(2024, 1, 15)


def test_purge_clears_personal_data_and_keeps_totals(app, make, today):
    shop = make.shop()
    offer = make.offer(shop)
    old = make.member(name="李老兵", expires_on=today - timedelta(days=800))
    recent = make.member(name="王近期", expires_on=today - timedelta(days=30))
    active = make.member(name="赵现役", category="active_duty")
    revoked_long_ago = make.member(name="钱作废")
    revoke_credential(revoked_long_ago.credentials[0], None, "资格变更", now=utcnow() - timedelta(days=900))
    for member in (old, recent, active, revoked_long_ago):
        redeem_directly(shop, offer, member, 10000, today - timedelta(days=3))
    before = totals()

    assert {m.name for m in members_due(24)} == {"李老兵", "钱作废"}
    assert purge_members(24, dry_run=True) == 2 and db.session.get(Member, old.id).name == "李老兵"
    assert purge_members(24) == 2

    cleared = db.session.get(Member, old.id)
    assert (cleared.name, cleared.phone, cleared.id_hash, cleared.id_last4) == (PURGED_NAME, None, None, None)
    assert cleared.purged_at is not None and cleared.category == "veteran"
    assert db.session.get(Member, recent.id).name == "王近期"
    assert db.session.get(Member, active.id).name == "赵现役"
    assert totals() == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "member.purge")) == 1
    assert purge_members(24) == 0  # nothing twice


def test_purged_member_can_enrol_again_and_old_code_fails(app, make, today):
    from verification.till.credentials import resolve_code
    from verification.tokens import card_token, code_url
    from baiye.errors import DomainError
    import pytest

    member = make.member(expires_on=today - timedelta(days=800), id_number=None)
    credential = member.credentials[0]
    with app.test_request_context():
        url = code_url(card_token(credential))
        purge_members(24)
        with pytest.raises(DomainError) as err:
            resolve_code(url, utcnow())
    assert err.value.extra["reason"] in ("revoked", "expired")


def test_retention_command(app, make, today):
    make.member(expires_on=today - timedelta(days=800))
    result = app.test_cli_runner().invoke(args=["retention", "--months", "24", "--dry-run"])
    assert result.exit_code == 0 and "would clear the personal data of 1 member" in result.output
    result = app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0 and "cleared the personal data of 1 member" in result.output


def test_old_refused_scans_are_deleted(app, make):
    from verification.till.models import ScanLog
    from verification.members.retention import purge_scan_log

    shop = make.shop()
    db.session.add_all([ScanLog(at=utcnow() - timedelta(days=800), action="verify", reason="unknown", shop_id=shop.id),
                        ScanLog(at=utcnow() - timedelta(days=10), action="verify", reason="stale", shop_id=shop.id)])
    db.session.commit()
    assert purge_scan_log(24) == 1
    assert [s.reason for s in db.session.scalars(select(ScanLog))] == ["stale"]
