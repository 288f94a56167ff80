"""A till's redemptions to log: `ledger_till.redeem(bill, now)` and `.void(redemption, now)`."""
from datetime import datetime

import pytest

from verification.till import operations


@pytest.fixture
def first_of_march(clock):
    return clock.at(datetime(2026, 3, 1))


@pytest.fixture
def ledger_till(app, first_of_march, till):
    """The `till` fixture's shop and member, made at 1 March 2026; redemptions at the instants the test gives."""

    class LedgerTill:
        shop, cashier, offer, card = till.shop, till.cashier, till.offer, till.card

        @staticmethod
        def redeem(bill, now):
            with app.test_request_context():
                return operations.redeem(till.shop, till.cashier, till.card.card_no, till.offer.id, bill, now=now)[0]

        @staticmethod
        def void(redemption, now, actor=None):
            with app.test_request_context():
                return operations.void(redemption.id, actor or till.cashier, "录错了", now=now)

    return LedgerTill
