"""Person photos: try-on previews of a product on a shopper's photo, product rigs, and "shop the look".

The service (`daogou.tryon.service.TryOn`) needs the optional extra `pip install -e ".[tryon]"` (mediapipe and
OpenCV); this package's top level imports neither, so the core install can ask `installed()` first.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from daogou.errors import ModelUnavailable
from daogou.tryon.refusals import NotTryable, PhotoRefused

if TYPE_CHECKING:
    from daogou.catalog.schema import Product
    from daogou.search.inputs import ImageSource
    from daogou.tryon.service import TryOn

EXTRA_HINT = 'try-on and "shop the look" need the optional extra: pip install -e ".[tryon]"'


def installed() -> bool:
    """Whether the [tryon] extra is importable here (mediapipe and OpenCV)."""
    return find_spec("mediapipe") is not None and find_spec("cv2") is not None


def service(folder: Path, product_photo: Callable[[Product], ImageSource | None]) -> TryOn:
    """The shop's TryOn service (rigs cached in `folder`); ModelUnavailable with the install hint without the extra.

    mediapipe and OpenCV are imported only here, when person photos are first used.
    """
    if not installed():
        raise ModelUnavailable(EXTRA_HINT)
    from daogou.tryon.service import TryOn

    return TryOn(folder, product_photo)


__all__ = ["EXTRA_HINT", "NotTryable", "PhotoRefused", "installed", "service"]
