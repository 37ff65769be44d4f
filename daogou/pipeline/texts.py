"""Embed arbitrary texts (titles, masked titles, review sentences) in parallel, cached on disk by content.

Why: training heads needs text features that are not the indexed passages (which contain the
labels); encoding thousands of texts takes minutes, so results are cached under the shop and a rerun
of training takes seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.progress import Progress

from daogou import atomic
from daogou.models.registry import text_encoder
from daogou.pipeline.distributors import make_distributor


def _encode(job: tuple[str, list[str], bool]) -> np.ndarray:
    model, texts, as_query = job
    encoder = text_encoder(model)
    return encoder.encode_queries(texts) if as_query else encoder.encode_passages(texts)


def embed_texts(
    texts: Sequence[str], model: str, cache_dir: Path | None = None, workers: int = 2, as_query: bool = False, batch: int = 64, show_progress: bool = True
) -> np.ndarray:
    """Rows of unit vectors for `texts` (empty texts give zero rows), from the cache when the same texts were seen."""
    key = hashlib.sha256("\x1f".join([model, str(as_query), *texts]).encode("utf-8")).hexdigest()[:24]
    path = cache_dir / f"texts-{key}.npy" if cache_dir is not None else None
    if path is not None and path.exists():
        return np.load(path)
    wanted = [i for i, t in enumerate(texts) if t.strip()]
    jobs = [(model, [texts[i] for i in wanted[s : s + batch]], as_query) for s in range(0, len(wanted), batch)]
    parts: list[np.ndarray] = []
    distributor = make_distributor(workers, len(wanted))
    try:
        with Progress(disable=not show_progress) as progress:
            task = progress.add_task(f"embed texts ({model})", total=len(wanted))
            for vectors in distributor.map(_encode, jobs):
                parts.append(vectors)
                progress.advance(task, len(vectors))
    finally:
        distributor.close()
    dim = parts[0].shape[1] if parts else text_encoder(model).dim
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if wanted:
        out[wanted] = np.concatenate(parts)
    if path is not None:
        atomic.write_with(path, lambda tmp: np.save(open(tmp, "wb"), out))
    return out
