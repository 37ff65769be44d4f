"""Stateless serving replicas: two `daogou serve` processes whose shop folders hold only settings and models, against
the same PostgreSQL store and Milvus (Milvus Lite serving gRPC on loopback: vectors and BM25), one of them with its
attribute index in Milvus too (attributes_in_engine), answer identically and as the embedded shop does, keep no index file on disk, and pick up a re-index made by a third process.

Needs PostgreSQL (tests/pg_server.py) and milvus-lite; skipped cleanly where either is missing. Slow: two server
processes load the models."""

from __future__ import annotations

import os
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from daogou.config import CONFIG_NAME, update_settings_file
from daogou.relocate import move_store
from daogou.shop import Shop

pytestmark = pytest.mark.slow
QUERIES = ["red dress", "black shoes for men", "白色T恤", "watch", "casual shirts"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _served(shop_dir: Path) -> Iterator[str]:
    """`daogou serve` in its own process; yields its base URL once /api/ready answers."""
    port = _port()
    log = (shop_dir.parent / f"{shop_dir.name}.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "daogou.cli", "serve", str(shop_dir), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, (shop_dir.parent / f"{shop_dir.name}.log").read_text()[-3000:]
            try:
                if httpx.get(f"{base}/api/ready", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("replica did not become ready")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answer(base: str, query: str) -> dict:  # type: ignore[type-arg]
    response = httpx.get(f"{base}/api/search", params={"q": query, "k": 10}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(base: str, query: str) -> list[str]:
    return [h["id"] for h in _answer(base, query)["hits"]]


def _generation(base: str) -> str:
    return str(httpx.get(f"{base}/api/ready", timeout=60).json().get("index", ""))


def test_two_stateless_replicas_answer_alike_and_follow_a_reindex(
    myntra_shop: Shop, postgres_url: str | None, milvus_bm25: str, tmp_path: Path
) -> None:
    if postgres_url is None:
        pytest.skip("no PostgreSQL here: set DAOGOU_PG_URL or install postgresql (initdb, pg_ctl)")
    from pg_server import fresh_database

    embedded = {q: [h.id for h in myntra_shop.search(q, k=10).hits] for q in QUERIES}
    indexer = tmp_path / "indexer"
    shutil.copytree(myntra_shop.path, indexer)
    update_settings_file(indexer, tryon_rigs=False)
    with fresh_database(postgres_url) as store_url:
        move_store(indexer, store_url, queries=5)
        update_settings_file(indexer, vector_url=milvus_bm25, lexical_url=milvus_bm25, index_in_store=True)
        with Shop.open(indexer) as shop:
            shop.index(show_progress=False)
            first = shop.store.live_generation()
            assert first == shop.generations.current_name() and first.startswith("gen-")
        replicas = []
        for name in ("replica-a", "replica-b"):  # settings and trained models only: no catalog file, no index folder
            folder = tmp_path / name
            folder.mkdir()
            shutil.copy(indexer / CONFIG_NAME, folder / CONFIG_NAME)
            if (indexer / "models").is_dir():
                shutil.copytree(indexer / "models", folder / "models")
            replicas.append(folder)
        # the second replica keeps no attribute index either: filters, facets and values are answered by Milvus
        update_settings_file(replicas[1], attributes_in_engine=True)
        with _served(replicas[0]) as a, _served(replicas[1]) as b:
            assert _generation(a) == _generation(b) == first
            for q in QUERIES:
                ours = _ids(a, q)
                assert ours == _ids(b, q) == embedded[q], q
                assert _answer(a, q)["facets"] == _answer(b, q)["facets"], q
            for folder in replicas:
                written = [p for p in folder.rglob("*") if p.is_file() and p.name != CONFIG_NAME and "models" not in p.relative_to(folder).parts]
                assert not written, written
            # a third process changes the catalog and re-indexes: both replicas move to the new generation
            gone = embedded["red dress"][0]
            with Shop.open(indexer) as shop:
                assert shop.delete_products([gone])[0] == 1
                second = shop.store.live_generation()
                expected = [h.id for h in shop.search("red dress", k=10).hits]
            assert second != first
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (_generation(a) == _generation(b) == second):
                time.sleep(0.5)
            assert _generation(a) == _generation(b) == second
            after_a, after_b = _ids(a, "red dress"), _ids(b, "red dress")
            assert after_a == after_b == expected and gone not in after_a
        with Shop.open(indexer) as shop:
            shop.index(show_progress=False)  # a third generation: the first is forgotten in the store and its collections dropped
            assert shop.store.published_generations() == sorted([second, shop.store.live_generation()])
            live_files = shop.store.generation_files(shop.store.live_generation(), ".json")
        from milvus_server import collections

        from daogou.index.milvus import collection_name
        from daogou.index.milvus_lexical import NAME as LEXICAL

        # the collections the first generation made (vectors and BM25) were carried forward, updated in place by the
        # delete and the re-index: the live generation names them, so they stay, and nothing else of it is left
        carried = {json.loads(data).get("collection") for data in live_files.values()} - {None}
        left = {c for c in collections(milvus_bm25) if first.lower().replace("-", "_") in c}
        assert left <= carried and collection_name(first, LEXICAL) in left
