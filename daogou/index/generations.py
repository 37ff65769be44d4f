"""Index generations: every rebuild writes a new folder beside the live one, then one pointer switches to it.

Why: rebuilding in place (file by file) meant a rebuild that failed midway — disk full, `kill -9`
between two renames — left the live index half old, half new, while health said ok. Now a reader
only ever follows `CURRENT` to a generation that was complete (with its manifest of checksums)
before the pointer moved; a corrupted file is caught by its checksum when the generation is opened;
leftovers of crashed builds are removed by the next successful one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from daogou import atomic
from daogou.errors import DaogouError
from daogou.processes import alive

POINTER = "CURRENT"
MANIFEST = "manifest.json"
PREFIX = "gen-"
#: Generations kept besides the live one (a server that opened the previous one keeps reading it).
KEEP_PREVIOUS = 1


class IndexCorrupt(DaogouError):
    """An index file does not match the checksum recorded when its generation was built."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Generations:
    """The generations under one `index/` folder of a shop."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def current_name(self) -> str:
        """The live generation's name ('' if none): cheap, so servers compare it on every request."""
        try:
            return (self.root / POINTER).read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def current(self) -> Path:
        """The live generation's folder; shops indexed before generations existed read `index/` itself."""
        name = self.current_name()
        if name and (self.root / name).is_dir():
            return self.root / name
        return self.root

    def begin(self) -> Path:
        """A fresh, empty folder to build the next generation in."""
        self.root.mkdir(parents=True, exist_ok=True)
        folder = self.root / f"{PREFIX}{time.time_ns():x}-{os.getpid()}"
        folder.mkdir()
        return folder

    def commit(self, folder: Path, release: Callable[[Path, list[Path]], None] | None = None) -> None:
        """Record checksums, switch the pointer to `folder` in one rename, then prune old and crashed builds.

        `release(old_folder, kept_folders)` frees what a pruned generation holds outside its folder (pgvector tables,
        Milvus collections) but not what the kept generations still name (a collection carried forward)."""
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
        manifest = {str(p.relative_to(folder)): sha256_file(p) for p in files}
        atomic.write_text(folder / MANIFEST, json.dumps(manifest, indent=0, sort_keys=True))
        previous = self.current_name()
        atomic.write_text(self.root / POINTER, folder.name)
        keep = {folder.name, previous} if KEEP_PREVIOUS else {folder.name}
        kept = [self.root / name for name in sorted(keep) if name and (self.root / name).is_dir()]
        for other in self.root.glob(f"{PREFIX}*"):
            if other.name not in keep and other.is_dir() and not _building(other):
                if release is not None:
                    release(other, kept)
                shutil.rmtree(other, ignore_errors=True)

    def abandon(self, folder: Path, release: Callable[[Path, list[Path]], None] | None = None) -> None:
        """Remove a generation whose build failed (the live one is untouched, and keeps what it carried over)."""
        if release is not None:
            release(folder, [other for other in self.root.glob(f"{PREFIX}*") if other != folder and other.is_dir()])
        shutil.rmtree(folder, ignore_errors=True)

    def verify(self, folder: Path) -> None:
        """Raise IndexCorrupt if any file differs from the manifest (or is missing)."""
        manifest_path = folder / MANIFEST
        if folder == self.root or not manifest_path.exists():
            return  # a shop indexed before generations existed: nothing recorded to check
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"index manifest of {folder.name} is unreadable; run `daogou index` again") from exc
        for name, expected in manifest.items():
            path = folder / name
            if not path.is_file() or sha256_file(path) != expected:
                raise IndexCorrupt(f"index file {name} of {folder.name} is damaged or missing; run `daogou index` again")


    def close(self) -> None:
        """Nothing to release for a folder (published generations remove their in-memory copy)."""


def _building(folder: Path) -> bool:
    """Whether a process is still building `folder` (its name ends with the builder's pid)."""
    try:
        pid = int(folder.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid() or (folder / MANIFEST).exists():
        return False
    return alive(pid)
