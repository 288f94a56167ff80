from baiye.extensions import db

PACK_STATUSES = ("queued", "building", "done", "failed")


class EvidencePack(db.Model):
    """One build of the evidence pack of a period: its progress while it builds, then the ZIP until it expires.

    In the database, so that whichever app server a poll reaches answers it, and the one that built the pack need
    not be the one that serves it.
    """

    __tablename__ = "evidence_pack"

    id = db.Column(db.Integer, primary_key=True)
    first_day = db.Column(db.Date, nullable=False)
    last_day = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(16), nullable=False, default="queued")
    progress = db.Column(db.Integer, nullable=False, default=0)  # percent
    step = db.Column(db.String(16))  # evidence.pack.STEPS
    error = db.Column(db.String(500))
    origin = db.Column(db.String(200), nullable=False)  # the site's public address, for the links the pack prints
    requested_by_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    requested_at = db.Column(db.DateTime, nullable=False)
    # Moved on at every step: a build that has not moved for long died with its worker.
    updated_at = db.Column(db.DateTime, nullable=False)
    finished_at = db.Column(db.DateTime)
    expires_at = db.Column(db.DateTime, index=True)
    size = db.Column(db.Integer)
    checkpoint_size = db.Column(db.BigInteger)
    checkpoint_root = db.Column(db.String(64))  # base64, as in the checkpoint's note
    data = db.deferred(db.Column(db.LargeBinary))  # the ZIP, read only to be sent

    requested_by = db.relationship("User")

    # A pack's number is in the URL a progress page polls: never given to another pack once this one is gone.
    __table_args__ = (db.Index("ix_evidence_pack_period", "first_day", "last_day"), {"sqlite_autoincrement": True})
