"""Property-based calls over the whole OpenAPI document (schemathesis), as a coordinator, a shop owner and a
cashier: every check schemathesis has, on data that fits the document and on data that breaks it.

Bounded: a few derandomised examples per operation and mode, so that the suite stays fast; `make schemathesis`
(scripts/schemathesis_run.py) is the full run, against a server with the demo network. The operations are walked
directly (not through schemathesis' pytest plugin), so each test builds its schema from the app of its own fresh
database; the repository's schemathesis.toml (and its hooks, tests/schemathesis_hooks.py) applies here too.
"""
from pathlib import Path

import pytest
import schemathesis
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.hooks import HookContext

from baiye.accounts.services import issue_api_token
from baiye.extensions import db
from tests import schemathesis_hooks

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
BOUNDED = settings(max_examples=4, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def fresh_g(app):
    """The app, each call starting with an empty `g`: the test's app context outlives a request, and `g` would
    carry the signed-in user into the next call (a call without a token included), as FreshUserClient avoids."""

    def wsgi(environ, start_response):
        for key in list(g):
            g.pop(key, None)
        return app(environ, start_response)

    return wsgi


def walk(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fresh_g(app),
                                            config=SchemathesisConfig.from_path(CONFIG))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check_operation(operation, mode, headers)


def check_operation(operation, mode, headers):
    @given(case=operation.as_strategy(generation_mode=mode))
    @BOUNDED
    def check(case):
        # A case made to break the document's headers leaves the Authorization header out: sent without a token.
        sent = {} if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER) else headers
        response = case.call(headers=sent)
        try:
            case.validate_response(response, headers=sent)
        except FailureGroup as group:  # the hooks' filter_failure, as `schemathesis run` applies it
            context, answer = HookContext(operation=operation), Response.from_any(response)
            if any(schemathesis_hooks.filter_failure(context, failure, case, answer) for failure in group.exceptions):
                raise

    try:
        check()
    except Unsatisfiable:  # nothing to break: an operation that takes no input has no negative case
        assert mode is GenerationMode.NEGATIVE, f"{operation.method.upper()} {operation.path}: no positive case"
    except Exception as err:  # name the operation in the failure
        raise AssertionError(f"{operation.method.upper()} {operation.path} ({mode.value}): {err}") from err


@pytest.mark.parametrize("role", ["coordinator", "owner", "cashier"])
def test_api_keeps_its_document(app, make, role):
    from ledger import services as ledger
    from tests.verification.helpers import make_member
    from verification.till import operations

    shop = make.shop()
    offer = make.offer(shop)
    make.member()
    cashier = make.cashier(shop)
    # A redemption in a signed checkpoint: the ledger's answers (checkpoints, proofs) have something to show.
    with app.test_request_context():
        operations.redeem(shop, cashier, make_member().card_no, offer.id, 1000)
    ledger.checkpoint()
    user = {"coordinator": make.coordinator, "owner": lambda: shop.owner, "cashier": lambda: cashier}[role]()
    token = issue_api_token(user)
    db.session.commit()
    walk(app, {"Authorization": f"Bearer {token}"})


def test_only_the_documents_own_stateful_behaviour_is_set_aside(monkeypatch):
    """A deleted offer still answered deactivated, and a pending shop hidden from another shop's owner or cashier,
    are what the document says; the same failures otherwise (an offer still active, a coordinator's 404) stand."""
    from types import SimpleNamespace

    def case(path, method):
        return SimpleNamespace(operation=SimpleNamespace(path=path, method=method))

    def answer(status, body=None):
        return SimpleNamespace(status_code=status, json=lambda: body)

    deleted = SimpleNamespace(code="ST301")
    created = SimpleNamespace(code="ST302", created_with="POST /api/v1/shops")
    offer, shop = case("/api/v1/offers/{offer_id}", "get"), case("/api/v1/shops/{shop_id}", "get")
    context = HookContext(operation=None)
    keep = schemathesis_hooks.filter_failure
    assert not keep(context, deleted, offer, answer(200, {"id": 1, "is_active": False}))
    assert not keep(context, deleted, case("/api/v1/offers/{offer_id}", "patch"), answer(200, {"id": 1}))
    assert keep(context, deleted, offer, answer(200, {"id": 1, "is_active": True}))
    assert keep(context, deleted, case("/api/v1/shops/{shop_id}/staff/{user_id}", "get"), answer(200, {}))
    for role, kept in (("owner", False), ("cashier", False), ("coordinator", True), (None, True)):
        if role:
            monkeypatch.setenv("SCHEMATHESIS_ROLE", role)
        else:
            monkeypatch.delenv("SCHEMATHESIS_ROLE", raising=False)
        assert keep(context, created, shop, answer(404, {})) is kept, role
