"""Accounts: users, passwords and API tokens."""
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from baiye.clock import utcnow
from baiye.errors import DomainError, invalid
from baiye.extensions import db
from baiye.validators import row_id_from_digits

from .models import ROLES, ApiToken, User

# Checked against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = None


# Neither digits alone nor letters alone (ASCII both, so that the OpenAPI document's pattern, ECMA 262 without
# Unicode classes, says exactly what is refused).
ONE_KIND_ONLY = re.compile(r"[0-9]+|[A-Za-z]+")
PASSWORD_PATTERN = "^(?![0-9]+$)(?![A-Za-z]+$)"


def password_problems(password):
    """Messages for a password that is too weak; empty when it is acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("密码至少需要 %(n)d 位。", n=minimum))
    elif ONE_KIND_ONLY.fullmatch(password):
        problems.append(_("密码需同时包含字母和数字。"))
    return problems


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def username_taken(username):
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


def create_user(username, password, role, shop=None, display_name=None):
    """Add a user with a hashed password; the caller commits."""
    if role not in ROLES:
        raise invalid({"role": [_("未知角色。")]})
    problems = password_problems(password) if password is not None else []
    if problems:
        raise invalid({"password": problems})
    if username_taken(username):
        raise DomainError("username_taken", _("用户名“%(u)s”已被使用。", u=username), 409,
                          fields={"username": [_("该用户名已被使用。")]})
    user = User(
        username=username,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        shop=shop,
        display_name=display_name,
    )
    db.session.add(user)
    return user


def authenticate(username, password):
    """The user these credentials belong to, or None."""
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user, now=None):
    """A new bearer token for the user; only its hash is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token), created_at=now,
                            expires_at=now + current_app.config["API_TOKEN_TTL"]))
    return token


@dataclass(frozen=True, eq=False)
class TokenUser(UserMixin):
    """Who a bearer token signs in: an immutable snapshot of the user, cached per process.

    API routes only need these fields; pages use the session cookie and the full `User`.
    """

    id: int
    username: str
    role: str
    shop_id: int | None
    member_id: int | None
    display_name: str | None
    expires_at: datetime  # the token's own expiry, checked on every request

    def has_role(self, *roles):
        return self.role in roles


class TokenCache:
    """token hash -> TokenUser, for at most `API_TOKEN_CACHE_SECONDS` in this process.

    Expiry is exact (checked on every hit). A deleted token or a disabled user stops working within
    the TTL in every worker; in the process that made the change (`forget_tokens()`) at once, but for
    a request that read the token from the database just before the change was committed, which may
    put it back in the cache for one TTL.
    """

    def __init__(self, max_entries=10_000):
        self.max_entries = max_entries
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, digest, ttl):
        entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry[1] >= ttl:
            return None
        return entry[0]

    def put(self, digest, user):
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = (user, time.monotonic())

    def clear(self):
        with self._lock:
            self._entries.clear()


token_cache = TokenCache()


def session_user(user_id):
    """(the user a session's or remember-me cookie's id names, whether that session is still current), or
    (None, False) when the id is malformed or names no user. The id is "<id>.<session epoch>" (User.get_id);
    a bare "<id>", as sessions made before the epoch existed hold, stands for epoch 0. A session is no longer
    current once the user has been signed out everywhere (end_sessions)."""
    number, dot, epoch = str(user_id).partition(".")
    row_id = row_id_from_digits(number) if number.isascii() else None
    if row_id is None:
        return None, False
    if dot and not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 10):
        return None, False
    user = db.session.get(User, row_id)
    if user is None:
        return None, False
    return user, user.session_epoch == int(epoch or 0)


def end_sessions(user):
    """Sign the user out everywhere: every browser session and remember-me cookie, and every bearer token
    (the caller commits, then calls forget_tokens)."""
    db.session.execute(update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def sign_out(user):
    """Sign the user out: every session, remember-me cookie and bearer token of theirs ends, on every node
    (the session epoch lives in the database), so a copy of a cookie taken before is worth nothing."""
    end_sessions(user)
    db.session.commit()
    forget_tokens()


def set_password(user, password):
    """Store a new password (checked by the caller); every session of the user ends (the caller commits, then
    calls forget_tokens)."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def set_disabled(user, disabled):
    """Disable an account, ending its sessions (so none comes back if it is enabled again), or enable it (the
    caller commits, then calls forget_tokens)."""
    user.is_disabled = disabled
    if disabled:
        end_sessions(user)


def forget_tokens():
    """Drop every cached bearer token in this process: call after deleting tokens or disabling users."""
    token_cache.clear()


def _load_token_user(digest):
    row = db.session.execute(
        select(User.id, User.username, User.role, User.shop_id, User.member_id, User.display_name,
               User.is_disabled, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == digest)
    ).first()
    if row is None or row.is_disabled:
        return None
    return TokenUser(row.id, row.username, row.role, row.shop_id, row.member_id, row.display_name, row.expires_at)


def user_for_token(token, now=None):
    """The active user a bearer token belongs to (a TokenUser), or None when unknown or expired."""
    digest = _digest(token)
    ttl = current_app.config["API_TOKEN_CACHE_SECONDS"]
    user = token_cache.get(digest, ttl) if ttl > 0 else None
    if user is None:
        user = _load_token_user(digest)
        if user is None:
            return None
        if ttl > 0:
            token_cache.put(digest, user)
    if user.expires_at <= (now or utcnow()):
        return None
    return user
