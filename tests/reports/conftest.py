from datetime import date, datetime

import pytest

from .helpers import log_redemption, make_member, void_redemption


class Network:
    """A small network: shops in two streets and industries, members of each category."""

    def __init__(self, make):
        self.make = make
        self.shops = [
            make.shop(name="老兵面馆", industry="catering", street="chengguan"),
            make.shop(name="惠民超市", industry="retail", street="chengguan"),
            make.shop(name="迎宾酒店", industry="lodging", street="dongcheng"),
        ]
        self.offers = [make.offer(shop, starts_on=date(2026, 1, 1)) for shop in self.shops]
        self.members = [make_member(c, created_at=datetime(2026, 1, 1)) for c in ("veteran", "veteran", "family", "active_duty", "martyr_family")]

    def log(self, shop_index, member_index, **kw):
        return log_redemption(self.shops[shop_index], self.offers[shop_index], self.members[member_index], **kw)

    void = staticmethod(void_redemption)


@pytest.fixture
def network(make):
    return Network(make)


@pytest.fixture(autouse=True)
def request_context(app):
    """Labels are translated per request; service tests run inside one too."""
    with app.test_request_context():
        yield
