"""Place a garment rig on a person: control points on the body, the warp, arm occlusion, the composite.

Why this geometry: the garment keeps its own proportions (a long coat stays long), scaled so its shoulder
seams sit just outside the shopper's shoulder joints and turned with the torso; each sleeve then follows its
arm (shoulder → elbow → wrist) for as far as the sleeve is long. Pixels the garment does not cover are never
touched, nor is the face: the result is a preview that cannot be mistaken for an edited photo of the person.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from daogou.tryon.garment import GarmentShape
from daogou.tryon.person import (
    LEFT_ANKLE,
    LEFT_ELBOW,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    LEFT_WRIST,
    RIGHT_ANKLE,
    RIGHT_ELBOW,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
    Person,
)
from daogou.tryon.warp import ThinPlateSpline, warp_image

#: Shoulder seams sit this share of the shoulder width outside, and above, the shoulder joints.
SEAM_OUT = 0.14
SEAM_UP = 0.05
#: The garment may spill this share of the shoulder width past the person's outline (loose fits), no further.
SPILL_MARGIN = 0.04
#: A forearm in front of the body is this share of the shoulder width thick.
FOREARM = 0.30


@dataclass
class Placement:
    """Garment control points (n, 2) and where they land on the photo (n, 2), with their names."""

    names: list[str]
    garment: np.ndarray
    body: np.ndarray
    #: sleeves reach the forearms (long sleeves followed along the arm, or sleeves hanging beside the body)
    long_sleeves: bool


def unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])


def place(shape: GarmentShape, person: Person) -> Placement:
    """Where each garment landmark goes on this person (photo-left garment side ↔ the person's right side)."""
    left, right = person.point(RIGHT_SHOULDER), person.point(LEFT_SHOULDER)  # photo-left, photo-right
    width = float(np.linalg.norm(right - left))
    u = unit(right - left)
    down = np.array([-u[1], u[0]])
    if person.seen(LEFT_HIP, RIGHT_HIP):
        torso = unit((person.point(LEFT_HIP) + person.point(RIGHT_HIP)) / 2 - (left + right) / 2)
        down = unit(down + torso)  # between square-on and the torso's own lean
    seam_l = left - u * SEAM_OUT * width - down * SEAM_UP * width
    seam_r = right + u * SEAM_OUT * width - down * SEAM_UP * width
    g_l, g_r = np.array(shape.shoulder_left), np.array(shape.shoulder_right)
    g_u = unit(g_r - g_l)
    g_d = np.array([-g_u[1], g_u[0]])
    scale = float(np.linalg.norm(seam_r - seam_l) / max(1.0, np.linalg.norm(g_r - g_l)))
    g0, t0 = (g_l + g_r) / 2, (seam_l + seam_r) / 2

    def frame(p: tuple[float, float] | np.ndarray) -> np.ndarray:
        rel = np.asarray(p, dtype=np.float64) - g0
        return t0 + scale * (float(rel @ g_u) * u + float(rel @ g_d) * down)

    names, src, dst = [], [], []
    for name, point in shape.points().items():
        if name.startswith("cuff"):
            continue
        names.append(name)
        src.append(point)
        dst.append(seam_l if name == "shoulder_left" else seam_r if name == "shoulder_right" else frame(point))
    long_sleeves = shape.sleeves == "hanging"
    if shape.cuff_left is not None and shape.cuff_right is not None:
        arms = ((shape.cuff_left, shape.shoulder_left, shape.armpit_left, RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST, "left"),
                (shape.cuff_right, shape.shoulder_right, shape.armpit_right, LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, "right"))
        for cuff, g_shoulder, g_armpit, s_i, e_i, w_i, side in arms:
            root = (np.array(g_shoulder) + np.array(g_armpit)) / 2
            length = scale * float(np.linalg.norm(np.array(cuff) - root))
            path = [person.point(s_i)]
            for joint in (e_i, w_i):
                if person.seen(joint):
                    path.append(person.point(joint))
            if len(path) == 1:  # arms not visible: let the sleeve hang straight down the side
                path.append(path[0] + down * width)
            target, joints = along(path, length)
            dst.append(target)
            src.append(cuff)
            names.append(f"cuff_{side}")
            if joints:  # the sleeve reaches past the elbow: bend it there
                upper = float(np.linalg.norm(path[1] - path[0]))
                t = upper / max(length, 1e-6)
                src.append(tuple(root + t * (np.array(cuff) - root)))
                dst.append(path[1])
                names.append(f"elbow_{side}")
                long_sleeves = True
    return Placement(names, np.array(src, dtype=np.float64), np.array(dst, dtype=np.float64), long_sleeves)


def along(path: list[np.ndarray], length: float) -> tuple[np.ndarray, int]:
    """The point `length` along a polyline (extended past its end), and how many inner joints it passed."""
    walked = 0.0
    for i in range(len(path) - 1):
        step = float(np.linalg.norm(path[i + 1] - path[i]))
        if walked + step >= length or i == len(path) - 2:
            rest = length - walked
            return path[i] + unit(path[i + 1] - path[i]) * rest, i
        walked += step
    return path[-1], 0


@dataclass
class Fitted:
    """The composite photo and what the checks measured on it."""

    image: np.ndarray  # (H, W, 3) uint8
    alpha: np.ndarray  # (H, W) 0–1: where the garment is
    spill: float  # share of the garment drawn outside the person's outline (the gap between the legs counts as inside
    # for what hangs across it: dresses, long coats), within SPILL_MARGIN of it
    spill_raw: float  # the same before clipping to the outline: how well the warp itself fits
    coverage: float | None  # share of the shoulder–hip (or hip–knee) quad the garment covers; None for glasses and hats


def compose(photo: np.ndarray, person: Person, rgba: np.ndarray, placement: Placement, lower: bool = False, on_face: bool = False) -> Fitted:
    """Warp the cut-out onto the photo, keep forearms and the face in front, and blend it in.

    `lower`: a lower-body garment, whose coverage is measured over the hips-to-knees quad instead of the torso.
    `on_face`: glasses or a hat, drawn over the face and past the outline (a hat's crown rises above the hair).
    """
    h, w = photo.shape[:2]
    # where the garment lands: the forward map of its outline bounds the work (a garment covers part of a photo)
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    step = max(1, len(xs) // 400)
    outline = np.stack([xs[::step], ys[::step]], axis=1).astype(np.float64)
    landed = ThinPlateSpline(placement.garment, placement.body)(outline)
    pad = 0.1 * person.shoulder_width
    box = (landed[:, 0].min() - pad, landed[:, 1].min() - pad, landed[:, 0].max() + pad, landed[:, 1].max() + pad)
    warped = warp_image(rgba, placement.garment, placement.body, (w, h), box)
    alpha = warped[..., 3].astype(np.float32) / 255.0
    inside = person.mask > 0.5
    if not lower and person.seen(LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE):
        # a dress or a long coat hangs across the gap between the legs: the outline there is not the garment's limit
        legs = [person.point(RIGHT_HIP), person.point(LEFT_HIP), person.point(LEFT_KNEE)]
        legs += [person.point(i) for i in (LEFT_ANKLE, RIGHT_ANKLE) if person.seen(i)] + [person.point(RIGHT_KNEE)]
        gap = np.zeros(inside.shape, np.uint8)
        cv2.fillPoly(gap, [np.array(legs, dtype=np.int32)], 1)
        inside = inside | gap.astype(bool)
    garment_area = float((alpha > 0.5).sum())
    spill_raw = float(((alpha > 0.5) & ~inside).sum() / garment_area) if garment_area else 0.0
    margin = max(1, int(SPILL_MARGIN * person.shoulder_width))
    allowed = cv2.dilate(inside.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1)))
    if not on_face:
        alpha *= allowed.astype(np.float32)
    if not placement.long_sleeves:
        alpha *= 1.0 - _forearms(person, h, w)
    if person.face is not None and not on_face:
        x0, y0, x1, y1 = person.face
        alpha[max(0, y0): max(0, y1), max(0, x0): max(0, x1)] = 0.0
    # soften the cut edge by a pixel without letting it grow outwards
    alpha = np.minimum(alpha, cv2.GaussianBlur(alpha, (3, 3), 0)) if alpha.any() else alpha
    blended = photo.astype(np.float32) * (1.0 - alpha[..., None]) + warped[..., :3].astype(np.float32) * alpha[..., None]
    image = np.where(alpha[..., None] > 0, np.clip(np.rint(blended), 0, 255).astype(np.uint8), photo)
    drawn = alpha > 0.5
    spill = float((drawn & ~inside).sum() / max(1, drawn.sum()))
    coverage = None if on_face else legs_coverage(person, alpha) if lower else torso_coverage(person, alpha)
    return Fitted(image=image, alpha=alpha, spill=spill, spill_raw=spill_raw, coverage=coverage)


