"""What decoding an uploaded image costs, known before it is decoded."""


def bytes_per_pixel(mode):
    """What Pillow holds a pixel of `mode` in: a byte for bilevel, grey and palette images, two for 16-bit grey,
    four for everything else (RGB included: Pillow pads it to four)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def decoded_bytes(size, *modes):
    """The memory an image of `size` (width, height) takes in each of `modes` at once: the mode it decodes to
    and the one it is converted to. A few KB of PNG can decode to hundreds of MB; the pixel count alone says
    nothing of the bytes a pixel takes."""
    width, height = size
    return width * height * sum(bytes_per_pixel(mode) for mode in modes)
