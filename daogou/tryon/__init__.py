"""Person photos: try-on previews of a product on a shopper's photo, product rigs, and "shop the look".

The service (`daogou.tryon.service.TryOn`) needs the optional extra `pip install -e ".[tryon]"` (mediapipe and
OpenCV); this package's top level imports neither, so the core install can ask `installed()` first.
"""

from __future__ import annotations

from importlib.util import find_spec

from daogou.tryon.refusals import NotTryable, PhotoRefused

EXTRA_HINT = 'try-on and "shop the look" need the optional extra: pip install -e ".[tryon]"'


def installed() -> bool:
    """Whether the [tryon] extra is importable here (mediapipe and OpenCV)."""
    return find_spec("mediapipe") is not None and find_spec("cv2") is not None


__all__ = ["EXTRA_HINT", "NotTryable", "PhotoRefused", "installed"]
