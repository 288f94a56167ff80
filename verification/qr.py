"""QR images and the printable card, rendered once and served from an in-process cache.

Rendering costs several milliseconds of CPU; the text of a QR (a signed URL) fully determines the
image, so a bounded LRU keyed by that text (and the card's printed fields) renders each image once
per worker. Card codes are fixed, so they hit the cache forever; a phone code is asked for a few
times within its 30-second step. Nothing is written to disk, so app servers stay stateless and
nothing personal lingers in files.
"""
import io
import re
from functools import lru_cache
from pathlib import Path

import qrcode
import zxingcpp
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

# 85.6 x 54 mm (ID-1 card) at 300 dpi.
CARD_SIZE = (1011, 638)
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _qr(text, border=4):
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=10)
    code.add_data(text)
    code.make(fit=True)
    return code


@lru_cache(maxsize=1024)  # ~11 kB each
def qr_svg(text):
    """SVG (bytes) of a QR holding exactly `text`."""
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def _qr_image(text, pixels, border=4):
    image = _qr(text, border).make_image(fill_color="black", back_color="white").get_image().convert("L")
    return image.resize((pixels, pixels), Image.NEAREST)


@lru_cache(maxsize=2048)  # ~2 kB each
def qr_png(text, pixels=480):
    """PNG (bytes) of a QR holding exactly `text`."""
    out = io.BytesIO()
    _qr_image(text, pixels).save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=8)
def _font(size, bold=True):
    for path in FONT_PATHS if bold else FONT_PATHS[1:]:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def _text(draw, xy, text, size, fill, bold=True):
    font = _font(size, bold)
    if font is None:  # no CJK font on this machine: keep what ASCII can say
        text = "".join(ch for ch in text if ord(ch) < 128).strip()
        font = ImageFont.load_default(size)
    draw.text(xy, text, font=font, fill=fill)


@lru_cache(maxsize=256)  # ~40 kB each
def card_png(qr_text, card_no_display, title, category, masked_name, expires_label, revoked_label=None):
    """The printable ID-1 card: title band, who it is for (masked), expiry, number and QR."""
    width, height = CARD_SIZE
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, 120), fill=(183, 28, 28))
    _text(draw, (40, 28), "★ " + title, 56, (255, 213, 79))
    qr_side = 440
    card.paste(_qr_image(qr_text, qr_side, border=2).convert("RGB"), (width - qr_side - 40, 150))
    _text(draw, (40, 170), category, 60, (29, 29, 31))
    _text(draw, (40, 260), masked_name, 52, (29, 29, 31), bold=False)
    _text(draw, (40, 340), expires_label, 36, (95, 99, 104), bold=False)
    _text(draw, (40, 520), card_no_display, 58, (29, 29, 31))
    if revoked_label:
        draw.line((0, height, width, 0), fill=(197, 34, 31), width=12)
        _text(draw, (40, 420), revoked_label, 60, (197, 34, 31))
    draw.rectangle((0, 0, width - 1, height - 1), outline=(218, 220, 224), width=3)
    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True, dpi=(300, 300))
    return out.getvalue()


# A QR's rows, joined by b"\n", cut into runs: a dark run with the light run after it, a light run that starts a row,
# and a row's end.
_RUNS = re.compile(rb"\x00+\xff*|\xff+|\n")


class _RunPaths(dict):
    """The path commands of each run `_RUNS` cuts from a QR of one size, made the first time the run is seen (a
    QR of version 7 has about a hundred different ones). Every command is relative, so a run's commands are
    the same wherever it stands: a dark run is a rectangle drawn from the pen, then the pen moves past it and
    the light run after it; a row's end takes the pen back to the start of the next row."""

    def __init__(self, size):
        super().__init__({b"\n": f"m-{size} 1"})

    def __missing__(self, run):
        dark = len(run) - len(run.lstrip(b"\x00"))
        path = f"h{dark}v1h-{dark}zm{len(run)} 0" if dark else f"m{len(run)} 0"
        self[run] = path
        return path


@lru_cache(maxsize=None)  # one per QR size (at most 40)
def _run_paths(size):
    return _RunPaths(size)


@lru_cache(maxsize=4096)  # ~7 kB each
def qr_svg_inline(text):
    """A QR holding exactly `text` at error correction M, as a compact SVG element (str) to put inline in a page.

    For sheets of hundreds of cards: zxing-cpp encodes in C++ (about 0.4 ms, against 4-8 ms for the pure-Python
    encoders), and the path is cut and joined in C (the regular expression, a dict lookup per run, one join: about
    0.1 ms, where a formatted string per dark run cost 0.4 ms), so a sheet of 300 cards renders its codes in about
    0.15 s the first time and from this cache after that. Most of the encoding is the choice among the eight
    masks (a fixed one, data_mask=, takes 0.06 ms): kept, as the standard asks, since the mask chosen is the one
    that reads best, and a printed card is scanned for years.
    """
    image = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False)
    size = image.shape[1]
    data = memoryview(image).tobytes()
    rows = b"\n".join(data[i:i + size] for i in range(0, len(data), size))
    path = "".join(map(_run_paths(size).__getitem__, _RUNS.findall(rows)))
    return (f'<svg class="qr-svg" xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 {size + 4} {size + 4}" '
            f'shape-rendering="crispEdges" role="img"><rect x="-2" y="-2" width="{size + 4}" height="{size + 4}" '
            f'fill="#fff"/><path d="M0 0{path}"/></svg>')
