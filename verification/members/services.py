"""Members, credentials and activation links. Plain functions: explicit actor and time, one error type."""
import hashlib
import secrets

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from baiye import audit, lists
from baiye.accounts.models import User
from baiye.accounts.services import create_user, end_sessions, forget_tokens
from baiye.clock import utcnow
from baiye.errors import DomainError, forbidden, get_or_not_found, invalid, not_found
from baiye.extensions import db
from baiye.messages import localise

from .. import tokens
from .models import ActivationLink, Credential, Member
from .schemas import MemberInputSchema, active_credential

MAX_IMPORT_ROWS = 20_000
REISSUED = "补发新证"  # stored reason (data, like the reasons coordinators type)


def duplicate_member():
    message = _("该身份证号已登记过优待对象，请勿重复登记。")
    return DomainError("duplicate_member", message, 409, fields={"id_number": [message]})


def _member_fields(data, now):
    number = data["id_number"]
    return dict(name=data["name"], category=data["category"], phone=data.get("phone"),
                id_hash=tokens.id_hash(number), id_last4=number[-4:], expires_on=data["expires_on"],
                station=data.get("station"), created_at=now)


def fresh_card_numbers(count):
    """`count` new card numbers that no credential uses yet."""
    chosen = set()
    while len(chosen) < count:
        batch = {tokens.new_card_no() for _ in range(count - len(chosen))} - chosen
        taken = set()
        candidates = list(batch)
        for start in range(0, len(candidates), 500):
            taken.update(db.session.scalars(select(Credential.card_no).where(
                Credential.card_no.in_(candidates[start:start + 500]))))
        chosen |= batch - taken
    return list(chosen)


def _new_credential(member, serial, now, live_form="card"):
    credential = Credential(member=member, public_id=tokens.new_public_id(), card_no=fresh_card_numbers(1)[0],
                            serial=serial, status="active", issued_at=now, live_form=live_form,
                            digits_slot=tokens.new_digits_slot())
    db.session.add(credential)
    return credential


def enrol_member(data, actor, now=None):
    """A new member from validated data, with an active credential and an activation link.

    Returns (member, credential, activation_token).
    """
    now = now or utcnow()
    fields = _member_fields(data, now)
    if db.session.scalar(select(Member.id).where(Member.id_hash == fields["id_hash"])):
        raise duplicate_member()
    member = Member(**fields)
    db.session.add(member)
    credential = _new_credential(member, 1, now)
    try:
        db.session.flush()
    except IntegrityError:  # the same person enrolled by someone else a moment ago
        db.session.rollback()
        raise duplicate_member() from None
    audit.record(actor, "member.enrol", member, now=now, category=member.category)
    audit.record(actor, "credential.issue", credential, now=now, member_id=member.id, serial=1)
    token = _new_activation(member, actor, now)
    db.session.commit()
    return member, credential, token


def get_member(member_id):
    return get_or_not_found(Member, member_id, _("找不到该优待对象。"))


def get_credential(credential_id):
    return get_or_not_found(Credential, credential_id, _("找不到该优待证。"))


