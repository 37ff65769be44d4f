"""Colour features of the product in a photo: a hue/saturation/value histogram of the foreground pixels.

Why: ImageNet features barely encode colour (same-colour precision@10 ≈ 0.26 on Myntra), yet colour
is what shoppers filter on first. Product photos sit on a plain background; we estimate it from the
border, keep the pixels that differ from it, and describe them with a histogram that a small trained
head (understand/attributes.py) turns into a colour name. No weights: it is a deterministic encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from daogou.models.image import to_rgb

HUE_BINS, SAT_BINS, VAL_BINS, GREY_BINS = 12, 3, 3, 5


class ColourHistogramEncoder:
    """Foreground colour histogram (12 hue × 3 saturation × 3 value + 5 grey levels) plus mean HSV, L2-normalised."""

    dim = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS + 4

    def __init__(self, name: str = "colour-hist-v1", size: int = 64) -> None:
        self.name = name
        self.size = size

    def _features(self, image: Image.Image) -> np.ndarray:
        small = to_rgb(image).resize((self.size, self.size), Image.BILINEAR)
        rgb = np.asarray(small, dtype=np.float32) / 255.0
        hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        background = np.median(border, axis=0)
        distance = np.abs(rgb - background).sum(axis=2)
        mask = distance > 0.12
        if mask.sum() < 0.02 * mask.size:  # no clear background: use the whole photo
            mask = np.ones_like(mask)
        h, s, v = hsv[..., 0][mask], hsv[..., 1][mask], hsv[..., 2][mask]
        grey = s < 0.18
        chroma = np.histogramdd(
            np.stack([h[~grey], s[~grey], v[~grey]], axis=1),
            bins=(HUE_BINS, SAT_BINS, VAL_BINS),
            range=((0, 1), (0.18, 1), (0, 1)),
        )[0].ravel()
        greys = np.histogram(v[grey], bins=GREY_BINS, range=(0, 1))[0]
        hist = np.concatenate([chroma, greys]).astype(np.float32)
        hist /= max(1.0, float(mask.sum()))
        angle = 2 * np.pi * h
        summary = np.array([np.cos(angle).mean(), np.sin(angle).mean(), s.mean(), v.mean()], dtype=np.float32) * 0.5
        return np.concatenate([np.sqrt(hist), summary])

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        features = np.stack([self._features(img) for img in images]).astype(np.float32)
        norms = np.linalg.norm(features, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return features / norms
