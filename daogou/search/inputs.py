"""Checks on what a searcher sends: query text length and query images (size, pixels, format).

Why here and not in the API: the CLI, the Python facade and the REST layer all pass user input to
search; checking it in one place means every door refuses the same things with the same words.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from daogou.errors import BadQuery
from daogou.images import MAX_PIXELS as MAX_IMAGE_PIXELS
from daogou.images import UnsafeImage, decode

#: Queries are short; a long one only costs time (the encoder reads 64 tokens of it anyway).
MAX_QUERY_CHARS = 300
MAX_IMAGE_BYTES = 10 * 1024 * 1024

ImageSource = str | Path | bytes | Image.Image


def clean_text(text: str | None) -> str:
    """Strip and validate a text query: empty or over-long queries are refused with a clear message."""
    text = (text or "").strip()
    if not text:
        raise BadQuery("empty query: type some words or give a photo")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise BadQuery("query holds invalid characters (unpaired UTF-16 surrogates)")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    return text


def load_image(source: ImageSource) -> Image.Image:
    """Decode a query image from a path, bytes or a PIL image, refusing oversize, odd shapes and non-photos."""
    if isinstance(source, Image.Image):
        if source.width * source.height > MAX_IMAGE_PIXELS:
            raise BadQuery(f"image has {source.width}x{source.height} pixels; the limit is {MAX_IMAGE_PIXELS:,}")
        return source.convert("RGB")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise BadQuery(f"image {path} does not exist")
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise BadQuery(f"image {path} is over {MAX_IMAGE_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    else:
        data = source
    if len(data) > MAX_IMAGE_BYTES:
        raise BadQuery(f"image is {len(data) // 1_000_000} MB; the limit is {MAX_IMAGE_BYTES // 1_000_000} MB")
    try:
        return decode(data)
    except UnsafeImage as exc:
        raise BadQuery(str(exc)) from exc
