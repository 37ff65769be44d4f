"""Trousers, shorts and skirts: their landmarks from a flat product shot, and where those go on a person's legs.

Why its own module: a lower-body garment hangs from the waist and follows two legs (hip → knee → ankle), where
a top hangs from the shoulders; the outline cues differ too (a crotch gap between two legs instead of armpits).
The placement reuses the top's recipe: the garment keeps its proportions, scaled from its waistband to the
shopper's hips, and each leg is laid along the person's leg for as far as it is long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daogou.tryon.fitting import Placement, along, unit
from daogou.tryon.garment import Landmarks, NotPlaceable
from daogou.tryon.person import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_KNEE,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_KNEE,
    Person,
)
from daogou.tryon.refusals import PhotoRefused

#: The waistband sits this share of the hip-joint distance outside, and above, the hip joints.
WAIST_OUT = 0.45
WAIST_UP = 0.35


@dataclass
class BottomsShape(Landmarks):
    """Landmarks of a lower-body garment in its photo, (x, y) pixels; "left" is the photo's left."""

    waist_left: tuple[float, float]
    waist_right: tuple[float, float]
    crotch: tuple[float, float]
    hem_left_outer: tuple[float, float]
    hem_left_inner: tuple[float, float]
    hem_right_inner: tuple[float, float]
    hem_right_outer: tuple[float, float]
    legs: str = "two"  # "two" (trousers, shorts) or "skirt"

    @property
    def sleeves(self) -> str:  # the verdict's shape word, as for tops
        return self.legs


def find_bottoms_shape(alpha: np.ndarray) -> BottomsShape:
    """Waist corners, crotch and leg hems of trousers, shorts or a skirt seen from the front; NotPlaceable says why not."""
    mask = alpha > 127
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    height, width = bottom - top + 1, right - left + 1
    h, w = mask.shape
    if left <= 1 or right >= w - 2 or top <= 1:  # hems touching the bottom edge are common in trouser shots
        raise NotPlaceable("the garment is cut off by the photo's edge")
    if height < 0.5 * width:
        raise NotPlaceable("the outline is much wider than tall (folded or photographed from the side)")
    waist_row = top + max(1, int(0.02 * height))
    row = np.flatnonzero(mask[waist_row])
    waist_l, waist_r = (float(row.min()), float(waist_row)), (float(row.max()), float(waist_row))
    waist_width = waist_r[0] - waist_l[0]
    if waist_width < 0.5 * width:
        raise NotPlaceable("no waistband across the top of the outline (a bib, straps or a folded garment)")
    centre = int(round((waist_l[0] + waist_r[0]) / 2))
    column = np.flatnonzero(mask[:, max(0, centre - 1): centre + 2].all(axis=1))
    gap_top = int(column.max()) + 1 if column.size else top  # the first background pixel below the waist, on the centre line
    two_legs = gap_top < bottom - 0.05 * height
    hem_row = bottom - max(1, int(0.02 * height))
    runs = _runs(mask[hem_row])
    if two_legs:
        if len(runs) < 2:
            raise NotPlaceable("the legs do not end apart (one leg folded over the other)")
        left_leg, right_leg = runs[0], runs[-1]
        crotch = (float(centre), float(gap_top))
        if abs((centre - left_leg[0]) - (right_leg[1] - centre)) > 0.3 * width:
            raise NotPlaceable("the outline is not symmetric enough for a front view")
    else:
        whole = runs[0] if len(runs) == 1 else (runs[0][0], runs[-1][1])
        half = (whole[0] + whole[1]) / 2
        left_leg, right_leg = (whole[0], int(half)), (int(half), whole[1])
        crotch = (float(centre), float(top + 0.35 * height))
    return BottomsShape(
        waist_left=waist_l, waist_right=waist_r, crotch=crotch,
        hem_left_outer=(float(left_leg[0]), float(hem_row)), hem_left_inner=(float(left_leg[1]), float(hem_row)),
        hem_right_inner=(float(right_leg[0]), float(hem_row)), hem_right_outer=(float(right_leg[1]), float(hem_row)),
        legs="two" if two_legs else "skirt",
    )


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """Runs of garment pixels in a row, left to right, ignoring specks under 3 pixels."""
    on = np.flatnonzero(row)
    if on.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(on) > 1)
    starts = np.concatenate([[on[0]], on[breaks + 1]])
    ends = np.concatenate([on[breaks], [on[-1]]])
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= 2]


