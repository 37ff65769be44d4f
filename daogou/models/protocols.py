"""The small interfaces every encoder implements, so search and indexing never depend on a model library.

Why protocols: the offline pack, a local transformers checkpoint and a hub model must be
interchangeable by name in daogou.toml; callers see only `name`, `dim` and the encode methods.
Every encoder returns float32, L2-normalised rows, so inner product is cosine everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image


@runtime_checkable
class TextEncoder(Protocol):
    """Maps texts to unit vectors. Queries and passages may be embedded differently (e5 uses prefixes)."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class ImageEncoder(Protocol):
    """Maps RGB images to unit vectors."""

    name: str
    dim: int

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray: ...


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length (zero rows stay zero instead of becoming NaN)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)
