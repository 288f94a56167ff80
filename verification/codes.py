"""The one place the redemption area gets credential resolution from.

verification.tokens (signed phone and card codes, by the members-and-credentials area) is
preferred; where it is absent the card-number lookup serves.
"""
try:
    from .tokens import card_last4, mask_name, resolve_code  # noqa: F401
except ImportError:  # pragma: no cover - depends on which areas are present
    from ._card_lookup import card_last4, mask_name, resolve_code  # noqa: F401
