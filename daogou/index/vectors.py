"""Vector indexes: the VectorIndex protocol and FaissIndex, the embedded default.

Why two kinds: below `hnsw_threshold` vectors an exact flat scan is fast (9.6k × 1280-d in about a
millisecond) and perfect; above, HNSW keeps queries at about a millisecond. Filtered search keeps its
recall: a selective filter is answered exactly over the matching subset (HNSW with an ID selector fell
to recall 0.64 at 1 % selectivity), a broad one through HNSW with an ID selector and a raised efSearch.
Every index file records the model and dimension that made it and refuses to be read by others.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from daogou import atomic
from daogou.errors import IndexMismatch, IndexMissing

FORMAT = 1


@dataclass
class VectorHit:
    id: str
    score: float


class VectorIndex(Protocol):
    """What search needs from any vector engine (FAISS here; Milvus or another engine by URL)."""

    model: str
    dim: int

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[VectorHit]: ...


class FaissIndex:
    """FAISS inner-product index over unit vectors (cosine), flat or HNSW by size."""

    def __init__(
        self,
        ids: list[str],
        vectors: np.ndarray,
        model: str,
        kind: str,
        index: faiss.Index,
        exact_filter_fraction: float = 0.05,
        ef_search: int = 96,
    ) -> None:
        self.ids = ids
        self.vectors = vectors
        self.model = model
        self.dim = int(vectors.shape[1]) if vectors.size else 0
        self.kind = kind
        self.index = index
        self.exact_filter_fraction = exact_filter_fraction
        self.ef_search = ef_search
        self.position = {pid: i for i, pid in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls, ids: list[str], vectors: np.ndarray, model: str, hnsw_threshold: int = 50_000, hnsw_m: int = 16, ef_construction: int = 80
    ) -> "FaissIndex":
        """Index `vectors` (rows aligned with `ids`); HNSW when there are more than `hnsw_threshold`."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(ids) != vectors.shape[0]:
            raise ValueError("ids and vectors must align")
        dim = vectors.shape[1]
        faiss.omp_set_num_threads(1)
        if len(ids) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            kind = "hnsw"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat"
        if len(ids):
            index.add(vectors)
        return cls(list(ids), vectors, model, kind, index)

    # -- files --------------------------------------------------------------------------------------

    def save(self, directory: Path, name: str) -> None:
        """Write `name`.faiss, `name`.npy and `name`.json atomically; the JSON (written last) is the manifest."""
        directory.mkdir(parents=True, exist_ok=True)
        atomic.write_with(directory / f"{name}.faiss", lambda tmp: faiss.write_index(self.index, str(tmp)))
        atomic.write_with(directory / f"{name}.npy", lambda tmp: np.save(open(tmp, "wb"), self.vectors))
        manifest = {
            "format": FORMAT,
            "model": self.model,
            "dim": self.dim,
            "count": len(self.ids),
            "kind": self.kind,
            "ids": self.ids,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        atomic.write_text(directory / f"{name}.json", json.dumps(manifest, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path, name: str, model: str, dim: int | None = None, exact_filter_fraction: float = 0.05) -> "FaissIndex":
        """Open a saved index, refusing one built by another model or dimension."""
        manifest_path = directory / f"{name}.json"
        if not manifest_path.exists():
            raise IndexMissing(f"no {name} vector index in {directory}: run `daogou index` first")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise IndexMismatch(f"{manifest_path}: index format {manifest.get('format')}, this daogou reads {FORMAT}; re-run `daogou index`")
        if manifest["model"] != model or (dim is not None and manifest["dim"] not in (dim, 0)):
            raise IndexMismatch(
                f"{name} index was built with {manifest['model']} ({manifest['dim']}-d) but the shop is configured for "
                f"{model}{f' ({dim}-d)' if dim else ''}; re-run `daogou index` to rebuild it"
            )
        index = faiss.read_index(str(directory / f"{name}.faiss"))
        vectors = np.load(directory / f"{name}.npy", mmap_mode="r")
        if vectors.shape[0] != manifest["count"] or index.ntotal != manifest["count"]:
            raise IndexMismatch(f"{name} index files disagree on the number of vectors; re-run `daogou index`")
        return cls(manifest["ids"], vectors, manifest["model"], manifest["kind"], index, exact_filter_fraction)

    def vector_of(self, item: str) -> np.ndarray | None:
        """The stored vector of one indexed item (None if it is not in this index)."""
        row = self.position.get(item)
        return None if row is None else np.asarray(self.vectors[row], dtype=np.float32)

    # -- search -------------------------------------------------------------------------------------

    def search(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[VectorHit]:
        """Top-k by inner product; `allowed` restricts results to those ids (exactly or via HNSW by selectivity)."""
        if not self.ids or k <= 0:
            return []
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dim:
            raise IndexMismatch(f"query has {q.shape[1]} dimensions, index has {self.dim}")
        if allowed is None:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k)) if self.kind == "hnsw" else None
            scores, rows = self.index.search(q, min(k, len(self.ids)), params=params)
            return self._hits(scores[0], rows[0])
        positions = np.fromiter((self.position[i] for i in allowed if i in self.position), dtype=np.int64)
        if positions.size == 0:
            return []
        if positions.size <= self.exact_filter_fraction * len(self.ids):
            return self._exact_subset(q[0], np.sort(positions), k)
        selector = faiss.IDSelectorBatch(positions)
        if self.kind == "flat":
            params = faiss.SearchParameters(sel=selector)
        else:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, 4 * k))
        scores, rows = self.index.search(q, min(k, positions.size), params=params)
        return self._hits(scores[0], rows[0])

    def _exact_subset(self, q: np.ndarray, positions: np.ndarray, k: int) -> list[VectorHit]:
        scores = np.asarray(self.vectors[positions]) @ q
        top = min(k, scores.size)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best])]
        return [VectorHit(self.ids[int(positions[i])], float(scores[i])) for i in best]

    def _hits(self, scores: np.ndarray, rows: np.ndarray) -> list[VectorHit]:
        return [VectorHit(self.ids[int(r)], float(s)) for s, r in zip(scores, rows) if r >= 0]
