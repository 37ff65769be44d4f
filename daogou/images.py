"""Safe decoding of untrusted pictures: query photos, catalog photos, photos served back.

Why one module: a 4.8 KB PNG that says it is 39,000,000 × 1 pixels passes a plain pixel-count check
and costs a gigabyte to decode; six at once take a server down. Every door that opens a picture
(search, import, the photo endpoint) must apply the same header checks *before* decoding, shrink
while decoding, and decode under a small semaphore so a burst of photos cannot exhaust memory.
"""

from __future__ import annotations

import io
import threading

from PIL import Image, UnidentifiedImageError

#: Formats a shop photo or a query photo may be in (anything else Pillow can read is refused).
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
#: Largest side, largest pixel count and most elongated shape accepted; checked on the header alone.
MAX_SIDE = 12_000
MAX_PIXELS = 40_000_000
MAX_ASPECT = 20.0
#: Decoded pictures are shrunk to this longest side: the encoders look at 224–320 pixels anyway.
WORKING_SIDE = 1024
#: At most this many pictures are decoded at the same time in one process.
DECODERS = threading.BoundedSemaphore(2)


class UnsafeImage(ValueError):
    """A picture refused before or while decoding, with a reason a person can act on."""


def check_header(image: Image.Image) -> str:
    """Refuse by format, size and shape from the header only; return the MIME type of the format."""
    fmt = (image.format or "").upper()
    if fmt not in ALLOWED_FORMATS:
        raise UnsafeImage(f"unsupported picture format {fmt or 'unknown'}; use JPEG, PNG, WebP or GIF")
    width, height = image.size
    if width < 1 or height < 1:
        raise UnsafeImage("picture has no pixels")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise UnsafeImage(f"picture is {width}x{height} pixels; the limit is {MAX_SIDE} per side and {MAX_PIXELS:,} in all")
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise UnsafeImage(f"picture is {width}x{height} pixels: too elongated to be a photo")
    return ALLOWED_FORMATS[fmt]


def sniff(data: bytes) -> str:
    """The MIME type of an image by its content (never by a file name), after the header checks."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return check_header(image)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsafeImage(f"not a readable image ({exc.__class__.__name__})") from exc


def decode(data: bytes, working_side: int = WORKING_SIDE) -> Image.Image:
    """Decode bytes into a small RGB picture: header checks first, JPEG shrunk while decoding, under the semaphore."""
    try:
        image = Image.open(io.BytesIO(data))
        check_header(image)
        with DECODERS:
            if image.format == "JPEG":
                image.draft("RGB", (working_side, working_side))  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size
            image.load()
            image.thumbnail((working_side, working_side))
            return image.convert("RGB")
    except UnsafeImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsafeImage(f"not a readable image ({exc.__class__.__name__})") from exc
