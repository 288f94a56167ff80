"""Settings in layers: baiye/config.py's defaults, then instance/config.py, the environment, a test's dict."""
import os
import secrets
from pathlib import Path

from baiye import config as defaults
from verification.tokens import derived_signing_keys

ENVIRONMENT = ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "RATELIMIT_STORAGE_URI", "TIMEZONE")


def load_config(app, test_config=None, translations=None):
    app.config.from_object(defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'app.db'}"
    app.config.from_pyfile("config.py", silent=True)
    for name in ENVIRONMENT:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["DATABASE_URL"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite file has no server connection to lose: skip the ping before every checkout.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    if not app.config.get("ED25519_KEYS"):
        app.config["ED25519_KEYS"] = derived_signing_keys(app.config["SECRET_KEY"])
    if str(app.config.get("BASE_URL", "")).startswith("https://"):
        secure = app.config.get("SECURE_COOKIES", True)
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
        app.config["PREFERRED_URL_SCHEME"] = "https"
    if translations:
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)


def sqlalchemy_url(url):
    """DATABASE_URL as SQLAlchemy takes it: postgres:// and postgresql:// go through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def instance_secret(instance):
    """The secret key generated once into instance/, never a default in code."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
