"""evidence_pack: builds of the evidence pack, their progress and the finished ZIP until it expires

In the database, so that any app server behind the load balancer answers a poll and serves the ZIP.

Revision ID: 0011_evidence_pack
Revises: 0010_ledger
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_evidence_pack"
down_revision = "0010_ledger"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=True),
        sa.Column("checkpoint_root", sa.String(length=64), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"], name=op.f("fk_evidence_pack_requested_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_pack")),
        sqlite_autoincrement=True,  # a pack's number is never given to another (a progress page polls it)
    )
    with op.batch_alter_table("evidence_pack") as batch_op:
        batch_op.create_index("ix_evidence_pack_period", ["first_day", "last_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_pack_expires_at"), ["expires_at"], unique=False)


def downgrade():
    op.drop_table("evidence_pack")
