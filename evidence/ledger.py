"""The evidence pack's one link to the Merkle ledger (ledger/): a checkpoint signed for the pack and the period's
part tied to it."""
from ledger import notes
from ledger import services as ledger_services

# A redemption logged or voided between the checkpoint and the figures it is compared with makes them differ;
# a new checkpoint takes it in. More than a few tries means they differ for another reason, which the pack says.
ATTEMPTS = 3


def checkpoint_and_part(first_day, last_day, now):
    """(checkpoint, part): a checkpoint of the whole ledger signed at `now`, and the ledger's part of the pack for
    the local days first_day..last_day tied to it (`part.files`: {path in the ZIP: bytes}; `part.totals`: the
    recount of its entries; `part.agrees`: whether that recount equals the figures it states, totals.json)."""
    for _attempt in range(ATTEMPTS):
        checkpoint = ledger_services.checkpoint(now, reuse=True)
        part = ledger_services.pack_part(first_day, last_day, checkpoint)
        if part.agrees:
            break
    return checkpoint, part


def manifest(first_day, last_day, checkpoint, part, digests, now):
    """The pack's manifest, signed: its period, checkpoint, number of entries and every file's SHA-256."""
    return notes.sign_manifest(first_day, last_day, checkpoint, part.entries, digests, now).encode()
