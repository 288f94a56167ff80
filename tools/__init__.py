"""Programs that stand alone: tools/verify_pack.py is shipped inside every evidence pack."""
from pathlib import Path

# The verifier as a file: copied byte for byte into every pack (evidence.pack) and served by the site
# (ledger.views), so an inspector can compare the two.
VERIFY_PACK = Path(__file__).resolve().with_name("verify_pack.py")
