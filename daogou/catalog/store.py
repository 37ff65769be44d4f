"""The catalog store: products and their encoded vectors, in SQLAlchemy (SQLite file by default, PostgreSQL by URL).

Why vectors live here too: the store is the single source of truth that survives a crash; the FAISS
and tantivy files are derived and can always be rebuilt from it. Each vector row remembers the hash
of the input it was made from and the model that made it, so re-indexing encodes only what changed.
Only portable SQL is used (no SQLite-only statements), so the same code runs on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from daogou.catalog.schema import Interaction, Product, Review

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("brand", String(200), nullable=False, default=""),
    Column("price", Float, nullable=True),
    Column("currency", String(8), nullable=False, default=""),
    Column("image_path", Text, nullable=False, default=""),
    Column("image_hash", String(64), nullable=False, default=""),
    Column("attributes", Text, nullable=False, default="{}"),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

vectors = Table(
    "vectors",
    metadata,
    Column("product_id", String(128), ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("space", String(32), primary_key=True),
    Column("model", String(200), nullable=False),
    Column("input_hash", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

#: the one query every search makes (the catalog version keys its caches)
VERSIONS_SQL = "SELECT key, value FROM store_meta WHERE key IN ('catalog_version', 'behaviour_version')"

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


interactions = Table(
    "interactions",
    metadata,
    Column("event_hash", String(64), primary_key=True),
    Column("user_id", String(128), nullable=False, index=True),
    # no foreign key: events may name products deleted since (kept for history, skipped when recommending)
    Column("product_id", String(128), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("ts", DateTime(timezone=False), nullable=False, index=True),
    Column("price", Float, nullable=True),
)


reviews = Table(
    "reviews",
    metadata,
    Column("review_hash", String(64), primary_key=True),
    Column("product_id", String(128), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("rating", Float, nullable=True),
    Column("date", DateTime(timezone=False), nullable=True),
)


chat_sessions = Table(
    "chat_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("state", Text, nullable=False),
    Column("transcript", Text, nullable=False, default="[]"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


policy_sections = Table(
    "policy_sections",
    metadata,
    Column("doc", String(200), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("heading", Text, nullable=False),
    Column("text", Text, nullable=False),
)


index_files = Table(
    "index_files",
    metadata,
    Column("generation", String(120), primary_key=True),
    Column("name", String(300), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)


def _migration_1(conn: Connection) -> None:
    """Initial schema: products, vectors, store_meta."""
    metadata.create_all(conn, tables=[products, vectors, store_meta])


def _migration_2(conn: Connection) -> None:
    """User behaviour: views, carts and purchases with timestamps and prices."""
    metadata.create_all(conn, tables=[interactions])


def _migration_3(conn: Connection) -> None:
    """Customer reviews (any product id: reviews may outlive a product or arrive before it)."""
    metadata.create_all(conn, tables=[reviews])


def _migration_4(conn: Connection) -> None:
    """Assistant: dialogue sessions (state + transcript) and the shop's policy documents, by section."""
    metadata.create_all(conn, tables=[chat_sessions, policy_sections])


def _migration_5(conn: Connection) -> None:
    """Index generations published for serving replicas that keep no index file (index/published.py)."""
    metadata.create_all(conn, tables=[index_files])


#: Ordered schema migrations; the store records how many have run. Append, never edit.
MIGRATIONS: list[Callable[[Connection], None]] = [_migration_1, _migration_2, _migration_3, _migration_4, _migration_5]


