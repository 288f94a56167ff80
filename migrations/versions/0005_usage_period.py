"""redemption.usage_period: the limit period whose counter a redemption took

Revision ID: 0005_usage_period
Revises: 0004_reports
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_usage_period"
down_revision = "0004_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage_period", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("redemption", schema=None) as batch_op:
        batch_op.drop_column("usage_period")
