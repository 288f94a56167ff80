"""Extensions, created unbound and bound in create_app."""
import time

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData

# Named constraints so Alembic can alter them on SQLite and PostgreSQL alike.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class OwnCountingAwareLimiter(Limiter):
    """Flask-Limiter, minus its before-request check for views that count their limits themselves
    (marked `counts_own_rate_limits`: the till's scanning routes, verification.redemption_api.verify_limits).
    For them the check has nothing to count yet costs a twentieth of a scan; every other route is checked
    as before, and so are these whenever application, default or meta limits are configured
    (RATELIMIT_APPLICATION, RATELIMIT_DEFAULT, RATELIMIT_META). Overrides a protected method of the pinned
    Flask-Limiter."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if (in_middleware
                and getattr(current_app.view_functions.get(request.endpoint), "counts_own_rate_limits", False)
                and not self.has_global_limits()):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def has_global_limits(self):
        """Whether limits apply to every route: application, default or meta limits."""
        return bool(self.limit_manager.application_limits or self.limit_manager.default_limits or self._meta_limits)


limiter = OwnCountingAwareLimiter(key_func=get_remote_address, default_limits=[])


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage, minus its timer thread per hit (scheme `memory-swept://`).

    limits' MemoryStorage starts a new `threading.Timer` to sweep expired keys after nearly every hit
    once the previous one has run (10 ms later): under load, a thread start every few requests. Its
    counters already expire when read, so the sweep is only housekeeping; here it runs inline, at
    most once a second. Limits are counted exactly as before.
    """

    STORAGE_SCHEME = ["memory-swept"]
    SWEEP_SECONDS = 1.0

    def __init__(self, *args, **kwargs):
        self._swept_at = time.monotonic()
        super().__init__(*args, **kwargs)

    def _MemoryStorage__schedule_expiry(self):  # replaces the parent's private hook (name-mangled)
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_SECONDS:
            self._swept_at = now
            self._MemoryStorage__expire_events()
