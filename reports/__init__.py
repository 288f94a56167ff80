"""Statistics, exports, the printable inspection report, evidence photos and the public summary."""