def search_members(q=None, category=None, page=1, per_page=50):
    """Members matching a name, phone, last four of the ID or card number; (items, total)."""
    query = select(Member)
    if category:
        query = query.where(Member.category == category)
    if q and q.strip():
        text = q.strip()
        digits = text.replace(" ", "").replace("-", "")
        conditions = [Member.name.contains(text, autoescape=True), Member.phone.contains(text, autoescape=True)]
        if len(digits) == 4:
            conditions.append(Member.id_last4 == digits.upper())
        if digits.isdigit() and len(digits) >= 4:
            conditions.append(Member.credentials.any(Credential.card_no.contains(digits, autoescape=True)))
        query = query.where(or_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.options(selectinload(Member.credentials)).order_by(Member.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return items, total


def members_for_print(ids=None, first_id=None, last_id=None, category=None, limit=500):
    """Members with an active credential, for printing cards, in id order."""
    query = (select(Member).join(Credential, (Credential.member_id == Member.id) & (Credential.status == "active"))
             .options(selectinload(Member.credentials)).order_by(Member.id))
    if ids:
        query = query.where(Member.id.in_(ids))
    if first_id:
        query = query.where(Member.id >= first_id)
    if last_id:
        query = query.where(Member.id <= last_id)
    if category:
        query = query.where(Member.category == category)
    return db.session.scalars(query.limit(limit)).all()


EDITABLE = ("name", "category", "phone", "expires_on", "station")


def update_member(member, actor, data, now=None):
    """Change a member's details (not the ID number: a different person is a new enrolment)."""
    now = now or utcnow()
    if member.purged_at is not None:
        raise DomainError("invalid_transition", _("该优待对象的资料已清除，不能修改。"), 409)
    changed = sorted(key for key in EDITABLE if key in data and getattr(member, key) != data[key])
    for key in changed:
        setattr(member, key, data[key])
    if changed:
        audit.record(actor, "member.update", member, now=now, fields=changed)
    db.session.commit()
    return member


def reissue_credential(member, actor, now=None):
    """A new credential with the next serial; the current one (if any) is revoked."""
    now = now or utcnow()
    if member.purged_at is not None:
        raise DomainError("invalid_transition", _("该优待对象的资料已清除，不能再发证。"), 409)
    current = active_credential(member)
    if current is not None:
        _revoke(current, REISSUED, now)
        db.session.flush()  # the partial unique index allows one active credential at a time
    serial = max((c.serial for c in member.credentials), default=0) + 1
    latest = max(member.credentials, key=lambda c: c.serial, default=None)
    # The member keeps the form they carry: a phone shows the new credential's code at once; a card is reprinted.
    credential = _new_credential(member, serial, now, latest.live_form if latest else "card")
    try:
        db.session.flush()
    except IntegrityError:  # another coordinator reissued at the same moment
        db.session.rollback()
        raise DomainError("invalid_transition", _("刚刚已有人为该优待对象补发了新证，请刷新后查看。"), 409) from None
    audit.record(actor, "credential.reissue", credential, now=now, member_id=member.id, serial=serial,
                 replaced_id=current.id if current else None)
    db.session.commit()
    return credential


def _revoke(credential, reason, now):
    credential.status = "revoked"
    credential.revoked_at = now
    credential.revoked_reason = reason


def revoke_credential(credential, actor, reason, now=None):
    """Revoke a credential with a reason; its codes stop verifying at once."""
    now = now or utcnow()
    if not (reason or "").strip():
        raise invalid({"reason": [_("请填写作废原因。")]})
    if credential.status != "active":
        raise DomainError("invalid_transition", _("该优待证已作废，无需重复操作。"), 409)
    _revoke(credential, reason.strip(), now)
    audit.record(actor, "credential.revoke", credential, now=now, member_id=credential.member_id,
                 reason=reason.strip())
    db.session.commit()
    return credential


# --- activation links ----------------------------------------------------------------------------

def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_activation(member, actor, now):
    db.session.execute(update(ActivationLink).where(
        ActivationLink.member_id == member.id, ActivationLink.used_at.is_(None),
        ActivationLink.superseded_at.is_(None)).values(superseded_at=now))
    token = secrets.token_urlsafe(24)
    link = ActivationLink(member=member, token_hash=_digest(token), created_at=now,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "activation.create", member, now=now, link_id=link.id)
    return token


def create_activation(member, actor, now=None):
    """A new one-time activation token for the member; earlier unused links stop working."""
    now = now or utcnow()
    if member.purged_at is not None:
        raise not_found(_("找不到该优待对象。"))
    if active_credential(member) is None:  # a phone would show a revoked card
        raise DomainError("no_active_credential", _("该优待对象目前没有有效的优待证，请先补发新证，再生成激活码。"), 409)
    token = _new_activation(member, actor, now)
    db.session.commit()
    return token


def activation_token_from(text):
    """The token inside a pasted activation URL (or the bare token)."""
    text = (text or "").strip()
    marker = text.rfind("/activate/")
    if marker != -1:
        text = text[marker + len("/activate/"):]
    return text.split("?", 1)[0].split("#", 1)[0].rstrip("/")


def find_activation(token):
    """The link a token belongs to, refused when used, superseded, unknown or altered."""
    link = db.session.scalar(select(ActivationLink).where(ActivationLink.token_hash == _digest(token))) \
        if token and len(token) <= 100 else None
    if link is None or link.member.purged_at is not None:
        raise DomainError("not_found", _("激活链接无效：请核对链接，或请服务站重新生成。"), 404)
    if link.used_at is not None:
        raise DomainError("activation_used", _("该激活链接已使用过。如需在新手机上使用，请到服务站重新获取。"), 409)
    if link.superseded_at is not None:
        raise DomainError("activation_superseded", _("该激活链接已被更新的链接取代，请使用最新的链接。"), 409)
    return link


def activate(token, now=None):
    """Use an activation link once: the member's account (created on first use), ready to sign in."""
    now = now or utcnow()
    link = find_activation(token)
    claimed = db.session.execute(update(ActivationLink).where(
        ActivationLink.id == link.id, ActivationLink.used_at.is_(None),
        ActivationLink.superseded_at.is_(None)).values(used_at=now))
    if claimed.rowcount != 1:  # another phone used it a moment ago
        db.session.rollback()
        raise DomainError("activation_used", _("该激活链接已使用过。如需在新手机上使用，请到服务站重新获取。"), 409)
    member = link.member
    user = db.session.scalar(select(User).where(User.member_id == member.id, User.role == "member"))
    if user is None:
        username = f"m{member.id}"
        if db.session.scalar(select(User.id).where(User.username == username)):  # a shop chose it first
            username = f"m{member.id}-{secrets.token_hex(3)}"
        user = create_user(username, None, "member", display_name=tokens.mask_name(member.name))
        user.member_id = member.id
        db.session.flush()
    else:
        end_sessions(user)  # the link binds a new phone: the earlier one is signed out
    user.is_disabled = False
    user.last_login_at = now
    db.session.execute(update(ActivationLink).where(ActivationLink.id == link.id).values(user_id=user.id))
    audit.record(user, "activation.use", member, now=now, link_id=link.id)
    credential = active_credential(member)
    if credential is not None and credential.live_form != "phone":
        # The phone becomes the form the member carries: a printed card (or a saved image of it) stops verifying.
        credential.live_form = "phone"
        audit.record(user, "credential.form", credential, now=now, member_id=member.id, live_form="phone")
    db.session.commit()
    forget_tokens()
    return user


# --- what members and coordinators see -------------------------------------------------------------

def member_of(user):
    if user.role != "member" or not user.member_id:
        raise forbidden()
    return get_member(user.member_id)


def phone_code(user, now=None):
    """The member's current phone token with its times: (credential, token, refresh_at, expires_at)."""
    now = now or utcnow()
    member = member_of(user)
    credential = active_credential(member)
    if credential is None:
        raise tokens.refuse("revoked")
    reason = tokens.credential_state(credential, now)
    if reason:
        raise tokens.refuse(reason)
    if credential.live_form != "phone":
        raise DomainError("credential_invalid", _("服务站已为您打印实体优待卡，手机优待码已停用，请出示实体卡。如需改回手机出示，请联系服务站重新激活。"),
                          409, reason="revoked", detail="phone_not_live")
    refresh_at, expires_at = tokens.phone_code_times(now)
    return credential, tokens.phone_token(credential, now), refresh_at, expires_at


def card_credential(credential_id, viewer):
    """A credential whose printed card the viewer may see: coordinators only. A member's phone never holds a
    static code (a saved image would verify for ever): printing a card is the coordinators' act (print_cards)."""
    credential = get_credential(credential_id)
    if viewer.role == "coordinator":
        return credential
    if viewer.role == "member":
        raise forbidden(_("实体卡由服务站打印，手机上只出示动态优待码。"))
    raise forbidden(_("只能查看本人的优待证。"))


def print_cards(credentials, actor, now=None):
    """Print these credentials' cards: each becomes the form its member carries (its phone code stops), and
    each is recorded in the audit log. Returns the credentials."""
    now = now or utcnow()
    printed = []
    for credential in credentials:
        if credential.status != "active":
            continue
        printed.append((credential, {"member_id": credential.member_id, "previous_form": credential.live_form}))
        credential.live_form = "card"
    audit.record_each(actor, "credential.print", printed, now=now)
    db.session.commit()
    return credentials


# --- import -----------------------------------------------------------------------------------------

def import_members(rows, actor, now=None):
    """Enrol every row or none. `rows` is [(row_number, {column: value})]; returns the new members' ids.

    Bad rows raise DomainError("invalid_rows", rows=[{"row", "fields"}]) and nothing is written.
    """
    now = now or utcnow()
    if not rows:
        raise invalid({"file": [_("文件中没有数据行。")]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise invalid({"file": [_("一次最多导入 %(n)d 行，请分批导入。", n=MAX_IMPORT_ROWS)]})
    schema = MemberInputSchema()
    key = tokens.id_hash_key()
    good, bad, first_row_of = [], [], {}
    raw_of = {}
    for number, raw in rows:
        raw_of[number] = raw
        try:
            data = schema.load(raw)
        except ValidationError as err:
            messages = localise(err.messages)
            if "category" in messages:
                messages["category"] = [_category_problem(raw.get("category"))]
            bad.append({"row": number, "fields": messages})
            continue
        fields = _member_fields(data, now)
        fields["id_hash"] = tokens.id_hash(data["id_number"], key)
        if fields["id_hash"] in first_row_of:
            bad.append({"row": number, "fields": {"id_number": [
                _("与第 %(row)d 行的身份证号重复。", row=first_row_of[fields["id_hash"]])]}})
            continue
        first_row_of[fields["id_hash"]] = number
        good.append((number, fields))
    hashes = list(first_row_of)
    enrolled = set()
    for start in range(0, len(hashes), 500):
        enrolled.update(db.session.scalars(select(Member.id_hash).where(Member.id_hash.in_(hashes[start:start + 500]))))
    for number, fields in good:
        if fields["id_hash"] in enrolled:
            bad.append({"row": number, "fields": {"id_number": [_("该身份证号已登记过优待对象。")]}})
    if bad:
        bad.sort(key=lambda item: item["row"])
        for item in bad:  # whom the row is about and what it says, so the report can be read beside the file
            raw = raw_of[item["row"]]
            item["name"] = raw.get("name") or ""
            item["values"] = {column: "" if raw.get(column) is None else str(raw[column]) for column in item["fields"]}
        raise DomainError("invalid_rows", _("有 %(n)d 行数据有误，未导入任何记录。请改正后重新导入整个文件。", n=len(bad)),
                          422, rows=bad)
    member_rows = [fields for _number, fields in good]
    try:
        ids = list(db.session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True),
                                      member_rows))
        card_numbers = fresh_card_numbers(len(ids))
        db.session.execute(insert(Credential), [
            dict(member_id=member_id, public_id=tokens.new_public_id(), card_no=card_no, serial=1,
                 status="active", issued_at=now, live_form="card", digits_slot=tokens.new_digits_slot()) for member_id, card_no in zip(ids, card_numbers)])
    except IntegrityError:  # someone enrolled one of these people while we were checking
        db.session.rollback()
        raise duplicate_member() from None
    audit.record(actor, "member.import", None, now=now, created=len(ids), first_id=ids[0], last_id=ids[-1])
    db.session.commit()
    return ids


def _category_problem(value):
    """What is wrong with a spreadsheet's category cell, with the values it may hold."""
    allowed = _("、").join(category_choices())
    if not value:
        return _("请填写类别，可填：%(allowed)s。", allowed=allowed)
    return _("“%(value)s”不是优待对象类别，可填：%(allowed)s。", value=value, allowed=allowed)


def category_choices():
    """How a spreadsheet may name each category, in Chinese: 退役军人（退役）, 军属, ..."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        chinese = lists.categories()
    labels = dict(chinese)
    short = {}
    for alias, key in current_app.config.get("CATEGORY_ALIASES", {}).items():
        if len(alias) < len(labels.get(key, "")):
            short.setdefault(key, alias)
    return [f"{label}（{short[key]}）" if key in short else label for key, label in chinese]


def category_names():
    """{what people type for a category in a spreadsheet: its key, its label, its Chinese label: the key}. In
    Chinese whatever the language of the page the file is uploaded from."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        chinese = lists.categories()
    names = {}
    for (key, label), (_key, chinese_label) in zip(lists.categories(), chinese):
        names.update({key: key, label: key, chinese_label: key})
    names.update(current_app.config.get("CATEGORY_ALIASES", {}))
    return names
