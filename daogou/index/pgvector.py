"""pgvector backend: one vector space of one index generation as a PostgreSQL table, for shops that want one service.

Why it looks like FaissIndex: search only needs `search`, `vector_of`, `kind` and `len` (the VectorIndex
protocol), so a shop switches by the `vector_url` setting and nothing above the index changes. The rules are
the embedded ones, in SQL:
- up to `hnsw_threshold` rows there is no HNSW index: a sequential scan is exact, as FAISS's flat index is;
- a selective filter (at most `exact_filter_fraction` of the rows, and at most EXACT_LIMIT) is answered
  exactly over the filtered subset: the ids go in as an array and a MATERIALIZED CTE keeps the planner from
  walking the HNSW graph and filtering afterwards (the note in shared/notes/scale-out.md measured recall 0.06
  at 384-d with HNSW + WHERE, 1.00 with the CTE);
- a broad filter reads the nearest rows through HNSW with pgvector's iterative scan and keeps the allowed
  ones, asking for more until k are found (the filter is a mask in this process: sending 400k ids per query
  would cost more than the search).
Tables are named after the generation that built them, so a full re-index builds new tables beside the live ones
and the switch is the generation pointer's rename, as with files. When few rows changed, a re-index carries the
live generation's table forward instead (`update`: each row holds a digest of its vector; changed rows are
upserted and removed ones deleted in one transaction); pruned generations drop the tables no kept one names.
"""

from __future__ import annotations

import math
import os
import re
import threading
from pathlib import Path

import numpy as np

from daogou.errors import IndexMismatch
from daogou.index import external
from daogou.index.attributes import Selection
from daogou.index.digests import MAX_CHANGED, delta, row_digest
from daogou.index.vectors import EXACT_LIMIT, VectorHit

BACKEND = "pgvector"
PREFIX = "daogou_vec_"
#: table names go into SQL text (identifiers cannot be parameters): only names table_name() could have made
_SAFE_TABLE = re.compile(PREFIX + r"[a-z0-9_]{1,50}")
ENGINE = external.Engine(BACKEND, "table", _SAFE_TABLE, "a pgvector index")


def conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL ("postgresql+psycopg://..." → "postgresql://...")."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise IndexMismatch(f"vector_url must be a PostgreSQL URL for pgvector, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def table_name(generation: str, name: str) -> str:
    """A safe table name for one space of one generation."""
    return PREFIX + re.sub(r"[^a-z0-9_]", "_", f"{generation}_{name}".lower())[:50]