def place_bottoms(shape: BottomsShape, person: Person) -> Placement:
    """Waistband just outside and above the hip joints; each leg of the garment along hip → knee → ankle."""
    if not person.seen(LEFT_HIP, RIGHT_HIP) or not (person.seen(LEFT_KNEE) or person.seen(RIGHT_KNEE)):
        raise PhotoRefused("no_legs", "hips and knees must be visible to try on trousers or a skirt: use a full-length photo")
    hip_l, hip_r = person.point(RIGHT_HIP), person.point(LEFT_HIP)  # photo-left, photo-right
    span = float(np.linalg.norm(hip_r - hip_l))
    u = unit(hip_r - hip_l)
    down = np.array([-u[1], u[0]])
    waist_l = hip_l - u * WAIST_OUT * span - down * WAIST_UP * span
    waist_r = hip_r + u * WAIST_OUT * span - down * WAIST_UP * span
    g_l, g_r = np.array(shape.waist_left), np.array(shape.waist_right)
    scale = float(np.linalg.norm(waist_r - waist_l) / max(1.0, np.linalg.norm(g_r - g_l)))
    g_u = unit(g_r - g_l)
    g_d = np.array([-g_u[1], g_u[0]])
    g0, t0 = (g_l + g_r) / 2, (waist_l + waist_r) / 2

    def frame(p: tuple[float, float]) -> np.ndarray:
        rel = np.asarray(p, dtype=np.float64) - g0
        return t0 + scale * (float(rel @ g_u) * u + float(rel @ g_d) * down)

    names = ["waist_left", "waist_right", "crotch"]
    src = [shape.waist_left, shape.waist_right, shape.crotch]
    dst = [waist_l, waist_r, frame(shape.crotch)]
    if shape.legs == "skirt":  # one piece hanging from the waist: its hem corners and middle keep their proportions
        hem_mid = tuple((np.array(shape.hem_left_outer) + np.array(shape.hem_right_outer)) / 2)
        for name, point in (("hem_left_outer", shape.hem_left_outer), ("hem_middle", hem_mid), ("hem_right_outer", shape.hem_right_outer)):
            names.append(name)
            src.append(point)  # type: ignore[arg-type]
            dst.append(frame(point))  # type: ignore[arg-type]
        return Placement(names, np.array(src, dtype=np.float64), np.array(dst, dtype=np.float64), long_sleeves=False)
    legs = ((shape.hem_left_outer, shape.hem_left_inner, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, "left"),
            (shape.hem_right_inner, shape.hem_right_outer, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, "right"))
    laid = []
    for a, b, hip, knee, ankle, side in legs:
        hem = (np.array(a) + np.array(b)) / 2
        top = (g_l if side == "left" else g_r) * 0.5 + np.array(shape.crotch) * 0.5
        length = scale * float(np.linalg.norm(hem - top))
        path = [person.point(hip)]
        for joint in (knee, ankle):
            if person.seen(joint):
                path.append(person.point(joint))
        if len(path) == 1:
            path.append(path[0] + down * 2 * span)
        target, joints = along(path, length)
        direction = unit(path[min(len(path) - 1, joints + 1)] - path[joints])
        half = scale * float(np.linalg.norm(np.array(b) - np.array(a))) / 2
        laid.append((a, b, side, hem, top, length, path, target, joints, direction, half))
    # legs standing close together: the two hems may not cross over each other (the spline would fold the cloth)
    room = 0.48 * float(np.linalg.norm(laid[0][7] - laid[1][7]))
    for a, b, side, hem, top, length, path, target, joints, direction, half in laid:
        half = min(half, room)
        across = np.array([-direction[1], direction[0]])  # towards the photo's left of a leg going down
        outer, inner = (target + across * half, target - across * half) if side == "left" else (target - across * half, target + across * half)
        names += [f"hem_{side}_outer", f"hem_{side}_inner"]
        src += [a, b] if side == "left" else [b, a]
        dst += [outer, inner]
        if joints:  # the leg reaches past the knee: bend there
            t = float(np.linalg.norm(path[1] - path[0])) / max(length, 1e-6)
            names.append(f"knee_{side}")
            src.append(tuple(top + t * (hem - top)))
            dst.append(path[1])
    return Placement(names, np.array(src, dtype=np.float64), np.array(dst, dtype=np.float64), long_sleeves=False)
