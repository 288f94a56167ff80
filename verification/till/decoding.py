"""Reading a QR code out of a photo or a camera frame, on the server (zxing-cpp)."""
import zxingcpp
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from baiye.errors import DomainError
from baiye.images import decoded_bytes

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO", "TIFF"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is the largest a phone takes; beyond is a bomb
WORK_SIZE = (1600, 1600)  # enough for a QR that fills a fair part of the picture; keeps decoding fast
# What an image may take once decoded, in its own mode and in greyscale at once (baiye.images): a 12-megapixel
# PNG fits, and so does any JPEG, which decodes at a reduced scale.
MAX_DECODED_BYTES = 64 * 1024 * 1024


def not_an_image():
    return DomainError("not_an_image", _("上传的文件不是图片，请拍一张二维码的照片。"), 422,
                       fields={"photo": [_("请选择一张照片（JPG、PNG 等图片格式）。")]})


def too_large():
    return DomainError("too_large", _("图片太大，请换一张较小的照片。"), 413)


def decode_qr(stream):
    """The text of the first QR code in an uploaded image, or None when there is none."""
    try:
        image = Image.open(stream)
        if image.format not in IMAGE_FORMATS:
            raise not_an_image()
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise too_large()
        image.draft("L", WORK_SIZE)  # JPEG decodes straight to a smaller greyscale image
        if decoded_bytes(image.size, image.mode, "L") > MAX_DECODED_BYTES:
            raise too_large()
        image = ImageOps.exif_transpose(image).convert("L")
        image.thumbnail(WORK_SIZE)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise not_an_image() from None
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return results[0].text if results else None
