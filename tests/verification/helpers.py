"""Helpers for the redemption tests: members with credentials made straight from the models, and HTTP
calls to a live server."""
import itertools
import json
import threading
import urllib.error
import urllib.request
import secrets
from datetime import timedelta

from baiye.clock import local_date, utcnow
from baiye.extensions import db
from verification.members.models import Credential, Member
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


def post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def fire(url, token, bodies):
    """Send the bodies at the same moment from as many threads; the answers in order."""
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def one(i):
        barrier.wait()
        results[i] = post(url, token, bodies[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


