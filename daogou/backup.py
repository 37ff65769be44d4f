"""Shop backups: one archive with the settings, the store, the photos, the trained models and the live index generation.

Why this way: copying a shop folder while a server runs can catch catalog.db mid-transaction. SQLite's
online backup API copies a consistent snapshot while readers and writers carry on; a PostgreSQL store
is dumped by its own `pg_dump`. Every member's checksum is recorded, and a restore checks them before
the shop is opened, so a damaged archive is refused rather than served.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from daogou.config import CONFIG_NAME, load_settings
from daogou.errors import DaogouError
from daogou.index.generations import POINTER, Generations, sha256_file

MANIFEST = "daogou-backup.json"


class BackupFailed(DaogouError):
    """A backup or restore that could not be completed (nothing half-written is left behind)."""


@dataclass
class BackupReport:
    path: str
    files: int
    bytes: int
    seconds: float


def _snapshot_store(shop_dir: Path, store_url: str, into: Path) -> list[Path]:
    """A consistent copy of the store in `into`: SQLite by the online backup API, PostgreSQL by pg_dump."""
    if not store_url:
        source = sqlite3.connect(f"file:{shop_dir / 'catalog.db'}?mode=ro", uri=True)
        target = sqlite3.connect(into / "catalog.db")
        try:
            source.backup(target, pages=1024)
        finally:
            target.close()
            source.close()
        return [into / "catalog.db"]
    if store_url.startswith("postgresql"):
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupFailed("the store is PostgreSQL: install its client tools (pg_dump) to back it up")
        url = store_url.replace("postgresql+psycopg://", "postgresql://").replace("postgresql+psycopg2://", "postgresql://")
        dump = into / "store.pgdump"
        done = subprocess.run([pg_dump, "--format=custom", f"--file={dump}", url], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[:300]}")
        return [dump]
    raise BackupFailed(f"no backup method for the store {store_url.split(':', 1)[0]!r}")


def backup(shop_dir: Path | str, archive: Path | str) -> BackupReport:
    """Write `archive` (.tar.gz) from a shop that may be serving at the same time."""
    started = time.perf_counter()
    shop_dir, archive = Path(shop_dir), Path(archive)
    if not (shop_dir / CONFIG_NAME).exists():
        raise BackupFailed(f"{shop_dir} is not a daogou shop")
    settings = load_settings(shop_dir)
    generations = Generations(shop_dir / "index")
    live = generations.current()
    members: dict[str, Path] = {CONFIG_NAME: shop_dir / CONFIG_NAME}
    with tempfile.TemporaryDirectory() as tmp:
        for path in _snapshot_store(shop_dir, settings.store_url, Path(tmp)):
            members[path.name] = path
        for folder in ("models", "photos"):
            for path in sorted((shop_dir / folder).rglob("*")) if (shop_dir / folder).is_dir() else []:
                if path.is_file() and not path.is_symlink() and not path.name.startswith(".") and "cache" not in path.relative_to(shop_dir).parts:
                    members[str(path.relative_to(shop_dir))] = path
        if live != generations.root:
            members[f"index/{POINTER}"] = shop_dir / "index" / POINTER
            for path in sorted(live.rglob("*")):
                if path.is_file():
                    members[str(path.relative_to(shop_dir))] = path
        manifest = {"created": time.time(), "store": "postgresql" if settings.store_url else "sqlite",
                    "files": {name: sha256_file(path) for name, path in members.items()}}
        partial = archive.with_name(f".{archive.name}.partial")
        archive.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(time.time())
            tar.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
                size += path.stat().st_size
        partial.replace(archive)
    return BackupReport(str(archive), len(members), size, round(time.perf_counter() - started, 2))


def restore(archive: Path | str, target: Path | str) -> int:
    """Unpack `archive` into a new folder `target`, verifying every checksum; returns the number of files."""
    archive, target = Path(archive), Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupFailed(f"{target} is not empty: restore into a new folder")
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.parent if target.parent.exists() else None))
    try:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(staging, filter="data")  # refuses absolute paths, '..', links out and devices
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupFailed(f"{archive.name} is not a readable daogou backup ({exc.__class__.__name__})") from exc
        manifest_path = staging / MANIFEST
        if not manifest_path.exists():
            raise BackupFailed(f"{archive.name} has no {MANIFEST}: not a daogou backup")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for name, expected in manifest["files"].items():
            path = staging / name
            if not path.is_file() or sha256_file(path) != expected:
                raise BackupFailed(f"{name} in {archive.name} is damaged or missing")
        manifest_path.unlink()
        if (staging / "store.pgdump").exists():
            raise BackupFailed("this backup holds a PostgreSQL dump: load it with pg_restore into your server, then set store_url")
        target.mkdir(parents=True, exist_ok=True)
        for child in staging.iterdir():
            child.replace(target / child.name)
        return len(manifest["files"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
