"""The fallback garment cut-out for busy backgrounds: U^2-Net-p (4.6 MB, MIT) on onnxruntime.

Why a fallback, not the default: a plain studio background is cut out exactly by a colour threshold in a few
milliseconds, while the network takes ~0.8 s a photo and blurs fine edges. It is the second try for product shots
on a textured floor, a wooden table or a gradient, which the threshold refuses.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image

from daogou.models.onnx_cache import session

MODEL = Path(__file__).parent / "models" / "u2netp.onnx"
SIDE = 320
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

_lock = threading.Lock()
_session = None


def salient_mask(rgb: np.ndarray) -> np.ndarray:
    """Probability (0–1, float32, the photo's size) that each pixel belongs to the main object."""
    global _session
    with _lock:
        if _session is None:
            _session = session(MODEL)
    image = Image.fromarray(rgb).convert("RGB")
    small = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.LANCZOS), dtype=np.float32)
    small = small / max(1.0, float(small.max()))
    pixels = ((small - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
    output = _session.run(None, {_session.get_inputs()[0].name: pixels})[0][0, 0]
    low, high = float(output.min()), float(output.max())
    scaled = (output - low) / (high - low) if high > low else np.zeros_like(output)
    return np.asarray(Image.fromarray((scaled * 255).astype(np.uint8)).resize(image.size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
