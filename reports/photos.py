"""Evidence photos of shops: decoded and re-encoded by Pillow, metadata (EXIF, GPS) dropped, thumbnailed.

Photos are inspection evidence, not advertising: only coordinators and the shop's own staff can see
them (they may show people). The bytes of each photo and of its thumbnail are kept in the database (PhotoBlob),
so every app server behind a load balancer serves them and every backup holds them; nothing is written to a
node's disk. (Photos kept in instance/uploads/photos/ before are moved in by migration 0007_photo_blobs.)
"""
import io
import secrets

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select

from baiye import audit
from baiye.clock import utcnow
from baiye.errors import DomainError, forbidden, not_found
from baiye.extensions import db
from baiye.images import decoded_bytes

from .models import PhotoBlob, ShopPhoto

FULL_SIDE = 2048
THUMB_SIDE = 480
# What a photo may take once decoded, in the mode it decodes to and in RGB at once (baiye.images): a 12-megapixel
# PNG fits; a JPEG is decoded at a reduced scale first, so a phone's largest photo fits too.
PHOTO_MAX_DECODED_BYTES = 100 * 1024 * 1024


def can_upload(user, shop):
    """Coordinators, and the owner of this shop."""
    return user.is_authenticated and (user.role == "coordinator" or (user.role == "owner" and user.shop_id == shop.id))


def can_view(user, shop):
    """Coordinators and the shop's own staff."""
    return user.is_authenticated and (
        user.role == "coordinator" or (user.role in ("owner", "cashier") and user.shop_id == shop.id))


def _refuse(message, status=422):
    return DomainError("validation_error" if status == 422 else "too_large", message, status,
                       fields={"file": [message]})


def _encode(image, side):
    """`image` made to fit `side` (in place) and encoded as JPEG: (the bytes, the size)."""
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing of the original's metadata
    return out.getvalue(), image.size


def add_photo(shop, actor, upload, caption=None, now=None):
    """Store an uploaded image for a shop; anything that is not an image is refused, nothing half-saved."""
    if not can_upload(actor, shop):
        raise forbidden(_("只有区双拥办工作人员和本店店主可以上传照片。"))
    if upload is None or not getattr(upload, "filename", None):
        raise _refuse(_("请选择要上传的照片。"))
    data = upload.read(current_app.config.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024) + 1)
    if len(data) > current_app.config.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024):
        raise _refuse(_("照片太大，请上传不超过 8 MB 的图片。"), 413)
    max_pixels = current_app.config.get("PHOTO_MAX_PIXELS", 40_000_000)
    max_decoded = current_app.config.get("PHOTO_MAX_DECODED_BYTES", PHOTO_MAX_DECODED_BYTES)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise _refuse(_("照片像素太多（超过 %(n)d 万像素），请缩小后再上传。", n=max_pixels // 10000), 413)
            if probe.format not in ("JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"):
                raise _refuse(_("只支持 JPG、PNG、WEBP 格式的照片。"))
            probe.draft("RGB", (FULL_SIDE, FULL_SIDE))  # a JPEG decodes straight to (about) the size kept
            if decoded_bytes(probe.size, probe.mode, "RGB") > max_decoded:
                raise _refuse(_("照片解码后太大（%(w)d×%(h)d 像素），请缩小或另存为 JPG 后再上传。",
                                w=width, h=height), 413)
            probe.load()
            image = probe.convert("RGB")
        ImageOps.exif_transpose(image, in_place=True)  # keep the photo upright, then the EXIF is left behind
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise _refuse(_("无法识别的图片文件，请上传 JPG 或 PNG 照片。")) from None
    thumb = _encode(image.copy(), THUMB_SIDE)[0]
    full, size = _encode(image, FULL_SIDE)
    photo = ShopPhoto(shop_id=shop.id, uploaded_by_id=actor.id, caption=caption, stored_name=secrets.token_hex(16),
                      width=size[0], height=size[1], size=len(full), created_at=now or utcnow())
    db.session.add(photo)
    db.session.flush()
    db.session.add(PhotoBlob(photo_id=photo.id, full=full, thumb=thumb))
    audit.record(actor, "photo.add", photo, now=now, shop_id=shop.id)
    db.session.commit()
    return photo


def shop_photos(shop_id):
    return db.session.scalars(select(ShopPhoto).where(ShopPhoto.shop_id == shop_id, ShopPhoto.removed_at.is_(None))
                              .order_by(ShopPhoto.created_at.desc(), ShopPhoto.id.desc())).all()


def photos_by_shop(shop_ids):
    """{shop_id: [photos, newest first]} for many shops in one query."""
    found = {shop_id: [] for shop_id in shop_ids}
    if shop_ids:
        for photo in db.session.scalars(select(ShopPhoto).where(ShopPhoto.shop_id.in_(shop_ids),
                                                                ShopPhoto.removed_at.is_(None))
                                        .order_by(ShopPhoto.created_at.desc(), ShopPhoto.id.desc())):
            found[photo.shop_id].append(photo)
    return found


def get_photo(photo_id, viewer):
    """A photo the viewer may see; 404 for anyone else (its existence is not revealed)."""
    photo = db.session.get(ShopPhoto, photo_id)
    if photo is None or photo.removed_at is not None or not can_view(viewer, photo.shop):
        raise not_found(_("找不到该照片。"))
    return photo


def photo_bytes(photo, thumb=False):
    """The JPEG of a photo (or of its thumbnail), or None when it has none (taken down, or a file that was
    missing when migration 0007 moved the photos into the database)."""
    column = PhotoBlob.thumb if thumb else PhotoBlob.full
    return db.session.scalar(select(column).where(PhotoBlob.photo_id == photo.id))


def photo_blobs(photo_ids, thumb=False):
    """(photo id, JPEG bytes) of many photos (or of their thumbnails), read a few at a time so that a folder of them
    never sits in memory at once; photos without bytes are left out."""
    column = PhotoBlob.thumb if thumb else PhotoBlob.full
    query = select(PhotoBlob.photo_id, column).where(PhotoBlob.photo_id.in_(photo_ids)).execution_options(yield_per=16)
    yield from db.session.execute(query)


def remove_photo(photo, actor, now=None):
    """Take a photo down (its bytes deleted; the record stays for the audit trail)."""
    if not can_upload(actor, photo.shop):
        raise forbidden()
    photo.removed_at = now or utcnow()
    db.session.execute(delete(PhotoBlob).where(PhotoBlob.photo_id == photo.id))
    audit.record(actor, "photo.remove", photo, now=now, shop_id=photo.shop_id)
    db.session.commit()
    return photo
