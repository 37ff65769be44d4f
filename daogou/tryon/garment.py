"""A garment's cut-out and landmarks from its product photo: mask, then neck, shoulders, armpits, hem, cuffs.

Why from the silhouette alone: no pip package ships a cloth segmenter or a garment landmark network, and a flat
product shot on a plain background carries what a placement needs in its outline. A top's outline has the same
skeleton whether its sleeves are spread (T-shirts) or hang beside the body (most flat-lays): below the armpits
the body is one run of pixels around the centre line; at the armpit a sleeve joins it. Every verdict says why,
so `daogou tryon --report` can tell a shop which photos to retake.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import cv2
import numpy as np

from daogou.tryon.cutout import model_path, salient_mask

#: Colour distance (Lab, 0–255 scale) from the background above which a pixel is garment.
BACKGROUND_DISTANCE = 14.0
MIN_DISTANCE = 6.0
#: The photo border is a plain background when its colours spread less than this (Lab standard deviation).
PLAIN_BORDER_STD = 9.0
#: A step of the body's side line outwards by this share of the garment's width marks an armpit.
ARMPIT_JUMP = 0.06


class Landmarks:
    """What every garment shape shares: each of its (x, y) fields is a named landmark (unset ones are None)."""

    def points(self) -> dict[str, tuple[float, float]]:
        """Every landmark that was found, by name, in field order (the rig JSON and the placements read these)."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        return {name: value for name, value in found.items() if isinstance(value, tuple) and len(value) == 2}


@dataclass
class GarmentShape(Landmarks):
    """Where a top's landmarks are in its photo, in pixels (x, y); "left" means the photo's left."""

    neck_left: tuple[float, float]
    neck_right: tuple[float, float]
    shoulder_left: tuple[float, float]
    shoulder_right: tuple[float, float]
    armpit_left: tuple[float, float]
    armpit_right: tuple[float, float]
    hem_left: tuple[float, float]
    hem_right: tuple[float, float]
    cuff_left: tuple[float, float] | None = None
    cuff_right: tuple[float, float] | None = None
    sleeves: str = "none"  # "spread", "hanging" or "none"
    extra: dict[str, float] = field(default_factory=dict)


class NotPlaceable(ValueError):
    """The photo's outline is not a front view of a garment we can place; the message says why."""


