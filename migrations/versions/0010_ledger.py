"""ledger: the Merkle log's entries, its signed checkpoints and its head; an index of voided redemptions

The log starts empty; the first `flask ledger append` (or checkpoint) appends every redemption and void
already stored, oldest first.

Revision ID: 0010_ledger
Revises: 0009_shop_location
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_ledger"
down_revision = "0009_shop_location"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("redemption_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("appended_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event", "redemption_id", name="uq_ledger_entry_event"),
    )
    op.create_index("ix_ledger_entry_day", "ledger_entry", ["day"])
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("consistency", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("appended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(head, [{"id": 1, "size": 0}])
    op.create_index("ix_redemption_voided_at", "redemption", ["voided_at"],
                    sqlite_where=sa.text("voided_at IS NOT NULL"), postgresql_where=sa.text("voided_at IS NOT NULL"))


def downgrade():
    op.drop_index("ix_redemption_voided_at", table_name="redemption")
    op.drop_table("ledger_head")
    op.drop_table("ledger_checkpoint")
    op.drop_index("ix_ledger_entry_day", table_name="ledger_entry")
    op.drop_table("ledger_entry")
