"""A throwaway Milvus server on loopback for the Milvus backend tests, or the one DAOGOU_MILVUS_URI names.

Why a real server: the `milvus` 2.3.5 wheel is the real Milvus standalone server with an embedded etcd (see
../shared/notes/scale-out.md; the pure-Python Milvus Lite 3.x is not a faithful double). It starts offline in
10-30 s here, so the tests using it are marked slow. Skipped cleanly where the wheel or pymilvus is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def milvus_server() -> Iterator[str | None]:
    """Yield a milvus://host:port URL, or None when no server can be had."""
    if os.environ.get("DAOGOU_MILVUS_URI"):
        yield os.environ["DAOGOU_MILVUS_URI"]
        return
    if importlib.util.find_spec("milvus") is None or importlib.util.find_spec("pymilvus") is None:
        yield None
        return
    from milvus import MilvusServer  # noqa: PLC0415

    folder = tempfile.mkdtemp(prefix="daogou-milvus-")
    server = MilvusServer()
    server.set_base_dir(folder)
    server.listen_port = _free_port()
    try:
        server.start()
    except Exception:  # noqa: BLE001 - any start failure means: no server here
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    try:
        yield f"milvus://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def collections(url: str) -> set[str]:
    """The collections daogou made on the server at `url`."""
    from pymilvus import utility

    from daogou.index.milvus import PREFIX, connected

    return {name for name in utility.list_collections(using=connected(url)) if name.startswith(PREFIX)}


@contextmanager
def milvus_lite(folder: str) -> Iterator[str | None]:
    """Milvus Lite (milvus-lite 2.5.1: the real C++ core, with BM25) serving gRPC on a loopback port, so several
    processes can use it as they would a server; None where the package is missing. DAOGOU_MILVUS_BM25_URI names a
    Milvus ≥ 2.5 server to use instead."""
    if os.environ.get("DAOGOU_MILVUS_BM25_URI"):
        yield os.environ["DAOGOU_MILVUS_BM25_URI"]
        return
    if importlib.util.find_spec("milvus_lite") is None or importlib.util.find_spec("pymilvus") is None:
        yield None
        return
    import time

    from milvus_lite.server import Server

    port = _free_port()
    server = Server(os.path.join(folder, "lite.db"), address=f"127.0.0.1:{port}")
    if not (server.init() and server.start()):
        yield None
        return
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"milvus://127.0.0.1:{port}"
    finally:
        server.stop()


def reindexed_copy(source: Path, folder: Path, **settings: object) -> Path:
    """A copy of the shop at `source`, re-indexed with `settings` (an engine URL, engine_fusion...) written first."""
    from daogou.config import update_settings_file
    from daogou.shop import Shop

    shutil.copytree(source, folder)
    update_settings_file(folder, tryon_rigs=False, **settings)
    with Shop.open(folder) as shop:
        shop.index(show_progress=False)
    return folder


def drop_generations(folder: Path) -> None:
    """Drop every collection or table a shop's generations made (other tests expect a server they did not fill)."""
    from daogou.config import load_settings
    from daogou.index import backends

    settings = load_settings(folder)
    for generation in sorted((folder / "index").glob("gen-*")):
        backends.prune(settings, generation)
