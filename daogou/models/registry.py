"""Model names → loaded encoders, once per process, on one intra-op thread.

Why a registry: daogou.toml names models by string. Registry names are the offline pack that ships
inside packages (../shared/MODELS.md); anything else is treated as a local directory or a hub id and
loaded through transformers, so a shop with its own CLIP or bge checkpoint just names it.
Why one thread: on 2 cores every model here ran several times slower with 2 threads than with 1;
we parallelise across processes instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from threadpoolctl import threadpool_limits

from daogou.errors import ModelUnavailable
from daogou.models.protocols import ImageEncoder, TextEncoder

_lock = threading.Lock()
_text_cache: dict[str, TextEncoder] = {}
_image_cache: dict[str, ImageEncoder] = {}


def _one_thread() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # The BLAS and OpenMP pools already loaded (numpy's and scipy's OpenBLAS, FAISS's libgomp) default to one
    # thread per core, and their idle threads spin: a Myntra text search used 16 ms on its own thread and 33 ms
    # of process CPU; limited to one thread, 16 and 17 ms.
    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # torch is a dependency, but a text-only deployment may not need it loaded
        pass


def _offline_text(name: str) -> TextEncoder:
    from daogou.models.text import E5SmallEncoder

    return E5SmallEncoder(name=name)


def _offline_image(name: str) -> ImageEncoder:
    from daogou.models.image import EfficientNetLite0Encoder

    return EfficientNetLite0Encoder(name=name)


TEXT_MODELS: dict[str, Callable[[str], TextEncoder]] = {"e5-small": _offline_text}
def _colour(name: str) -> ImageEncoder:
    from daogou.models.colour import ColourHistogramEncoder

    return ColourHistogramEncoder(name=name)


IMAGE_MODELS: dict[str, Callable[[str], ImageEncoder]] = {"efficientnet-lite0": _offline_image, "colour-hist-v1": _colour}


def _from_transformers(spec: str, kind: str) -> object:
    """Load a transformers model from a local directory or a hub id, with an error that says what to do."""
    if not Path(spec).is_dir() and "/" not in spec:
        known = sorted(TEXT_MODELS if kind == "text" else IMAGE_MODELS)
        raise ModelUnavailable(f"unknown {kind} model {spec!r}: use one of {known}, a local model directory or a hub id")
    try:
        if kind == "text":
            from daogou.models.text import TransformersTextEncoder

            return TransformersTextEncoder(spec)
        from daogou.models.image import TransformersImageEncoder

        return TransformersImageEncoder(spec)
    except ImportError as exc:
        raise ModelUnavailable(f"{kind} model {spec!r} needs the 'transformers' package: pip install transformers") from exc
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"cannot load {kind} model {spec!r}: {exc}. Give a local directory, or a hub id on a machine that is online."
        ) from exc


def _cached(cache: dict, spec: str, loaders: dict, kind: str):  # type: ignore[no-untyped-def,type-arg]
    with _lock:
        if spec not in cache:
            _one_thread()
            loader = loaders.get(spec)
            cache[spec] = loader(spec) if loader else _from_transformers(spec, kind)
        return cache[spec]


def text_encoder(spec: str) -> TextEncoder:
    """The text encoder named by `spec`, loaded once per process."""
    return _cached(_text_cache, spec, TEXT_MODELS, "text")  # type: ignore[no-any-return]


def image_encoder(spec: str) -> ImageEncoder:
    """The image encoder named by `spec`, loaded once per process."""
    return _cached(_image_cache, spec, IMAGE_MODELS, "image")  # type: ignore[no-any-return]
