""""Shop the look": a photo of a dressed person → one box per thing worn (top, bottoms, shoes), each its own query.

Why boxes from the pose: a whole-photo search mixes whatever the person wears and returns a bit of each; the
body's landmarks say where a top, trousers and shoes must be, so each crop is searched alone and filtered to
its kind of product. A photo without a person (a lone product) stays one region: the whole photo, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from daogou.tryon.person import (
    LEFT_ANKLE,
    LEFT_ELBOW,
    LEFT_FOOT,
    LEFT_HEEL,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_ANKLE,
    RIGHT_ELBOW,
    RIGHT_FOOT,
    RIGHT_HEEL,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    Person,
    PersonFinder,
)

#: A region smaller than this share of the photo is not worth a search (a shoe 10 pixels wide).
MIN_AREA = 0.01


@dataclass
class Region:
    """One thing worn: its kind ("upper", "lower", "shoes"; "whole" for a photo without a person) and box."""

    kind: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the photo's pixels
    crop: Image.Image = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "box": list(self.box)}


@dataclass
class Look:
    """The regions found in a photo (in the photo's own pixel size) and whether a person was there."""

    regions: list[Region]
    person: bool
    width: int
    height: int


def _box(points: np.ndarray, pad_x: float, pad_top: float, pad_bottom: float, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return (max(0, int(x0 - pad_x)), max(0, int(y0 - pad_top)), min(w, int(x1 + pad_x)), min(h, int(y1 + pad_bottom)))


def find_regions(image: Image.Image, finder: PersonFinder) -> Look:
    """Boxes for the top, the bottoms and the shoes of the person in `image`, each from the landmarks that bound it."""
    rgb = np.asarray(image.convert("RGB"))
    h, w = rgb.shape[:2]
    found = finder.landmarks(rgb)
    whole = Look([Region("whole", (0, 0, w, h), image)], person=False, width=w, height=h)
    if found is None:
        return whole
    points, visibility, mask, _ = found
    person = Person(points=points, visibility=visibility, mask=mask, face=None)
    seen = person.seen
    if not seen(LEFT_SHOULDER, RIGHT_SHOULDER):
        return whole
    span = person.shoulder_width
    boxes: list[tuple[str, tuple[int, int, int, int]]] = []
    upper = [LEFT_SHOULDER, RIGHT_SHOULDER] + [i for i in (LEFT_ELBOW, RIGHT_ELBOW, LEFT_HIP, RIGHT_HIP) if seen(i)]
    bottom_pad = 0.15 * span if seen(LEFT_HIP, RIGHT_HIP) else 1.2 * span
    boxes.append(("upper", _box(points[upper], 0.25 * span, 0.25 * span, bottom_pad, w, h)))
    if seen(LEFT_HIP, RIGHT_HIP) and (seen(LEFT_KNEE) or seen(RIGHT_KNEE)):
        lower = [LEFT_HIP, RIGHT_HIP] + [i for i in (LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE) if seen(i)]
        boxes.append(("lower", _box(points[lower], 0.35 * span, 0.1 * span, 0.1 * span, w, h)))
    feet = [i for i in (LEFT_ANKLE, RIGHT_ANKLE, LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT, RIGHT_FOOT) if seen(i)]
    if len(feet) >= 3:
        boxes.append(("shoes", _box(points[feet], 0.3 * span, 0.15 * span, 0.25 * span, w, h)))
    regions = [Region(kind, box, image.crop(box)) for kind, box in boxes
               if (box[2] - box[0]) * (box[3] - box[1]) >= MIN_AREA * w * h and box[2] > box[0] and box[3] > box[1]]
    if not regions:
        return whole
    return Look(regions, person=True, width=w, height=h)
