"""Models converted to ONNX once per machine and run on onnxruntime with one intra-op thread.

Why a cache: the conversions (torch export, weight re-packing) take seconds to tens of seconds, the
results are a few MB, and every process (server workers, indexing workers) needs them. A converted
file is named by what it was made from (the hash of the source weights) and by the recipe, so a new
daogou release with a changed recipe never reads an old file; it is written atomically, so two
processes converting at once both end with a whole file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from daogou import atomic

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_dir() -> Path:
    """Where converted models live: DAOGOU_CACHE, else ~/.cache/daogou."""
    return Path(os.environ.get("DAOGOU_CACHE") or Path.home() / ".cache" / "daogou")


def file_digest(path: Path) -> str:
    """A short content hash of a weight file (names the converted model)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


def converted(name: str, build: Callable[[], bytes]) -> Path:
    """The cached file `name`, built by `build` (returning the ONNX bytes) when it is not there yet."""
    path = cache_dir() / name
    if not path.exists():
        atomic.write_bytes(path, build())
    return path


def session(path: Path, threads: int = 1):  # type: ignore[no-untyped-def]
    """An onnxruntime CPU session on `threads` intra-op threads (one: we parallelise across processes)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def optional(build: Callable[[], T], what: str, fallback: str) -> T | None:
    """`build()`, or None with one warning line when the conversion or the runtime fails (the caller then
    runs its `fallback`): a machine without onnx or with a broken cache still serves, only slower."""
    try:
        return build()
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        log.warning("onnxruntime %s unavailable (%s); %s", what, str(exc).splitlines()[0][:200], fallback)
        return None