def garment_mask(rgb: np.ndarray, salient: bool = True) -> np.ndarray:
    """Alpha (0–255) of the garment in a product shot.

    On a plain background (the usual studio shot) the background colour is the median of the photo's border and
    pixels far from it in Lab are garment. On a busy one, `salient` lets the U^2-Net-p cut-out (tryon/cutout.py)
    try instead, where its model is installed; otherwise that raises NotPlaceable. Then specks inside the garment are filled and only the
    largest piece is kept (labels, shadows of hangers and stray specks go).
    """
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    band = max(2, min(h, w) // 50)
    border = np.concatenate([lab[:band].reshape(-1, 3), lab[-band:].reshape(-1, 3), lab[:, :band].reshape(-1, 3), lab[:, -band:].reshape(-1, 3)])
    background = np.median(border, axis=0)
    spread = float(np.sqrt(((border - background) ** 2).sum(axis=1)).mean())
    if spread > PLAIN_BORDER_STD:
        if not salient or model_path() is None:
            raise NotPlaceable("the background is not plain (a scene or a model photo): take a flat shot on a plain background")
        mask = (salient_mask(rgb) > 0.5).astype(np.uint8)  # the network's cut-out, then the same clean-up
    else:
        distance = np.sqrt(((lab - background) ** 2).sum(axis=2))
        # a smooth studio background lets a white shirt on light grey through; a noisy one needs a wider margin
        threshold = float(np.clip(4.0 * spread + 4.0, MIN_DISTANCE, BACKGROUND_DISTANCE))
        mask = (distance > threshold).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        raise NotPlaceable("no garment stands out from the background")
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = (labels == largest).astype(np.uint8)
    # fill specks only (a print close to the background colour); bigger enclosed background is a real hole in the
    # fabric (a ripped T-shirt) or the gap between a sleeve and the body, and must stay see-through
    holes = (1 - mask).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    area = int(mask.sum())
    for index in range(1, count):
        x, y, bw, bh, size = stats[index]
        touches = x == 0 or y == 0 or x + bw >= w or y + bh >= h
        if not touches and size < 0.0005 * area:
            mask[labels == index] = 1
    if mask.mean() < 0.05:
        raise NotPlaceable("the garment covers under 5 % of the photo")
    return mask * 255


def _run_around(row: np.ndarray, x: int) -> tuple[int, int] | None:
    """The run of garment pixels in `row` that contains column `x` (or the nearest run to it)."""
    on = np.flatnonzero(row)
    if on.size == 0:
        return None
    if not row[x]:
        x = int(on[np.argmin(np.abs(on - x))])
    left = x
    while left > 0 and row[left - 1]:
        left -= 1
    right = x
    while right < row.size - 1 and row[right + 1]:
        right += 1
    return left, right


def find_shape(alpha: np.ndarray, max_aspect: float = 2.6) -> GarmentShape:
    """Landmarks of a front-view top from its alpha mask; raises NotPlaceable with the reason when they are not there.

    Two outlines are told apart. "spread": the sleeves stand out sideways (T-shirts, shirts laid flat), so the
    body's side lines step outwards at the armpits and each sleeve is placed along its arm. "hanging": the
    sleeves lie along the body (most flat-lays of sweaters and jackets), the armpits are hidden, and the
    outline is placed as one piece from its shoulders and hem, which suits a shopper standing arms down.
    `max_aspect`: the tallest outline accepted, in widths (a top 2.6; a maxi dress is longer).
    """
    mask = alpha > 127
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    height, width = bottom - top + 1, right - left + 1
    h, w = mask.shape
    if left <= 1 or right >= w - 2 or top <= 1 or bottom >= h - 2:
        raise NotPlaceable("the garment is cut off by the photo's edge")
    if height < 0.5 * width:
        raise NotPlaceable("the outline is much wider than tall (folded or photographed from the side)")
    if height > max_aspect * width:
        raise NotPlaceable("the outline is too narrow for a garment seen from the front")
    centre = int(round(np.median(xs[ys > top + 0.5 * height])))  # the body's centre line, from its lower half
    runs: dict[int, tuple[int, int]] = {}
    for y in range(top, bottom + 1):
        run = _run_around(mask[y], centre)
        if run is not None:
            runs[y] = run
    # the body's hem is where the centre columns end (hanging cuffs may reach lower; a ragged hem varies)
    band = mask[:, max(0, centre - width // 10): centre + width // 10 + 1]
    lowest = np.where(band.any(axis=0), band.shape[0] - 1 - np.argmax(band[::-1], axis=0), 0)
    hem_y = int(np.median(lowest)) - max(1, int(0.03 * height))
    hem_run = runs.get(hem_y)
    if hem_run is None:
        raise NotPlaceable("no hem found")
    if abs((centre - hem_run[0]) - (hem_run[1] - centre)) > 0.3 * (hem_run[1] - hem_run[0]):
        raise NotPlaceable("the outline is not symmetric enough for a front view")
    half = max(2, int(0.18 * (hem_run[1] - hem_run[0])))
    neck_l = _highest(mask, centre - half, centre - 1)
    neck_r = _highest(mask, centre + 1, centre + half)
    hem_l, hem_r = (float(hem_run[0]), float(hem_y)), (float(hem_run[1]), float(hem_y))
    armpits = [_armpit(runs, hem_y, top + int(0.12 * height), side, width) for side in (0, 1)]
    # a "step" in the lower half is a sleeve lying against the body, not an armpit
    armpits = [a if a is not None and a[1] < top + 0.55 * height else None for a in armpits]
    upper = [runs[y][1] - runs[y][0] for y in runs if y < top + 0.5 * height]
    spread = bool(upper) and max(upper) > 1.25 * (hem_run[1] - hem_run[0]) and None not in armpits
    extra = {"width": float(width), "height": float(height), "centre": float(centre)}

    def topmost(x: float) -> tuple[float, float]:
        column = np.flatnonzero(mask[:, int(round(x))])
        return (float(x), float(column.min()))

    if not spread:
        # a strap or sleeveless top has no shoulder seams at its top corners (only straps): nothing to place it by
        # (a high collar is narrow too, but by 15 % of the height the shoulders are there; straps still are not)
        across = int(mask[top + int(0.15 * height)].sum())
        if across < 0.55 * (hem_run[1] - hem_run[0]):
            raise NotPlaceable("a strap or sleeveless top: its outline gives no shoulder seams to place it by")
        # hanging sleeves: the shoulder seams are the outline's top corners; armpits sit a quarter down its sides
        y_side = top + int(0.25 * height)
        side_run = runs.get(y_side) or (left, right)
        shoulder_l = topmost(side_run[0] + 0.06 * width)
        shoulder_r = topmost(side_run[1] - 0.06 * width)
        y_arm = top + int(0.3 * height)
        arm_run = runs.get(y_arm) or side_run
        return GarmentShape(
            neck_left=neck_l, neck_right=neck_r, shoulder_left=shoulder_l, shoulder_right=shoulder_r,
            armpit_left=(float(arm_run[0]), float(y_arm)), armpit_right=(float(arm_run[1]), float(y_arm)),
            hem_left=hem_l, hem_right=hem_r, sleeves="hanging", extra=extra,
        )
    (ax_l, ay_l), (ax_r, ay_r) = armpits  # type: ignore[misc]
    body = ax_r - ax_l
    if body < 0.25 * width or abs((centre - ax_l) - (ax_r - centre)) > 0.3 * body:
        raise NotPlaceable("the outline is not symmetric enough for a front view")
    shoulder_l, shoulder_r = topmost(ax_l + 0.04 * body), topmost(ax_r - 0.04 * body)
    cuffs: list[tuple[float, float]] = []
    for side, (shoulder, armpit) in enumerate(((shoulder_l, (ax_l, ay_l)), (shoulder_r, (ax_r, ay_r)))):
        limit = int(armpit[0])
        sleeve = mask[:, : max(1, limit - 1)] if side == 0 else mask[:, limit + 2:]
        sy, sx = np.nonzero(sleeve)
        if side == 1:
            sx = sx + limit + 2
        if sx.size < 0.01 * mask.sum():
            raise NotPlaceable("a sleeve is too small to place")
        root = np.array([(shoulder[0] + armpit[0]) / 2, (shoulder[1] + armpit[1]) / 2])
        far = np.hypot(sx - root[0], sy - root[1])
        tip = far >= np.percentile(far, 97)
        cuffs.append((float(sx[tip].mean()), float(sy[tip].mean())))
    return GarmentShape(
        neck_left=neck_l, neck_right=neck_r, shoulder_left=shoulder_l, shoulder_right=shoulder_r,
        armpit_left=(ax_l, ay_l), armpit_right=(ax_r, ay_r), hem_left=hem_l, hem_right=hem_r,
        cuff_left=cuffs[0], cuff_right=cuffs[1], sleeves="spread", extra=extra,
    )


def _armpit(runs: dict[int, tuple[int, int]], hem_y: int, stop_y: int, side: int, width: int) -> tuple[float, float] | None:
    """Where one side line of the body leaves its course outwards (a sleeve begins), scanning up from the hem.

    The innermost edge seen so far is the body's line; once the edge is more than ARMPIT_JUMP of the width
    outside it, the armpit is the last row before the departure began (within 1.5 % of the width of that line).
    """
    sign = 1 if side == 0 else -1  # outward is smaller x on the left side, larger x on the right
    inner: float | None = None
    history: list[tuple[int, int]] = []
    for y in range(hem_y, stop_y, -1):
        run = runs.get(y)
        if run is None:
            continue
        edge = run[side]
        history.append((y, edge))
        inner = edge if inner is None else (max(inner, edge) if side == 0 else min(inner, edge))
        if sign * (inner - edge) > ARMPIT_JUMP * width:
            for yy, ee in reversed(history):
                if sign * (inner - ee) <= 0.015 * width:
                    return (float(ee), float(yy))
            return None
    return None


def _highest(mask: np.ndarray, x0: int, x1: int) -> tuple[float, float]:
    """The topmost garment pixel between columns x0 and x1 (inclusive)."""
    window = mask[:, max(0, x0): x1 + 1]
    rows = np.where(window.any(axis=0), window.argmax(axis=0), mask.shape[0])
    best = int(np.argmin(rows))
    return (float(max(0, x0) + best), float(rows[best]))
