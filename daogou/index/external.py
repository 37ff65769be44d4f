"""The manifest a generation folder keeps for a vector space held by an external engine (a pgvector table, a
Milvus collection): which object holds it, built by which model, how many rows.

Why one module: both engines record, validate and list these files the same way; only the backend name, the
key of the object's name ("table", "collection") and the pattern a safe name must match differ. Names go into
SQL text or Milvus calls, so a manifest naming anything a builder could not have made is refused.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from daogou import atomic
from daogou.errors import IndexMismatch, IndexMissing

FORMAT = 1


@dataclass(frozen=True)
class Engine:
    """How one external backend names what it holds."""

    backend: str  # the manifest's "backend" value
    key: str  # the manifest key of the object's name
    safe: re.Pattern[str]  # what a name made by the builder looks like
    label: str  # for messages: "a pgvector index"


@dataclass(frozen=True)
class Space:
    """One space's manifest, validated."""

    location: str
    model: str
    dim: int
    count: int
    kind: str
    filters: bool = False  # the engine holds every product's attribute terms and price, and filters by itself


def write(engine: Engine, directory: Path, name: str, space: Space) -> None:
    """Record `space` as `name` in the generation folder (the engine's URL is a setting, never written: it may hold a password)."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "backend": engine.backend, engine.key: space.location, "model": space.model, "dim": space.dim,
                "count": space.count, "kind": space.kind, "filters": space.filters, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    atomic.write_text(directory / f"{name}.json", json.dumps(manifest))


def read(engine: Engine, directory: Path, name: str, model: str, dim: int | None = None) -> Space:
    """The manifest of `name`, refusing another backend's, an unsafe name, or one built by another model or dimension."""
    path = directory / f"{name}.json"
    if not path.exists():
        raise IndexMissing(f"no {name} vector index in {directory}: run `daogou index` first")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("backend") != engine.backend or manifest.get("format") != FORMAT or not engine.safe.fullmatch(str(manifest.get(engine.key, ""))):
        raise IndexMismatch(f"{path}: not {engine.label} of format {FORMAT}; re-run `daogou index`")
    if manifest["model"] != model or (dim is not None and manifest["dim"] not in (dim, 0)):
        raise IndexMismatch(f"{name} index was built with {manifest['model']} ({manifest['dim']}-d), the shop is configured for {model}; re-run `daogou index`")
    return Space(manifest[engine.key], manifest["model"], manifest["dim"], manifest["count"], manifest["kind"], bool(manifest.get("filters", False)))


def locations(engine: Engine, directory: Path) -> list[str]:
    """The names of every object of `engine` a (pruned) generation's manifests record; unreadable files are skipped."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("backend") == engine.backend and engine.safe.fullmatch(str(manifest.get(engine.key, ""))):
            found.append(manifest[engine.key])
    return found


def released(engine: Engine, directory: Path, kept: Sequence[Path] = ()) -> list[str]:
    """The objects of `engine` a pruned generation names that no `kept` generation names too (a collection or table
    a later generation carried forward and updated in place stays): what may be dropped."""
    keep = {location for folder in kept for location in locations(engine, folder)}
    return [location for location in locations(engine, directory) if location not in keep]
