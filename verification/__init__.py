"""Members, credentials, QR codes, scanning and redemptions."""
