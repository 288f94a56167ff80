"""Programs that stand alone: tools/verify_pack.py is shipped inside every evidence pack."""
