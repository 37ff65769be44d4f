"""Which engine holds a shop's vector indexes: FAISS files in the generation folder (embedded default) or pgvector
tables in PostgreSQL (`vector_url` setting). The builder and the searcher ask here, so neither names an engine.

Why the generation folder still decides on load: each space's manifest says which backend built it, so a
searcher opens exactly what the live generation holds, even while the setting is being changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from daogou.config import Settings
from daogou.errors import IndexMismatch
from daogou.index.pgvector import BACKEND as PGVECTOR
from daogou.index.pgvector import PgVectorIndex, table_name
from daogou.index.vectors import FaissIndex, VectorIndex


def build(settings: Settings, folder: Path, name: str, ids: list[str], vectors: np.ndarray, model: str) -> None:
    """Index one space of a new generation in the configured engine and write its manifest into `folder`."""
    if settings.vector_url:
        index = PgVectorIndex.build(settings.vector_url, table_name(folder.name, name), ids, vectors, model, hnsw_threshold=settings.hnsw_threshold)
        index.save(folder, name)
        return
    FaissIndex.build(
        ids, vectors, model, hnsw_threshold=settings.hnsw_threshold, ivf_threshold=settings.ivf_threshold, threads=settings.workers
    ).save(folder, name)


def load(settings: Settings, folder: Path, name: str, model: str, dim: int | None = None) -> VectorIndex:
    """Open one space of a generation with the backend that built it."""
    path = folder / f"{name}.json"
    backend = json.loads(path.read_text(encoding="utf-8")).get("backend") if path.exists() else None
    if backend == PGVECTOR:
        if not settings.vector_url:
            raise IndexMismatch(f"the {name} vectors of this index are in PostgreSQL (pgvector); set vector_url, or re-run `daogou index`")
        return PgVectorIndex.load(folder, name, settings.vector_url, model, dim, settings.exact_filter_fraction)
    return FaissIndex.load(folder, name, model, dim, settings.exact_filter_fraction)


def exists(folder: Path, name: str) -> bool:
    return (folder / f"{name}.json").exists()


def prune(settings: Settings, folder: Path) -> None:
    """Release what a generation holds outside its folder (pgvector tables) before the folder is removed."""
    if settings.vector_url:
        PgVectorIndex.drop_generation(settings.vector_url, folder)
