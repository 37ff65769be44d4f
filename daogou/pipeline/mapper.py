"""Mapper: encode one batch with the configured model; runs in a worker process or in-process.

Why a plain module-level function: it must pickle to a worker process; the model is loaded once per
process by the registry and reused for every batch that process gets.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from daogou.models.registry import image_encoder, text_encoder
from daogou.pipeline.reader import Batch


@dataclass
class Encoded:
    """A batch's vectors (rows aligned with `ids`) and the items that could not be encoded, with why."""

    batch: Batch
    ids: list[str]
    hashes: list[str]
    vectors: np.ndarray
    failures: list[tuple[str, str]] = field(default_factory=list)


def _load(source: str | bytes) -> Image.Image:
    """A photo from its path, or from its bytes when the batch was shipped to another machine."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
        img.draft("RGB", (448, 448))  # JPEG: decode at reduced size, much faster for big photos
        return img.convert("RGB")


def encode_batch(batch: Batch) -> Encoded:
    """Encode `batch`; an unreadable image (changed on disk since import) is reported, not fatal."""
    if batch.space == "text":
        vectors = text_encoder(batch.model).encode_passages(batch.inputs)
        return Encoded(batch, batch.ids, batch.hashes, vectors)
    images, ids, hashes, failures = [], [], [], []
    sources = batch.data if batch.data is not None else batch.inputs
    for pid, h, path, source in zip(batch.ids, batch.hashes, batch.inputs, sources):
        try:
            images.append(_load(source))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            failures.append((pid, f"image {path}: {exc.__class__.__name__}: {exc}"))
            continue
        ids.append(pid)
        hashes.append(h)
    encoder = image_encoder(batch.model)
    vectors = encoder.encode_images(images) if images else np.zeros((0, encoder.dim), dtype=np.float32)
    return Encoded(batch, ids, hashes, vectors, failures)