class PgVectorIndex:
    """A pgvector table (id, embedding) with an HNSW index above `hnsw_threshold` rows; inner product on unit vectors."""

    def __init__(self, url: str, table: str, model: str, dim: int, count: int, kind: str, exact_filter_fraction: float = 0.05, ef_search: int = 96) -> None:
        self.url = url
        self.table = table
        self.model = model
        self.dim = dim
        self.count = count
        self.kind = kind
        self.exact_filter_fraction = exact_filter_fraction
        self.ef_search = ef_search
        self._local = threading.local()
        #: rows an in-place `update` wrote and deleted (0 for a table built whole)
        self.upserted = self.deleted = 0

    def __len__(self) -> int:
        return self.count

    # -- connections --------------------------------------------------------------------------------

    def _conn(self):  # type: ignore[no-untyped-def]
        """One autocommit connection per thread (server threads search at once; a psycopg connection is not shared)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = _connect(self.url)
        return conn

    # -- build --------------------------------------------------------------------------------------

    @classmethod
    def build(
        cls, url: str, table: str, ids: list[str], vectors: np.ndarray, model: str, hnsw_threshold: int = 50_000, m: int = 16, ef_construction: int = 64
    ) -> PgVectorIndex:
        """Create `table`, COPY the vectors in (binary), and add an HNSW index when there are more than `hnsw_threshold`."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(ids) != vectors.shape[0]:
            raise ValueError("ids and vectors must align")
        if not _SAFE_TABLE.fullmatch(table):
            raise ValueError(f"not a daogou vector table name: {table!r}")
        dim = int(vectors.shape[1])
        kind = "hnsw" if len(ids) > hnsw_threshold else "exact"
        with _connect(url, create_extension=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            # digest: of the row's vector, so a later re-index rewrites only the rows that changed (`update`)
            conn.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, embedding vector({dim}) NOT NULL, digest bigint NOT NULL)")
            _copy_rows(conn, table, ids, vectors)
            if kind == "hnsw":
                # the graph must fit in maintenance_work_mem or pgvector builds it on disk, many times slower
                # (1M × 384-d needs ~2 GB); parallel workers share the build (pgvector ≥ 0.6)
                conn.execute(f"SET maintenance_work_mem = '{_build_memory_mb(len(ids), dim, m)}MB'")
                conn.execute(f"SET max_parallel_maintenance_workers = {max(0, (os.cpu_count() or 1) - 1)}")
                conn.execute(f"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops) WITH (m = {int(m)}, ef_construction = {int(ef_construction)})")
            conn.execute(f"ANALYZE {table}")
        return cls(url, table, model, dim, len(ids), kind)

    @classmethod
    def update(
        cls, url: str, table: str, ids: list[str], vectors: np.ndarray, model: str, hnsw_threshold: int = 50_000, max_changed: float = MAX_CHANGED
    ) -> PgVectorIndex | None:
        """Bring an existing table in step with the store in place, in one transaction (a search sees the table before
        or after, never half): upsert the rows whose vector changed (by their digests), delete the rows of products no
        longer indexed. None when it cannot be: a table without digests, of another dimension, one that crossed
        `hnsw_threshold` (it needs an HNSW index built, or dropped), or more than `max_changed` of the rows differ."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not _SAFE_TABLE.fullmatch(table) or vectors.ndim != 2 or len(ids) != vectors.shape[0]:
            return None
        dim = int(vectors.shape[1])
        kind = "hnsw" if len(ids) > hnsw_threshold else "exact"
        with _connect(url) as conn:
            columns = {name: kind_ for name, kind_ in conn.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped", (table,)).fetchall()}
            hnsw = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE '%%USING hnsw%%'", (table,)).fetchone()[0] > 0
            if "digest" not in columns or columns.get("embedding") != f"vector({dim})" or hnsw != (kind == "hnsw"):
                return None
            stored = dict(conn.execute(f"SELECT id, digest FROM {table}").fetchall())
            found = delta(stored, ((pid, row_digest(row)) for pid, row in zip(ids, vectors)), max_changed)
            if found is None:
                return None
            changed, removed = found
            position = {pid: i for i, pid in enumerate(ids)}
            with conn.transaction():
                if changed:
                    conn.execute(f"CREATE TEMP TABLE incoming (LIKE {table}) ON COMMIT DROP")
                    _copy_rows(conn, "incoming", changed, vectors[[position[pid] for pid in changed]])
                    conn.execute(f"INSERT INTO {table} SELECT * FROM incoming ON CONFLICT (id) DO UPDATE "
                                 "SET embedding = EXCLUDED.embedding, digest = EXCLUDED.digest")
                if removed:
                    conn.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (removed,))
            if changed or removed:
                conn.execute(f"ANALYZE {table}")
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if count != len(ids):
                raise IndexMismatch(f"pgvector table {table} holds {count} rows, {len(ids)} are indexed")
        index = cls(url, table, model, dim, len(ids), kind)
        index.upserted, index.deleted = len(changed), len(removed)
        return index

    def save(self, directory: Path, name: str) -> None:
        """The generation's manifest for this space."""
        external.write(ENGINE, directory, name, external.Space(self.table, self.model, self.dim, self.count, self.kind))

    @classmethod
    def load(cls, directory: Path, name: str, url: str, model: str, dim: int | None = None, exact_filter_fraction: float = 0.05) -> PgVectorIndex:
        """Open the table a generation's manifest names, refusing one built by another model or dimension."""
        space = external.read(ENGINE, directory, name, model, dim)
        return cls(url, space.location, space.model, space.dim, space.count, space.kind, exact_filter_fraction)

    @staticmethod
    def drop_generation(url: str, directory: Path, kept: list[Path] | tuple[Path, ...] = ()) -> None:
        """Drop the tables a (pruned) generation's manifests name, except those a `kept` generation still names
        (a table a later generation carried forward and updated in place)."""
        tables = external.released(ENGINE, directory, kept)
        if tables:
            with _connect(url) as conn:
                for table in tables:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")

    # -- search -------------------------------------------------------------------------------------

    def vector_of(self, item: str) -> np.ndarray | None:
        row = self._conn().execute(f"SELECT embedding FROM {self.table} WHERE id = %s", (item,)).fetchone()
        if row is None:
            return None
        value = row[0]
        return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)

    def search(self, query: np.ndarray, k: int, allowed: set[str] | Selection | None = None) -> list[VectorHit]:
        """Top-k by inner product; `allowed` restricts results to those ids (exactly, or through HNSW by selectivity)."""
        if not self.count or k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise IndexMismatch(f"query has {q.shape[0]} dimensions, index has {self.dim}")
        if allowed is None:
            return self._nearest(q, k, None)
        size = len(allowed)
        if size == 0:
            return []
        if self.kind == "exact" or size <= min(EXACT_LIMIT, self.exact_filter_fraction * self.count):
            ids = list(allowed)
            # MATERIALIZED keeps the planner from answering ORDER BY through the HNSW index (which would miss allowed
            # rows); the distance is computed inside it, so it holds (id, distance), not the vectors: 10k allowed
            # 384-d rows no longer spill 15 MB to a temporary file (1M products: 74 → 63 ms)
            sql = (f"WITH s AS MATERIALIZED (SELECT id, embedding <#> %s AS d FROM {self.table} WHERE id = ANY(%s)) "
                   "SELECT id, d FROM s ORDER BY d LIMIT %s")
            return [VectorHit(pid, -float(d)) for pid, d in self._conn().execute(sql, (q, ids, k)).fetchall()]
        return self._nearest(q, k, allowed, share=size / self.count)

    def _nearest(self, q: np.ndarray, k: int, allowed: set[str] | Selection | None, share: float = 1.0) -> list[VectorHit]:
        """Nearest rows through the index (or a scan), keeping allowed ones; asks for more until k are kept."""
        want = math.ceil(2 * k / share) if allowed is not None else k
        conn = self._conn()
        while True:
            with conn.transaction():
                if self.kind == "hnsw":
                    conn.execute(f"SET LOCAL hnsw.ef_search = {int(min(1000, max(self.ef_search, want)))}")
                    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                    conn.execute(f"SET LOCAL hnsw.max_scan_tuples = {int(max(20_000, 4 * want))}")
                rows = conn.execute(f"SELECT id, embedding <#> %s AS d FROM {self.table} ORDER BY d LIMIT %s", (q, want)).fetchall()
            kept = sorted(((pid, float(d)) for pid, d in rows if allowed is None or pid in allowed), key=lambda t: t[1])
            if len(kept) >= k or len(rows) < want or want >= self.count:
                return [VectorHit(pid, -d) for pid, d in kept[:k]]
            want = min(self.count, want * 4)


def _copy_rows(conn, table: str, ids: list[str], vectors: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """COPY rows (id, embedding, digest) into `table`, binary."""
    with conn.cursor().copy(f"COPY {table} (id, embedding, digest) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["text", "vector", "int8"])
        for pid, row in zip(ids, vectors):
            copy.write_row((pid, row, row_digest(row)))


def _connect(url: str, create_extension: bool = False):  # type: ignore[no-untyped-def]
    """An autocommit psycopg connection with pgvector's types registered. Only the build creates the extension
    when missing: a searching server's role may lack the right to, and every search thread connects."""
    import psycopg
    from pgvector.psycopg import register_vector

    conn = psycopg.connect(conninfo(url), autocommit=True)
    if create_extension:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(conn)
    return conn


def _build_memory_mb(rows: int, dim: int, m: int) -> int:
    """maintenance_work_mem for an HNSW build: the vectors and their links with a margin, 1-8 GB."""
    needed = rows * (4 * dim + 2 * m * 8 + 64) * 1.3
    return int(min(8192, max(1024, needed / 2**20)))
