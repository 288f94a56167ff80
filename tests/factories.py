"""Small factory helpers: make.shop(**overrides) and friends. Each commits."""
import itertools
from datetime import timedelta

from baiye.accounts.services import create_user
from baiye.clock import local_date, utcnow
from baiye.extensions import db
from baiye.validators import uscc_check_char
from shops.models import Offer, Shop

PASSWORD = "secret123"
_seq = itertools.count(1)


def licence_no(n=None):
    body = "91110000" + f"{n or next(_seq):09d}"
    return body + uscc_check_char(body)


class Factory:
    password = PASSWORD

    def user(self, role="coordinator", username=None, shop=None, password=PASSWORD, **kw):
        user = create_user(username or f"{role}{next(_seq)}", password, role, shop=shop, **kw)
        db.session.commit()
        return user

    def coordinator(self, **kw):
        return self.user("coordinator", **kw)

    def shop(self, status="approved", owner=True, **overrides):
        n = next(_seq)
        fields = dict(name=f"测试商户{n}", industry="catering", street="chengguan", address=f"城关街道{n}号",
                      phone="13800138000", licence_no=licence_no(n), hours="09:00-21:00", status=status)
        fields.update(overrides)
        shop = Shop(**fields)
        db.session.add(shop)
        db.session.commit()
        if owner:
            self.user("owner", shop=shop)
        return shop

    def owner(self, shop):
        return shop.owner

    def cashier(self, shop, **kw):
        return self.user("cashier", shop=shop, **kw)

    def offer(self, shop, **overrides):
        fields = dict(title="全单9折", kind="percent_off", value=10, categories="", limit_per_member=None,
                      limit_period="none", starts_on=local_date(utcnow()) - timedelta(days=1), ends_on=None)
        fields.update(overrides)
        offer = Offer(shop=shop, **fields)
        db.session.add(offer)
        db.session.commit()
        return offer

    def member(self, name="张三明", category="veteran", expires_on=None, id_number=None, phone="13900139000",
               actor=None):
        """An enrolled member with an active credential (through the real enrolment service)."""
        from verification.members.services import enrol_member

        member, _credential, _token = enrol_member(
            dict(name=name, category=category, id_number=id_number or id_number_for(next(_seq)), phone=phone,
                 expires_on=expires_on or local_date(utcnow()) + timedelta(days=365), station=None), actor)
        return member

    def credential(self, member=None, live_form=None, **kw):
        """The active credential of a (new) member; `live_form="phone"` for a member who carries their phone."""
        member = member or self.member(**kw)
        credential = next(c for c in member.credentials if c.status == "active")
        if live_form is not None:
            credential.live_form = live_form
            db.session.commit()
        return credential


def id_number_for(n):
    """A valid 18-character resident ID (GB 11643 check character) that differs for each n."""
    from verification.tokens import id_check_char

    body = f"110101198001{n % 10000:04d}" + f"{(n // 10000) % 10}"
    return body + id_check_char(body)

