"""A product's try-on rig, made once per photo: RGBA cut-out, garment landmarks, control grid — or why not.

Why cached by the photo's content hash: the verdict and the cut-out depend on the picture alone, so a
re-index skips every unchanged photo, and the browser's live mode fetches the same rig the server warps
with (one JSON, one PNG), so both sides place the garment from the same points.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from daogou import atomic
from daogou.tryon.bottoms import BottomsShape, find_bottoms_shape
from daogou.tryon.garment import GarmentShape, NotPlaceable, find_shape, garment_mask
from daogou.tryon.stickers import StickerShape, find_sticker_shape

#: Bump when the recipe changes: old verdicts and cut-outs are then made again.
RIG_VERSION = 5
#: Longest side of a stored cut-out (a person's torso in a 1024-pixel photo is smaller than this).
RIG_SIDE = 512
#: Control grid of the in-browser renderer: vertices per row and per column over the cut-out.
GRID_COLS, GRID_ROWS = 9, 12


@dataclass
class Verdict:
    """Whether a product can be tried on, why not if not, and what was found."""

    eligible: bool
    reason: str = ""
    kind: str | None = None
    sleeves: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Rig:
    """Everything a placement needs: the cut-out (H, W, 4) and its landmarks in the cut-out's pixels."""

    rgba: np.ndarray
    shape: GarmentShape | BottomsShape | StickerShape
    grid: dict[str, object] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if isinstance(self.shape, StickerShape):
            return self.shape.item
        return "lower" if isinstance(self.shape, BottomsShape) else "upper"

    def to_json(self) -> dict[str, object]:
        """The rig as the browser gets it (landmarks by name, the grid's vertices and triangles, the size)."""
        h, w = self.rgba.shape[:2]
        return {"version": RIG_VERSION, "kind": self.kind, "width": w, "height": h, "sleeves": self.shape.sleeves,
                "points": {k: [round(v[0], 2), round(v[1], 2)] for k, v in self.shape.points().items()}, "grid": self.grid}

    def png(self) -> bytes:
        out = io.BytesIO()
        Image.fromarray(self.rgba, "RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue()


def control_grid(width: int, height: int, cols: int = GRID_COLS, rows: int = GRID_ROWS) -> dict[str, object]:
    """A regular grid over the cut-out: vertices (x, y) row by row and two triangles per cell (vertex indices)."""
    xs = np.linspace(0, width - 1, cols)
    ys = np.linspace(0, height - 1, rows)
    vertices = [[round(float(x), 2), round(float(y), 2)] for y in ys for x in xs]
    triangles = []
    for r in range(rows - 1):
        for c in range(cols - 1):
            a, b, d = r * cols + c, r * cols + c + 1, (r + 1) * cols + c
            triangles += [[a, b, d], [b, (r + 1) * cols + c + 1, d]]
    return {"cols": cols, "rows": rows, "vertices": vertices, "triangles": triangles}


def make_rig(rgb: np.ndarray, kind: str = "upper") -> Rig:
    """Cut an item (`kind` "upper", "dress", "lower", "glasses" or "hat") out of its product photo and find its landmarks;
    NotPlaceable says why not."""
    alpha = garment_mask(rgb)
    shape: GarmentShape | BottomsShape | StickerShape
    if kind in ("upper", "dress"):
        shape = find_shape(alpha, max_aspect=2.6 if kind == "upper" else 4.0)
    elif kind == "lower":
        shape = find_bottoms_shape(alpha)
    else:
        shape = find_sticker_shape(alpha, kind)
    # the outline's outermost pixels are half background (a pale fringe on a dark shirt): cut them away
    alpha = cv2.erode(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    ys, xs = np.nonzero(alpha)
    pad = 4
    x0, y0 = max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad)
    x1, y1 = min(rgb.shape[1], int(xs.max()) + pad + 1), min(rgb.shape[0], int(ys.max()) + pad + 1)
    rgba = np.dstack([rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1]]).astype(np.uint8)
    scale = min(1.0, RIG_SIDE / max(rgba.shape[:2]))
    if scale < 1.0:
        size = (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale)))
        rgba = np.asarray(Image.fromarray(rgba, "RGBA").resize(size, Image.Resampling.LANCZOS))

    moved = replace(shape, **{name: ((x - x0) * scale, (y - y0) * scale) for name, (x, y) in shape.points().items()})
    return Rig(rgba=rgba, shape=moved, grid=control_grid(rgba.shape[1], rgba.shape[0]))


class RigCache:
    """Verdicts and rigs on disk under the shop, by photo hash: `<hash>.json` (+ `<hash>.png` when eligible)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _stem(self, image_hash: str) -> Path:
        return self.folder / f"{image_hash[:40]}-v{RIG_VERSION}"

    def verdict(self, image_hash: str) -> Verdict | None:
        """The stored verdict alone (one small JSON read), or None when it was never made."""
        meta = self._stem(image_hash).with_suffix(".json")
        if not meta.exists():
            return None
        return Verdict(**json.loads(meta.read_text(encoding="utf-8"))["verdict"])

    def png(self, image_hash: str) -> bytes | None:
        """The stored cut-out's PNG bytes, or None."""
        path = self._stem(image_hash).with_suffix(".png")
        return path.read_bytes() if path.exists() else None

    def get(self, image_hash: str) -> tuple[Verdict, Rig | None] | None:
        """The stored verdict and rig of a photo, or None when it was never made (or by an older recipe)."""
        stem = self._stem(image_hash)
        meta = stem.with_suffix(".json")
        if not meta.exists():
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        verdict = Verdict(**data["verdict"])
        if not verdict.eligible:
            return verdict, None
        png = stem.with_suffix(".png")
        if not png.exists():
            return None
        rgba = np.asarray(Image.open(png).convert("RGBA"))
        points = {k: tuple(v) for k, v in data["rig"]["points"].items()}
        shape: GarmentShape | BottomsShape | StickerShape
        if data["rig"].get("kind") in ("glasses", "hat"):
            shape = StickerShape(**points, item=data["rig"]["kind"])  # type: ignore[arg-type]
        elif data["rig"].get("kind") == "lower":
            shape = BottomsShape(**points, legs=data["rig"]["sleeves"])  # type: ignore[arg-type]
        else:
            shape = GarmentShape(**points, sleeves=data["rig"]["sleeves"])  # type: ignore[arg-type]
        return verdict, Rig(rgba=rgba, shape=shape, grid=data["rig"]["grid"])

    def put(self, image_hash: str, verdict: Verdict, rig: Rig | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self._stem(image_hash)
        if rig is not None:
            atomic.write_bytes(stem.with_suffix(".png"), rig.png())
        payload = {"verdict": verdict.to_dict(), "rig": rig.to_json() if rig is not None else None}
        atomic.write_text(stem.with_suffix(".json"), json.dumps(payload, ensure_ascii=False))


__all__ = ["NotPlaceable", "Rig", "RigCache", "Verdict", "control_grid", "make_rig"]
