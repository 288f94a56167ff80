"""The app factory: the main app, with the till's app mounted in front of it (wsgi.py: `app = create_app()`)."""
from pathlib import Path

import evidence.api
import evidence.views
import ledger.api
import ledger.views
import reports.api
import reports.views
import shops.api
import shops.views
import verification.jwks
import verification.members.api
import verification.members.views
import verification.till.views
from baiye import audit_views, core_views, languages, openapi
from baiye.accounts import api as accounts_api
from baiye.accounts import views as accounts_views
from baiye.application import App, register_core
from baiye.cli import register_commands
from baiye.extensions import db, migrate
from baiye.formatting import register_template_helpers
from baiye.settings import load_config
from reports.rollups import connect_receivers
from verification.till.app import mount as mount_till

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the application: config in layers, then extensions, blueprints, hooks, errors, commands."""
    app = App(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config, translations=ROOT / "translations")
    register_extensions(app)
    register_blueprints(app)
    connect_receivers()  # the statistics roll-ups follow every redemption logged or voided, in its transaction
    register_template_helpers(app)
    register_commands(app)
    mount_till(app)  # last: the till's own app takes the main app's settings as they now are
    return app


def register_extensions(app):
    register_core(app)  # as the till's app has it (verification.till.app), with Flask-Limiter's hooks
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    app.after_request(languages.remember_language)


def register_blueprints(app):
    for area in (core_views, openapi, audit_views, accounts_views, accounts_api, shops.views, shops.api,
                 verification.members.views, verification.members.api, verification.till.views, verification.jwks,
                 reports.views, reports.api, ledger.api, ledger.views, evidence.views, evidence.api):
        app.register_blueprint(area.bp)