@dataclass
class UpsertStats:
    """What an import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class PendingItem:
    """A product whose vector in some space is missing or stale, with the input hash it should get."""

    product: Product
    input_hash: str


def _row_to_product(row, root: Path | None = None) -> Product:  # type: ignore[no-untyped-def]
    image_path = row.image_path
    if root is not None and image_path and not Path(image_path).is_absolute():
        image_path = str(root / image_path)  # a photo kept inside the shop: stored relative, so the shop can move
    return Product(
        id=row.id,
        title=row.title,
        description=row.description,
        brand=row.brand,
        price=row.price,
        currency=row.currency,
        image_path=image_path,
        image_hash=row.image_hash,
        attributes=json.loads(row.attributes),
    )


class CatalogStore:
    """Products and vectors in one database; every write is one transaction.

    With a `read_url` (a read replica of the same database), the reads a shopper's request makes (products
    by id for the hits, a product's reviews: `replica=True`) go to the replica; everything else, writes and
    the reads that must see the latest write (imports checking known ids, the index build, sessions,
    versions), stays on `url`. A replica a little behind shows a hit's previous title for a moment, never
    a wrong index or a lost event.
    """

    def __init__(self, url: str, root: Path | None = None, read_url: str = "") -> None:
        """`root`: the shop folder; photo paths inside it are stored relative to it (backups and moved shops keep working)."""
        self.url = url
        self.root = root.resolve() if root is not None else None
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.reader: Engine = self.engine
        if read_url and read_url != url:
            self.reader = create_engine(read_url, future=True)
            if self.reader.dialect.name == "sqlite":
                event.listen(self.reader, "connect", _sqlite_pragmas)
        self._migrate()

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            store_meta.create(conn, checkfirst=True)
            row = conn.execute(select(store_meta.c.value).where(store_meta.c.key == "schema_version")).first()
            done = int(row[0]) if row else 0
            for migration in MIGRATIONS[done:]:
                migration(conn)
            if done != len(MIGRATIONS):
                conn.execute(delete(store_meta).where(store_meta.c.key == "schema_version"))
                conn.execute(store_meta.insert().values(key="schema_version", value=str(len(MIGRATIONS))))

    @property
    def has_replica(self) -> bool:
        return self.reader is not self.engine

    def close(self) -> None:
        self.engine.dispose()
        self.reader.dispose()

    # -- products ---------------------------------------------------------------------------------

    def upsert_products(self, items: Sequence[Product]) -> UpsertStats:
        """Insert new products and update changed ones, all in one transaction (all or nothing).

        Two imports of the same new ids at once: the loser's insert hits the primary key; it retries once,
        now seeing the winner's rows as existing, instead of surfacing a raw IntegrityError.
        """
        for attempt in range(3):
            try:
                return self._upsert_once(items)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _upsert_once(self, items: Sequence[Product]) -> UpsertStats:
        stats = UpsertStats()
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            existing: dict[str, str] = {}
            ids = [p.id for p in items]
            for chunk in _chunks(ids, 500):
                for pid, chash in conn.execute(select(products.c.id, products.c.content_hash).where(products.c.id.in_(chunk))):
                    existing[pid] = chash
            inserts, updates = [], []
            for product in items:
                relative = _stored_path(product.image_path, self.root)
                chash = (product if relative == product.image_path else product.model_copy(update={"image_path": relative})).content_hash()
                values = _product_values(product, chash, now, self.root)
                if product.id not in existing:
                    inserts.append(values)
                elif existing[product.id] != chash:
                    updates.append(values)
                else:
                    stats.unchanged += 1
            if inserts:
                conn.execute(products.insert(), inserts)
            for values in updates:
                conn.execute(products.update().where(products.c.id == values["id"]).values(**values))
            stats.added, stats.updated = len(inserts), len(updates)
            if inserts or updates:
                _bump(conn, "catalog_version")
        return stats

    def delete_products(self, ids: Iterable[str]) -> int:
        """Remove products and their vectors; returns how many existed."""
        removed = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(list(ids), 500):
                conn.execute(delete(vectors).where(vectors.c.product_id.in_(chunk)))
                removed += conn.execute(delete(products).where(products.c.id.in_(chunk))).rowcount or 0
            if removed:
                _bump(conn, "catalog_version")
        return removed

    def versions(self) -> tuple[int, int]:
        """(catalog version, behaviour version): counters every committed change bumps, so another process's
        import or delete is seen by a running server with one cheap query."""
        with self.engine.connect() as conn:  # plain SQL, same on every engine: every search asks (~0.2 ms saved on SQLAlchemy's compile)
            rows = dict(conn.exec_driver_sql(VERSIONS_SQL).all())
        return int(rows.get("catalog_version", 0)), int(rows.get("behaviour_version", 0))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(products)).scalar_one())

    def get_many(self, ids: Sequence[str], replica: bool = False) -> dict[str, Product]:
        """Products by id (missing ids are simply absent from the result); `replica`: read from the read replica
        when there is one (a shopper's request; never a write path that must see its own writes)."""
        found: dict[str, Product] = {}
        with (self.reader if replica else self.engine).connect() as conn:
            for chunk in _chunks(list(ids), 500):
                for row in conn.execute(select(products).where(products.c.id.in_(chunk))):
                    found[row.id] = _row_to_product(row, self.root)
        return found

    def iter_products(self, batch: int = 1000) -> Iterator[Product]:
        """All products in id order, read in pages so a big catalog never sits in memory twice."""
        last = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(products).where(products.c.id > last).order_by(products.c.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield _row_to_product(row, self.root)
            last = rows[-1].id

    # -- assistant sessions and policy documents ------------------------------------------------

    def save_session(self, session_id: str, state: str, transcript: str) -> None:
        """Insert or replace one dialogue session (JSON texts), in one transaction."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            updated = conn.execute(
                chat_sessions.update().where(chat_sessions.c.session_id == session_id).values(state=state, transcript=transcript, updated_at=now)
            ).rowcount
            if not updated:
                conn.execute(chat_sessions.insert().values(session_id=session_id, state=state, transcript=transcript, updated_at=now))

    def load_session(self, session_id: str) -> tuple[str, str] | None:
        """(state JSON, transcript JSON) of a session, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(chat_sessions.c.state, chat_sessions.c.transcript).where(chat_sessions.c.session_id == session_id)).first()
        return (row[0], row[1]) if row else None

    def replace_policy(self, doc: str, sections: Sequence[tuple[str, str]]) -> int:
        """Replace every section of one policy document by (heading, text) pairs; returns how many."""
        with self.engine.begin() as conn:
            conn.execute(delete(policy_sections).where(policy_sections.c.doc == doc))
            if sections:
                conn.execute(policy_sections.insert(), [{"doc": doc, "position": i, "heading": h, "text": t} for i, (h, t) in enumerate(sections)])
            _bump(conn, "policy_version")
        return len(sections)

    def policy_version(self) -> int:
        """A counter every policy import bumps: a running server notices another process's import with one cheap read."""
        with self.engine.connect() as conn:
            value = conn.execute(select(store_meta.c.value).where(store_meta.c.key == "policy_version")).scalar_one_or_none()
        return int(value or 0)

    def policy_sections(self) -> list[tuple[str, str, str]]:
        """(doc, heading, text) of every policy section, in document order."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(policy_sections).order_by(policy_sections.c.doc, policy_sections.c.position)).all()
        return [(r.doc, r.heading, r.text) for r in rows]

    # -- published index generations ------------------------------------------------------------

    def publish_generation(self, generation: str, files: dict[str, bytes]) -> None:
        """Store a generation's files and make it the live one, in one transaction."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(delete(index_files).where(index_files.c.generation == generation))
            conn.execute(index_files.insert(), [{"generation": generation, "name": n, "data": d, "published_at": now} for n, d in files.items()])
            conn.execute(delete(store_meta).where(store_meta.c.key == "live_generation"))
            conn.execute(store_meta.insert().values(key="live_generation", value=generation))

    def forget_generation(self, generation: str) -> None:
        """Delete a published generation's files (never the live one's)."""
        if generation == self.live_generation():
            raise ValueError(f"{generation} is the live generation")
        with self.engine.begin() as conn:
            conn.execute(delete(index_files).where(index_files.c.generation == generation))

    def live_generation(self) -> str:
        """The published live generation ('' when none): one small read, so replicas notice a re-index."""
        with self.engine.connect() as conn:
            return conn.execute(select(store_meta.c.value).where(store_meta.c.key == "live_generation")).scalar_one_or_none() or ""

    def generation_files(self, generation: str, suffix: str = "") -> dict[str, bytes]:
        """The published files of a generation (only those whose name ends with `suffix`, if given)."""
        query = select(index_files.c.name, index_files.c.data).where(index_files.c.generation == generation)
        if suffix:
            query = query.where(index_files.c.name.like(f"%{suffix}"))
        with self.engine.connect() as conn:
            return {r.name: bytes(r.data) for r in conn.execute(query)}

    def published_generations(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(select(index_files.c.generation).distinct()))

    # -- interactions -----------------------------------------------------------------------------

    def add_interactions(self, events: Sequence[Interaction]) -> tuple[int, int]:
        """Insert events in one transaction; returns (added, already present).

        An event's identity is its content plus its occurrence number among identical rows of the same batch,
        so re-importing a file adds nothing while two identical purchases (quantity 2) both count.
        """
        seen: dict[str, int] = {}
        rows = []
        for event in events:
            base = f"{event.user_id}\x1f{event.product_id}\x1f{event.kind}\x1f{event.timestamp.isoformat()}\x1f{event.price}"
            seen[base] = seen.get(base, 0) + 1
            digest = hashlib.sha256(f"{base}\x1f{seen[base]}".encode("utf-8")).hexdigest()
            rows.append({"event_hash": digest, "user_id": event.user_id, "product_id": event.product_id, "kind": event.kind,
                         "ts": event.timestamp.replace(tzinfo=None), "price": event.price})
        added = 0
        with self.engine.begin() as conn:
            existing: set[str] = set()
            hashes = [r["event_hash"] for r in rows]
            for chunk in _chunks(hashes, 500):
                existing |= set(conn.execute(select(interactions.c.event_hash).where(interactions.c.event_hash.in_(chunk))).scalars())
            fresh = [r for r in rows if r["event_hash"] not in existing]
            if fresh:
                conn.execute(interactions.insert(), fresh)
                _bump(conn, "behaviour_version")
            added = len(fresh)
        return added, len(rows) - added

    def load_interactions(self) -> list[Interaction]:
        """All events, oldest first."""
        with self.engine.connect() as conn:
            result = conn.execute(select(interactions).order_by(interactions.c.ts, interactions.c.event_hash))
            return [Interaction(user_id=r.user_id, product_id=r.product_id, kind=r.kind, timestamp=r.ts, price=r.price) for r in result]

    # -- reviews ----------------------------------------------------------------------------------

    def add_reviews(self, items: Sequence[Review]) -> tuple[int, int]:
        """Insert reviews in one transaction; reviews already stored by an earlier import are skipped. Returns (added, skipped)."""
        rows = {}
        seen: dict[str, int] = {}
        for r in items:
            # identity = content + occurrence number within this batch: re-imports add nothing, two customers' identical
            # "Love it!" both count (as with interactions)
            base = f"{r.product_id}\x1f{r.text}\x1f{r.rating}\x1f{r.date}"
            seen[base] = seen.get(base, 0) + 1
            digest = hashlib.sha256(f"{base}\x1f{seen[base]}".encode("utf-8")).hexdigest()
            rows[digest] = {"review_hash": digest, "product_id": r.product_id, "text": r.text, "rating": r.rating,
                            "date": r.date.replace(tzinfo=None) if r.date else None}
        with self.engine.begin() as conn:
            existing: set[str] = set()
            for chunk in _chunks(list(rows), 500):
                existing |= set(conn.execute(select(reviews.c.review_hash).where(reviews.c.review_hash.in_(chunk))).scalars())
            fresh = [v for k, v in rows.items() if k not in existing]
            if fresh:
                conn.execute(reviews.insert(), fresh)
        return len(fresh), len(items) - len(fresh)

    def reviews_of(self, product_id: str, replica: bool = False) -> list[Review]:
        with (self.reader if replica else self.engine).connect() as conn:
            result = conn.execute(select(reviews).where(reviews.c.product_id == product_id).order_by(reviews.c.date, reviews.c.review_hash))
            return [Review(product_id=r.product_id, text=r.text, rating=r.rating, date=r.date) for r in result]

    def reviewed_products(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(reviews.c.product_id).distinct().order_by(reviews.c.product_id)).scalars())

    # -- vectors ----------------------------------------------------------------------------------

    def pending(self, space: str, model: str, input_hash: Callable[[Product], str | None]) -> list[PendingItem]:
        """Products whose `space` vector is missing, made by another model, or made from other input.

        `input_hash` returns None for products that have no input in this space (no photo).
        """
        with self.engine.connect() as conn:
            done = {
                pid: (m, h)
                for pid, m, h in conn.execute(
                    select(vectors.c.product_id, vectors.c.model, vectors.c.input_hash).where(vectors.c.space == space)
                )
            }
        out = []
        for product in self.iter_products():
            wanted = input_hash(product)
            if wanted is None:
                continue
            if done.get(product.id) != (model, wanted):
                out.append(PendingItem(product, wanted))
        return out

    def put_vectors(self, space: str, model: str, rows: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """Store (product id, input hash, vector) rows for one space, replacing older ones, in one transaction."""
        if not rows:
            return
        with self.engine.begin() as conn:
            ids = [r[0] for r in rows]
            for chunk in _chunks(ids, 500):
                conn.execute(delete(vectors).where(vectors.c.space == space, vectors.c.product_id.in_(chunk)))
            conn.execute(
                vectors.insert(),
                [
                    {
                        "product_id": pid,
                        "space": space,
                        "model": model,
                        "input_hash": h,
                        "dim": int(vec.shape[0]),
                        "data": np.asarray(vec, dtype=np.float32).tobytes(),
                    }
                    for pid, h, vec in rows
                ],
            )

    def load_vectors(self, space: str, model: str) -> tuple[list[str], np.ndarray]:
        """All vectors of one space made by `model`, as (ids, float32 matrix) in id order.

        The matrix is allocated once from the row count and filled row by row: joining the blobs first held
        three copies at once (15 GB for a million 1280-d photo vectors)."""
        where = (vectors.c.space == space, vectors.c.model == model)
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(vectors).where(*where)).scalar_one()
            if not count:
                return [], np.zeros((0, 0), dtype=np.float32)
            dim = conn.execute(select(vectors.c.dim).where(*where).limit(1)).scalar_one()
            matrix = np.empty((count, dim), dtype=np.float32)
            ids: list[str] = []
            result = conn.execute(select(vectors.c.product_id, vectors.c.data).where(*where).order_by(vectors.c.product_id))
            for row, (pid, data) in enumerate(result):
                if row >= count:  # rows written since the count: the next index build takes them
                    break
                ids.append(pid)
                matrix[row] = np.frombuffer(data, dtype=np.float32)
        return ids, matrix[: len(ids)]


def _bump(conn: Connection, key: str) -> None:
    """Increment a counter in store_meta inside the caller's transaction (portable SQL: read, then write)."""
    row = conn.execute(select(store_meta.c.value).where(store_meta.c.key == key)).first()
    if row is None:
        conn.execute(store_meta.insert().values(key=key, value="1"))
    else:
        conn.execute(store_meta.update().where(store_meta.c.key == key).values(value=str(int(row[0]) + 1)))


def _stored_path(image_path: str, root: Path | None) -> str:
    """A photo inside the shop folder is stored relative to it; any other path as given."""
    if root is not None and image_path and Path(image_path).is_relative_to(root):
        return str(Path(image_path).relative_to(root))
    return image_path


def _product_values(product: Product, chash: str, now: datetime, root: Path | None = None) -> dict[str, object]:
    image_path = _stored_path(product.image_path, root)
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "price": product.price,
        "currency": product.currency,
        "image_path": image_path,
        "image_hash": product.image_hash,
        "attributes": json.dumps(product.attributes, ensure_ascii=False, sort_keys=True),
        "content_hash": chash,
        "updated_at": now,
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL so readers never block the writer; foreign keys so deleting a product drops its vectors."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
