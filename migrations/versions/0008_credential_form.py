"""credential forms: the form a member carries (phone or card), the phone's typed-number slot, and the form
every redemption and refused scan was made with (also counted in stat_day)

Existing credentials carry the card, except those of members who have activated a phone, which carry the
phone (a card printed for them stops verifying; a coordinator who prints it again switches it back). Every
credential gets a random slot for the phone's typed number. Redemptions and scans logged before this
migration have no recorded form (NULL) and are in none of stat_day's form counts.

Revision ID: 0008_credential_form
Revises: 0007_photo_blobs
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_credential_form"
down_revision = "0007_photo_blobs"
branch_labels = None
depends_on = None

FORMS = ("phone_qr", "phone_digits", "card_qr", "card_number")

# The tables as this migration knows them (not the app's models, which may change later).
credential = sa.table("credential", sa.column("id", sa.Integer), sa.column("member_id", sa.Integer),
                      sa.column("status", sa.String), sa.column("live_form", sa.String),
                      sa.column("digits_slot", sa.Integer))
user = sa.table("user", sa.column("member_id", sa.Integer), sa.column("role", sa.String))


def upgrade():
    # Plain ADD COLUMN (no table rebuild): SQLite keeps the credential table's partial unique index as it is.
    op.add_column("credential", sa.Column("live_form", sa.String(8), nullable=False, server_default="card"))
    op.add_column("credential", sa.Column("digits_slot", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(op.f("ix_credential_digits_slot"), "credential", ["digits_slot"], unique=False)
    op.add_column("redemption", sa.Column("credential_form", sa.String(16), nullable=True))
    op.add_column("scan_log", sa.Column("credential_form", sa.String(16), nullable=True))
    for form in FORMS:
        op.add_column("stat_day", sa.Column(form, sa.Integer(), nullable=False, server_default="0"))

    bind = op.get_bind()
    activated = sa.select(user.c.member_id).where(user.c.role == "member", user.c.member_id.is_not(None))
    bind.execute(credential.update().where(credential.c.member_id.in_(activated)).values(live_form="phone"))
    ids = bind.execute(sa.select(credential.c.id)).scalars().all()
    for start in range(0, len(ids), 1000):
        bind.execute(credential.update().where(credential.c.id == sa.bindparam("cid"))
                     .values(digits_slot=sa.bindparam("slot")),
                     [{"cid": cid, "slot": secrets.randbelow(10**4)} for cid in ids[start:start + 1000]])


def downgrade():
    for form in reversed(FORMS):
        op.drop_column("stat_day", form)
    op.drop_column("scan_log", "credential_form")
    op.drop_column("redemption", "credential_form")
    op.drop_index(op.f("ix_credential_digits_slot"), table_name="credential")
    op.drop_column("credential", "digits_slot")
    op.drop_column("credential", "live_form")
