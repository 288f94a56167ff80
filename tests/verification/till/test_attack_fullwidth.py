"""Attack/robustness: a card number typed with a Chinese IME in full-width mode. The phone's number typed as "0" and
full-width digits resolves (int() reads any digits), but the same card number in full-width is refused as a wrong
check digit (all full-width) or "not found" (ASCII first digit): the cashier is told the wrong thing."""
from datetime import datetime

from verification import tokens
from verification.till.credentials import resolve_code

FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def test_a_full_width_card_number_finds_its_card(app, make, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="card")
    with app.test_request_context():
        assert resolve_code(tokens.format_card_no(credential.card_no).translate(FULL), now).id == credential.id
        assert resolve_code(credential.card_no[0] + credential.card_no[1:].translate(FULL), now).id == credential.id


def test_a_full_width_phone_number_finds_its_credential(app, make, clock):
    now = clock.at(datetime(2026, 11, 21, 3, 0, 0))
    credential = make.credential(live_form="phone")
    with app.test_request_context():
        assert resolve_code(tokens.phone_digits(credential, now).translate(FULL), now).id == credential.id


def test_the_form_recorded_for_a_full_width_number_is_the_one_it_is_read_as():
    """A refused scan's log names the form from the same reading of the digits as the check (tokens.typed_digits)."""
    assert tokens.claimed_form("１２３４ ５６７８ ９０１２") == "card_number"
    assert tokens.claimed_form("０１２３ ４５６７ ８９０１") == "phone_digits"
    assert tokens.claimed_form("５３６７") == "card_number"  # the last four from a member's page: a typo at the till
    assert tokens.typed_digits("０１２３-４５６７ ８９０１") == "012345678901"
