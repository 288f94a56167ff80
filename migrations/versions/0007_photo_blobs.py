"""photo_blob: evidence photos kept in the database, not on the disk of the node that received them

Photos stored before this migration, as files in instance/uploads/photos/ (or UPLOAD_FOLDER/photos/), are copied
into the table by the upgrade, on the node it runs on; the files are left where they were (delete them once the
photos show). The downgrade writes the photos back out as files there.

Revision ID: 0007_photo_blobs
Revises: 0006_session_epoch
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0007_photo_blobs"
down_revision = "0006_session_epoch"
branch_labels = None
depends_on = None

# The tables as this migration knows them (not the app's models, which may change later).
shop_photo = sa.table("shop_photo", sa.column("id", sa.Integer), sa.column("stored_name", sa.String),
                      sa.column("removed_at", sa.DateTime))
photo_blob = sa.table("photo_blob", sa.column("photo_id", sa.Integer), sa.column("full", sa.LargeBinary),
                      sa.column("thumb", sa.LargeBinary))


def upload_folder():
    """Where photos were written before this migration: UPLOAD_FOLDER/photos, else instance/uploads/photos."""
    return Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads") / "photos"


def upgrade():
    op.create_table(
        "photo_blob",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("full", sa.LargeBinary(), nullable=False),
        sa.Column("thumb", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["shop_photo.id"], name=op.f("fk_photo_blob_photo_id_shop_photo")),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_blob")),
    )
    folder = upload_folder()
    if not folder.is_dir():
        return
    connection = op.get_bind()
    shown = connection.execute(sa.select(shop_photo.c.id, shop_photo.c.stored_name)
                               .where(shop_photo.c.removed_at.is_(None))).all()
    for photo_id, name in shown:
        full, thumb = folder / f"{name}.jpg", folder / f"{name}.thumb.jpg"
        if full.is_file():  # a photo whose file is missing stays as it was: listed, its image 404
            data = full.read_bytes()
            connection.execute(photo_blob.insert().values(
                photo_id=photo_id, full=data, thumb=thumb.read_bytes() if thumb.is_file() else data))


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(shop_photo.c.stored_name, photo_blob.c.full, photo_blob.c.thumb)
                              .join(photo_blob, photo_blob.c.photo_id == shop_photo.c.id)).all()
    if rows:
        folder = upload_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for name, full, thumb in rows:
            (folder / f"{name}.jpg").write_bytes(full)
            (folder / f"{name}.thumb.jpg").write_bytes(thumb)
    op.drop_table("photo_blob")
