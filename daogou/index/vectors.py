"""Vector indexes: the VectorIndex protocol and FaissIndex, the embedded default.

Why three kinds: below `hnsw_threshold` vectors an exact flat scan is fast (9.6k × 1280-d in about a
millisecond) and perfect; above, HNSW keeps queries at about a millisecond. Above `ivf_threshold` an HNSW
build no longer fits a 2-core machine's budget (1M × 1280-d would take ~10 min per space, measured 26 s for
200k × 384-d), so the index becomes IVF with 8-bit codes (1M × 1280-d trained and filled in ~75 s) whose
candidates are re-scored exactly from the float vectors. Filtered search keeps its recall: a selective
filter is answered exactly over the matching subset (HNSW with an ID selector fell to recall 0.64 at 1 %
selectivity), a broad one through the index with an ID selector and a raised efSearch / nprobe. Filters
arrive as a `Selection` (a mask over the attribute index's rows), mapped to this index's positions with
one vectorised lookup. Every index file records the model and dimension that made it and refuses to be
read by others.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from daogou import atomic
from daogou.errors import IndexMismatch, IndexMissing
from daogou.index.attributes import Selection

FORMAT = 1
#: a filtered subset up to this many vectors is scored exactly (more would read too much of the matrix)
EXACT_LIMIT = 20_000
#: IVF: lists probed per query, and candidates re-scored exactly per result wanted
NPROBE = 32
RESCORE = 4


class _Ids:
    """An index's ids and their positions, shared by every loaded index with the same ids in the same order."""

    __slots__ = ("__weakref__", "ids", "position")

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.position = {pid: i for i, pid in enumerate(ids)}


#: The ids of the indexes alive in this process, by a digest of the list: the text and aligned-text spaces (and the
#: photo and aligned-photo spaces, usually all four) hold the same ids in the same order, and at a million products
#: each list and its position map cost ~130 B a product.
_SHARED: weakref.WeakValueDictionary[bytes, _Ids] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def _shared_ids(ids: list[str]) -> _Ids:
    digest = hashlib.blake2b("\x00".join(ids).encode("utf-8"), digest_size=16).digest() + len(ids).to_bytes(8, "little")
    with _SHARED_LOCK:
        found = _SHARED.get(digest)
        if found is None:
            found = _SHARED[digest] = _Ids(ids)
        return found


@dataclass
class VectorHit:
    id: str
    score: float


class VectorIndex(Protocol):
    """What search needs from any vector engine (FAISS here; Milvus or another engine by URL)."""

    model: str
    dim: int
    #: how it searches ("flat", "hnsw", "ivf", "exact"...), for reports
    kind: str

    def __len__(self) -> int: ...

    def vector_of(self, item: str) -> np.ndarray | None: ...

    def search(self, query: np.ndarray, k: int, allowed: set[str] | Selection | None = None) -> list[VectorHit]: ...


