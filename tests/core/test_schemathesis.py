"""Property-based calls over the whole OpenAPI document (schemathesis): no 5xx, no off-schema answer.

Bounded: a few derandomised examples per operation, as a coordinator and as a shop owner. The
operations are walked directly (not through schemathesis' pytest plugin), so each test builds
its schema from the app of its own fresh database.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from baiye.accounts.services import issue_api_token
from baiye.extensions import db

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
BOUNDED = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def walk(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        @given(case=operation.as_strategy())
        @BOUNDED
        def check(case):
            case.validate_response(case.call(headers=headers), checks=CHECKS)

        try:
            check()
        except Exception as err:  # name the operation in the failure
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {err}") from err


@pytest.mark.parametrize("role", ["coordinator", "owner"])
def test_api_never_fails_and_keeps_its_schema(app, make, role):
    shop = make.shop()
    make.offer(shop)
    make.member()
    user = make.coordinator() if role == "coordinator" else shop.owner
    token = issue_api_token(user)
    db.session.commit()
    walk(app, {"Authorization": f"Bearer {token}"})
