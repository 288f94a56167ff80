"""Signals sent inside the redemption transaction, so other areas (reports' roll-ups) stay in step.

Receivers run before the commit and must only add to that transaction, executing through
`verification.till.sql.till_cursor()` (a redemption is logged in the till's own transaction, a void in the
session's; till_cursor() is the one in progress). An error in a receiver rolls everything back.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the redemption just inserted in the transaction, with its id: anything with the Redemption
# columns (the service sends a verification.till.operations.LoggedRedemption); kwargs: none.
redemption_logged = _signals.signal("redemption-logged")
# sender: the Redemption after voided_at is set.
redemption_voided = _signals.signal("redemption-voided")
