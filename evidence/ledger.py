"""The evidence pack's one link to the Merkle ledger (ledger/): a freshly signed checkpoint and the period's part
tied to it, and the latest checkpoint for the printable report's QR."""
from dataclasses import dataclass, field
from datetime import datetime


# STUB until ledger/ lands on main: the two calls below stand in for ledger.services.checkpoint and pack_part.
@dataclass
class _StubCheckpoint:
    size: int = 0
    root: bytes = bytes(32)
    note: str = "stub.example/ledger\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— stub AAAA\n"
    kid: str = "stub"
    signed_at: datetime = field(default_factory=datetime.utcnow)


@dataclass
class _StubPart:
    files: dict
    totals: dict


def checkpoint_and_part(first_day, last_day, now):
    """(checkpoint, part): a new signed checkpoint of the ledger at `now`, and the period's ledger part tied to it
    (`part.files`: {path in the ZIP: bytes}; `part.totals`: what the entries add up to)."""
    checkpoint = _StubCheckpoint(signed_at=now)
    totals = {"redemptions": 0, "voided": 0, "people": 0, "bill": 0, "discount": 0}
    files = {f"ledger/{name}": b"{}\n" for name in ("entries.jsonl", "checkpoint.txt", "proof.json", "jwks.json",
                                                     "totals.json")}
    return checkpoint, _StubPart(files=files, totals=totals)


def latest_checkpoint():
    """The newest signed checkpoint, or None before the first."""
    return None
