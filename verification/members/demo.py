"""Demo members across the categories, each with a credential, and one phone ready to activate."""
from datetime import timedelta
from pathlib import Path

from flask import current_app

from baiye import lists
from baiye.accounts.models import User
from baiye.clock import local_date
from baiye.extensions import db

from .. import tokens
from . import services
from .models import ActivationLink, Member

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国军华强明伟芳秀英桂兰志刚海涛红梅玉珍德胜卫东新民永福春生国庆振华保家爱军立功"
WEIGHTS = {"veteran": 55, "family": 25, "active_duty": 15, "martyr_family": 5}
DEMO_MEMBER = "王建国"
STATIONS = ["城关街道退役军人服务站", "东城街道退役军人服务站", "青山镇退役军人服务站"]


def link_file():
    return Path(current_app.instance_path) / "demo-member-link.txt"


def id_number(rng):
    body = f"{rng.choice(['110101', '320102', '420106', '510104'])}{rng.randrange(1940, 2004)}" \
           f"{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(0, 1000):03d}"
    return body + tokens.id_check_char(body)


def build(rng, now, password, echo, **options):
    """About 300 members with active credentials (a few revoked or expired), and an activation link."""
    coordinator = db.session.scalar(db.select(User).where(User.role == "coordinator").order_by(User.id))
    today = local_date(now)
    categories = [key for key in lists.keys("CATEGORIES") if key in WEIGHTS] or lists.keys("CATEGORIES")[:1]
    rows, seen = [], set()
    while len(rows) < 300:
        number = id_number(rng)
        if number in seen:
            continue
        seen.add(number)
        name = DEMO_MEMBER if not rows else rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        category = "veteran" if not rows else rng.choices(categories, [WEIGHTS[c] for c in categories])[0]
        rows.append((len(rows) + 2, {
            "name": name, "category": category, "id_number": number,
            "phone": f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else None,
            "expires_on": (today + timedelta(days=rng.randrange(200, 2000))).isoformat(),
            "station": rng.choice(STATIONS)}))
    ids = services.import_members(rows, coordinator, now=now - timedelta(days=60))
    members = db.session.scalars(db.select(Member).where(Member.id.in_(ids)).order_by(Member.id)).all()
    for member in rng.sample(members[1:], 6):
        services.reissue_credential(member, coordinator, now=now - timedelta(days=rng.randrange(1, 50)))
    for member in rng.sample(members[1:], 4):
        credential = next(c for c in member.credentials if c.status == "active")
        services.revoke_credential(credential, coordinator, "资格变更（演示）", now=now - timedelta(days=3))
    token = services.create_activation(members[0], coordinator, now=now)
    path = link_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{members[0].id} {token}\n")
    echo(f"demo: {len(members)} members with credentials")


def sign_in_lines():
    """The demo member's activation link (usable once), so a new user can open the phone page."""
    path = link_file()
    if not path.exists():
        return []
    member_id, token = path.read_text().split()
    link = db.session.scalar(db.select(ActivationLink).where(ActivationLink.member_id == int(member_id))
                             .order_by(ActivationLink.id.desc()))
    url = f"{tokens.public_origin()}/activate/{token}"
    if link is None or link.used_at or link.superseded_at:
        return [f"{'member':<12} activation link already used; make a new one on the member's page ({url})"]
    return [f"{'member':<12} activation link: {url}"]



