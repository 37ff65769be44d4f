"""Glasses and hats: worn on the face and head, placed as stickers from the eye and ear landmarks.

Why stickers: sunglasses and caps are rigid, so a similarity (scale, turn, shift) from two face landmarks places
them; no body warp is needed. Sizes follow the body's own proportions: a frame is about 2.2 pupil distances
wide, a cap's brim about 1.5 ear distances, seated on the forehead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daogou.tryon.fitting import Placement, unit
from daogou.tryon.garment import Landmarks, NotPlaceable
from daogou.tryon.person import LEFT_EAR, LEFT_EYE, RIGHT_EAR, RIGHT_EYE, Person
from daogou.tryon.refusals import PhotoRefused

#: Frame width in pupil distances (a 140 mm frame over a 63 mm pupil distance).
GLASSES_SPAN = 2.2
#: Lenses sit this many pupil distances below the eye line's centre (pose eye points are the pupils).
GLASSES_DROP = 0.0
#: Hat width in ear-to-ear distances, and how far above the eyes its lower edge sits (ear distances).
HAT_SPAN = 1.5
HAT_RISE = 0.3


@dataclass
class StickerShape(Landmarks):
    """A rigid accessory's left and right extremes and its anchor ((x, y) pixels): glasses' centre, a hat's lower edge."""

    left: tuple[float, float]
    right: tuple[float, float]
    anchor: tuple[float, float]
    item: str  # "glasses" or "hat"

    @property
    def sleeves(self) -> str:  # the verdict's shape word, as for garments
        return self.item


def find_sticker_shape(alpha: np.ndarray, item: str) -> StickerShape:
    """Extremes and anchor of sunglasses or a hat seen from the front; NotPlaceable says why not."""
    mask = alpha > 127
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    width, height = right - left + 1, bottom - top + 1
    h, w = mask.shape
    if left <= 1 or right >= w - 2 or top <= 1 or bottom >= h - 2:
        raise NotPlaceable("the item is cut off by the photo's edge")
    middle = (top + bottom) / 2
    if item == "glasses":
        if width < 1.6 * height:
            raise NotPlaceable("not a front view of glasses (the outline is not wide enough: folded or seen from the side)")
        return StickerShape((float(left), middle), (float(right), middle), ((left + right) / 2, middle), item)
    if width < 0.6 * height:
        raise NotPlaceable("not a front view of a hat (the outline is taller than wide)")
    return StickerShape((float(left), float(bottom)), (float(right), float(bottom)), ((left + right) / 2, float(bottom)), item)


def place_sticker(shape: StickerShape, person: Person) -> Placement:
    """A similarity from the item's extremes onto the face: eyes for glasses, ears and eyes for a hat."""
    if not person.seen(LEFT_EYE, RIGHT_EYE):
        raise PhotoRefused("no_face", "the eyes must be visible to try on glasses or a hat: face the camera")
    eye_l, eye_r = person.point(RIGHT_EYE), person.point(LEFT_EYE)  # photo-left, photo-right
    u = unit(eye_r - eye_l)
    down = np.array([-u[1], u[0]])
    centre = (eye_l + eye_r) / 2
    if shape.item == "glasses":
        span = GLASSES_SPAN * float(np.linalg.norm(eye_r - eye_l))
        anchor = centre + down * GLASSES_DROP * float(np.linalg.norm(eye_r - eye_l))
    else:
        ears = float(np.linalg.norm(person.point(LEFT_EAR) - person.point(RIGHT_EAR))) if person.seen(LEFT_EAR, RIGHT_EAR) else 2.6 * float(np.linalg.norm(eye_r - eye_l))
        span = HAT_SPAN * ears
        anchor = centre - down * HAT_RISE * ears
    g_l, g_r, g_a = (np.array(p, dtype=np.float64) for p in (shape.left, shape.right, shape.anchor))
    g_u = unit(g_r - g_l)
    g_d = np.array([-g_u[1], g_u[0]])
    scale = span / max(1.0, float(np.linalg.norm(g_r - g_l)))

    def onto(p: np.ndarray) -> np.ndarray:
        rel = p - g_a
        return anchor + scale * (float(rel @ g_u) * u + float(rel @ g_d) * down)

    half = float(np.linalg.norm(g_r - g_l)) / 2
    src = [g_l, g_r, g_a + g_d * half, g_a - g_d * half]
    return Placement(["left", "right", "below", "above"], np.array(src), np.array([onto(p) for p in src]), long_sleeves=True)
