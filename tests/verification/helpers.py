"""Helpers for the redemption tests: members with credentials made straight from the models."""
import itertools
import secrets
from datetime import timedelta

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from baiye.clock import local_date, utcnow
from baiye.extensions import db
from verification.models import Credential, Member
from verification.tokens import luhn_digit

_seq = itertools.count(1)


def card(body):
    """A well-formed card number: eleven digits and their Luhn check digit."""
    return body + luhn_digit(body)


def make_member(name="张小明", category="veteran", expires_on=None, card_no=None, status="active", **kw):
    """A member with one credential (card number returned as .card_no on the credential)."""
    n = next(_seq)
    member = Member(name=name, category=category, phone="13900000000", id_last4=f"{n:04d}"[-4:],
                    expires_on=expires_on or local_date(utcnow()) + timedelta(days=365), **kw)
    credential = Credential(member=member, public_id=secrets.token_hex(8), card_no=card_no or card(f"880{n:08d}"),
                            status=status)
    db.session.add_all([member, credential])
    db.session.commit()
    return credential


class FreshUserClient(FlaskClient):
    """The tests keep one app context open; forget the previous call's user so each call signs in afresh."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshUserClient
    return app.test_client()


@pytest.fixture
def till(make):
    """An approved shop with a cashier, a member's card and a plain 9折 offer."""

    class Till:
        shop = make.shop()
        cashier = make.cashier(shop)
        owner = shop.owner
        offer = make.offer(shop)
        card = make_member()

    return Till
