"""A real gunicorn server on the test's database (tests/live.py), and plain HTTP calls to it."""
import pytest

from ..live import gunicorn


@pytest.fixture
def gunicorn_args():
    """Worker settings of the `server` fixture; a test module may override this fixture."""
    return ["--workers", "3", "--threads", "4", "--worker-class", "gthread"]


@pytest.fixture
def server(app, config, tmp_path, gunicorn_args):
    """gunicorn serving the test's database; yields its base URL (`.process` is the master)."""
    env = dict(DATABASE_URL=config["DATABASE_URL"], SECRET_KEY=config["SECRET_KEY"], FLASK_RATELIMIT_ENABLED="false",
               FLASK_ID_HASH_KEY=config["ID_HASH_KEY"])
    with gunicorn(env, tmp_path / "gunicorn.log", args=gunicorn_args) as base:
        yield base