def _forearms(person: Person, h: int, w: int) -> np.ndarray:
    """Forearms (elbow → wrist, on the person) as a 0/1 map: short sleeves end above them, so they stay in front."""
    canvas = np.zeros((h, w), np.uint8)
    thick = max(2, int(FOREARM * person.shoulder_width))
    for elbow, wrist in ((LEFT_ELBOW, LEFT_WRIST), (RIGHT_ELBOW, RIGHT_WRIST)):
        if person.seen(elbow, wrist):
            a, b = person.point(elbow), person.point(wrist)
            cv2.line(canvas, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, thick)
    return (canvas.astype(bool) & (person.mask > 0.5)).astype(np.float32)


def legs_coverage(person: Person, alpha: np.ndarray) -> float:
    """Share of the quad between the hip and knee joints that the garment covers."""
    return _quad_coverage(alpha, [person.point(RIGHT_HIP), person.point(LEFT_HIP), person.point(LEFT_KNEE), person.point(RIGHT_KNEE)])


def _quad_coverage(alpha: np.ndarray, corners: list[np.ndarray]) -> float:
    quad = np.zeros(alpha.shape, np.uint8)
    cv2.fillConvexPoly(quad, np.array(corners, dtype=np.int32), 1)
    inside = quad.astype(bool)
    return float((alpha[inside] > 0.5).mean()) if inside.any() else 0.0


def torso_coverage(person: Person, alpha: np.ndarray) -> float:
    """Share of the quad between the shoulder and hip joints that the garment covers (hips unseen: shoulders + a square)."""
    left, right = person.point(RIGHT_SHOULDER), person.point(LEFT_SHOULDER)
    if person.seen(LEFT_HIP, RIGHT_HIP):
        hip_l, hip_r = person.point(RIGHT_HIP), person.point(LEFT_HIP)
    else:
        down = np.array([-(right - left)[1], (right - left)[0]])
        hip_l, hip_r = left + down, right + down
    return _quad_coverage(alpha, [left, right, hip_r, hip_l])
