"""user.session_epoch: raised to sign a user out of every browser (a member's old phone on re-activation)

Revision ID: 0006_session_epoch
Revises: 0005_usage_period
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_session_epoch"
down_revision = "0005_usage_period"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding the table, batch mode's default on SQLite, fails on the
    # foreign keys that point at it (api_token, audit_entry...), which the app's connections enforce.
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("session_epoch")
