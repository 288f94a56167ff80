"""shop location: an optional latitude and longitude (WGS-84) for "shops near me" and navigation

Existing shops have none (NULL) until their owner or a coordinator sets it.

Revision ID: 0009_shop_location
Revises: 0008_credential_form
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_shop_location"
down_revision = "0008_credential_form"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table rebuild), nullable: a shop need not say where it is.
    op.add_column("shop", sa.Column("lat", sa.Float(), nullable=True))
    op.add_column("shop", sa.Column("lng", sa.Float(), nullable=True))


def downgrade():
    # Plain DROP COLUMN too: rebuilding the table would drop it under the foreign keys that point at it.
    op.drop_column("shop", "lng")
    op.drop_column("shop", "lat")