class FaissIndex:
    """FAISS inner-product index over unit vectors (cosine): flat, HNSW or IVF by size."""

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
        self._shared = _shared_ids(ids)
        self.ids = self._shared.ids
        #: position of each id in `ids`
        self.position = self._shared.position
        self.vectors = vectors
        self.model = model
        self.dim = int(vectors.shape[1]) if vectors.size else 0
        self.kind = kind
        self.index = index
        self.exact_filter_fraction = exact_filter_fraction
        self.ef_search = ef_search
        #: attribute-row → position maps, by the identity of the row order they were made for (None: the same order)
        self._row_maps: dict[int, tuple[list[str], np.ndarray | None]] = {}
        if kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = NPROBE

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: list[str],
        vectors: np.ndarray,
        model: str,
        hnsw_threshold: int = 50_000,
        hnsw_m: int = 16,
        ef_construction: int = 80,
        ivf_threshold: int = 400_000,
        threads: int = 1,
    ) -> FaissIndex:
        """Index `vectors` (rows aligned with `ids`): HNSW above `hnsw_threshold`, IVF above `ivf_threshold`.

        `threads` is used for the build only; searching stays on one thread per request (see models/registry.py)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(ids) != vectors.shape[0]:
            raise ValueError("ids and vectors must align")
        dim = vectors.shape[1]
        faiss.omp_set_num_threads(max(1, threads))
        try:
            if len(ids) > ivf_threshold:
                index, kind = _ivf(vectors), "ivf"
            elif len(ids) > hnsw_threshold:
                index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = ef_construction
                kind = "hnsw"
            else:
                index = faiss.IndexFlatIP(dim)
                kind = "flat"
            if len(ids):
                index.add(vectors)
        finally:
            faiss.omp_set_num_threads(1)
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
    def load(cls, directory: Path, name: str, model: str, dim: int | None = None, exact_filter_fraction: float = 0.05) -> FaissIndex:
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

    def search(self, query: np.ndarray, k: int, allowed: set[str] | Selection | None = None) -> list[VectorHit]:
        """Top-k by inner product; `allowed` restricts results to those ids (exactly or via the index by selectivity)."""
        if not self.ids or k <= 0:
            return []
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dim:
            raise IndexMismatch(f"query has {q.shape[1]} dimensions, index has {self.dim}")
        if allowed is None:
            return self._indexed(q, k, None, len(self.ids))
        positions = self._positions(allowed)
        if positions.size == 0:
            return []
        if positions.size <= min(EXACT_LIMIT, self.exact_filter_fraction * len(self.ids)):
            return self._exact_subset(q[0], positions, k)
        if self.kind == "flat":
            selector = faiss.IDSelectorBatch(positions)
        else:  # a bitmap costs n/8 bytes and no hashing (a batch selector of 123k ids took ~5 ms to build at 1M)
            bits = np.zeros(len(self.ids), dtype=bool)
            bits[positions] = True
            packed = np.packbits(bits, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(self.ids), faiss.swig_ptr(packed))
            selector.referenced = packed  # keep the buffer alive as long as the selector
        return self._indexed(q, k, selector, positions.size)

    def _indexed(self, q: np.ndarray, k: int, selector: faiss.IDSelector | None, available: int) -> list[VectorHit]:
        """Search through the FAISS index (with an optional selector); IVF candidates are re-scored exactly."""
        want = min(k, available)
        chosen = {"sel": selector} if selector is not None else {}
        if self.kind == "flat":
            params = faiss.SearchParameters(**chosen) if chosen else None
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, (4 if chosen else 1) * k), **chosen)
        else:
            # a filter keeping under a tenth of the catalog leaves few allowed codes per list: probe twice as many lists
            narrow = bool(chosen) and available < len(self.ids) // 10
            params = faiss.SearchParametersIVF(nprobe=NPROBE * (2 if narrow else 1), **chosen)
            _, rows = self.index.search(q, min(RESCORE * want, available), params=params)
            found = np.unique(rows[0][rows[0] >= 0])
            return self._exact_subset(q[0], found, want) if found.size else []
        scores, rows = self.index.search(q, want, params=params)
        return self._hits(scores[0], rows[0])

    def _positions(self, allowed: set[str] | Selection) -> np.ndarray:
        """This index's positions of the allowed ids, ascending."""
        if isinstance(allowed, Selection):
            cached = self._row_maps.get(id(allowed.order))
            if cached is None or cached[0] is not allowed.order:
                # an index built over the attribute index's own row order (the usual case: both read the store in id
                # order) needs no map: its positions are the selection's rows, shared by every space of a search
                same = allowed.order == self.ids
                table = None if same else np.fromiter((self.position.get(pid, -1) for pid in allowed.order), dtype=np.int64, count=len(allowed.order))
                cached = self._row_maps[id(allowed.order)] = (allowed.order, table)
            if cached[1] is None:
                return allowed.rows()
            mapped = cached[1][allowed.mask]
            return np.sort(mapped[mapped >= 0])
        return np.sort(np.fromiter((self.position[i] for i in allowed if i in self.position), dtype=np.int64))

    def _exact_subset(self, q: np.ndarray, positions: np.ndarray, k: int) -> list[VectorHit]:
        """Exact top-k among `positions` (ascending, so a memory-mapped matrix is read in order)."""
        scores = _inner_products(self.vectors, q, positions)
        top = min(k, scores.size)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best])]
        return [VectorHit(self.ids[int(positions[i])], float(scores[i])) for i in best]

    def _hits(self, scores: np.ndarray, rows: np.ndarray) -> list[VectorHit]:
        return [VectorHit(self.ids[int(r)], float(s)) for s, r in zip(scores, rows) if r >= 0]


def _inner_products(matrix: np.ndarray, q: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`matrix[positions] @ q` without copying the rows out: FAISS reads each row in place. Gathering 16k rows of a
    1M × 384 matrix into a new array and multiplying took ~10 ms here (most of it faulting in the fresh copy's
    pages), reading them in place ~2 ms."""
    q = np.ascontiguousarray(q, dtype=np.float32)
    ids = np.ascontiguousarray(positions, dtype=np.int64)
    if matrix.dtype != np.float32 or not matrix.flags.c_contiguous or matrix.ndim != 2 or q.shape != (matrix.shape[1],):
        return np.asarray(matrix[ids], dtype=np.float32) @ q
    out = np.empty(ids.size, dtype=np.float32)
    if ids.size:
        if ids.min() < 0 or ids.max() >= matrix.shape[0]:  # FAISS would read outside the matrix
            raise IndexError(f"row positions outside 0..{matrix.shape[0] - 1}")
        faiss.fvec_inner_products_by_idx(faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(matrix), faiss.swig_ptr(ids), matrix.shape[1], 1, ids.size)
    return out


def _ivf(vectors: np.ndarray) -> faiss.Index:
    """An IVF index with 8-bit scalar codes, trained: √n lists (at most 4,096), k-means of 10 rounds on 40 points a list.

    Sized for a small machine: at 1M × 1280-d this trains in ~16 s and fills in ~60 s on 2 cores (2,000 lists on
    128k points with faiss's default 25 rounds took over 7 minutes), and 32 probed lists answer in ~9 ms."""
    n, dim = vectors.shape
    lists = int(min(4096, max(16, np.sqrt(n))))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 10
    sample = np.random.default_rng(0).choice(n, size=min(n, 40 * lists), replace=False)
    index.train(vectors[np.sort(sample)])
    return index
