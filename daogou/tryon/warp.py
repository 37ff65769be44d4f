"""Thin-plate-spline warps: move a garment's control points onto a body's and carry every pixel along.

Why a thin-plate spline: it passes exactly through every control point (shoulders land on shoulders) and
bends the fabric between them as little as possible, so a handful of landmarks place a whole garment.
scipy's RBF interpolator with the thin-plate kernel and a linear term is exactly that spline; the dense map
is evaluated on a coarse grid and upsampled, because a spline through ten points is smooth at 8 px.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.interpolate import RBFInterpolator

#: The output → source map is computed every GRID pixels and interpolated in between.
GRID = 8


class ThinPlateSpline:
    """A smooth map from `src` points to `dst` points (each (n, 2), x then y) that reproduces them exactly."""

    def __init__(self, src: np.ndarray, dst: np.ndarray) -> None:
        src = np.asarray(src, dtype=np.float64)
        dst = np.asarray(dst, dtype=np.float64)
        if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 3:
            raise ValueError("a thin-plate spline needs at least 3 matching (x, y) point pairs")
        try:
            self._rbf = RBFInterpolator(src, dst, kernel="thin_plate_spline", degree=1)
        except np.linalg.LinAlgError as exc:  # two control points on one spot, or all on one line
            raise ValueError("the control points are degenerate (coincident or collinear)") from exc

    def __call__(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        return self._rbf(points.reshape(-1, 2)).reshape(points.shape)


def warp_image(image: np.ndarray, src: np.ndarray, dst: np.ndarray, size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Warp `image` (H, W, C) so that its points `src` land on `dst` in an output of `size` (width, height).

    Only the output `box` (x0, y0, x1, y1) is computed (the rest stays 0): the garment covers a part of the photo.
    """
    width, height = size
    x0, y0, x1, y1 = box or (0, 0, width, height)
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))
    channels = image.shape[2] if image.ndim == 3 else 1
    out = np.zeros((height, width, channels), dtype=image.dtype) if image.ndim == 3 else np.zeros((height, width), dtype=image.dtype)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return out
    backward = ThinPlateSpline(dst, src)  # output pixel → where to read it in the garment
    gx = np.arange(x0, x1 + GRID, GRID, dtype=np.float64)
    gy = np.arange(y0, y1 + GRID, GRID, dtype=np.float64)
    grid = np.stack(np.meshgrid(gx, gy), axis=-1)
    coarse = backward(grid).astype(np.float32)  # (len(gy), len(gx), 2)
    # bilinear between grid nodes, node k sitting at pixel k * GRID (cv2.resize's half-pixel rule would shift it)
    fx, fy = np.meshgrid(np.arange(x1 - x0, dtype=np.float32) / GRID, np.arange(y1 - y0, dtype=np.float32) / GRID)
    dense = cv2.remap(coarse, fx, fy, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    patch = cv2.remap(image, dense[..., 0], dense[..., 1], interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out[y0:y1, x0:x1] = patch.reshape(out[y0:y1, x0:x1].shape)
    return out
