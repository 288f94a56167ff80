"""Helpers for the redemption tests: members with credentials made straight from the models, and HTTP
calls to a live server."""
import itertools
import json
import re
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




def inline_qr_modules(svg):
    """The dark modules (x, y) of an inline QR (verification.qr.qr_svg_inline), its path drawn as a renderer draws
    it: each closed subpath of M/m/h/v/z commands fills the rectangle its corners bound."""
    path = re.search(r'<path d="([^"]*)"', svg).group(1)
    x = y = 0
    corners, dark = [], set()
    for command, args in re.findall(r"([MmhvHVz])([-\d ]*)", path):
        numbers = [int(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            x += numbers[0]
        elif command == "v":
            y += numbers[0]
        elif command == "H":
            x = numbers[0]
        elif command == "V":
            y = numbers[0]
        if command in "Mm":
            corners = [(x, y)]
        elif command == "z":
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            dark.update((i, j) for i in range(min(xs), max(xs)) for j in range(min(ys), max(ys)))
            x, y = corners[0]
        else:
            corners.append((x, y))
    return dark


def draw_inline_qr(svg, scale=8):
    """An inline QR as a picture (PIL, with its quiet zone), for zxing-cpp to read."""
    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="-2 -2 (\d+)', svg).group(1))
    picture = Image.new("L", (size * scale, size * scale), 255)
    pen = ImageDraw.Draw(picture)
    for x, y in inline_qr_modules(svg):
        pen.rectangle(((x + 2) * scale, (y + 2) * scale, (x + 3) * scale - 1, (y + 3) * scale - 1), fill=0)
    return picture
