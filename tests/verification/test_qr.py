"""The QR images: the inline SVG of a printed sheet draws exactly the QR's modules."""
import zxingcpp

from verification import qr

from .helpers import draw_inline_qr, inline_qr_modules


def modules(text):
    image = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False)
    size = image.shape[1]
    data = memoryview(image).tobytes()
    return size, {(i % size, i // size) for i, value in enumerate(data) if value == 0}


def test_the_inline_svg_draws_every_module_of_the_qr_and_nothing_else():
    # sizes from the smallest QR to past a card's code (a URL of about 140 characters: 45 modules)
    for text in ("A", "https://yj.example.cn/v/" + "x" * 40, "https://yj.example.cn/v/k1." + "Ab-_9" * 22,
                 "https://yj.example.cn/v/" + "z" * 300):
        size, dark = modules(text)
        svg = qr.qr_svg_inline(text)
        assert f'viewBox="-2 -2 {size + 4} {size + 4}"' in svg
        assert inline_qr_modules(svg) == dark, text
        assert zxingcpp.read_barcodes(draw_inline_qr(svg))[0].text == text
