"""Reader: what needs encoding, as batches of (product id, input hash, model input).

Why hashes: the store remembers the hash of the input each vector came from, so a product whose
title and photo did not change is never re-encoded, and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from daogou.catalog.schema import Product
from daogou.catalog.store import CatalogStore

@dataclass
class Batch:
    """One unit of work for a mapper: inputs are passages (text) or image file paths (image)."""

    space: str
    model: str
    ids: list[str]
    hashes: list[str]
    inputs: list[str]
    #: the photos' bytes, when the batch goes to workers that cannot read this machine's files (Ray)
    data: list[bytes] | None = None


def text_input(product: Product) -> str | None:
    return product.passage()


def image_input(product: Product) -> str | None:
    return product.image_path or None


def input_hash(space: str, product: Product) -> str | None:
    """Hash of what the encoder of `space` would read for `product`; None if it has nothing to read."""
    if space == "text":
        return hashlib.sha256(product.passage().encode("utf-8")).hexdigest()
    if not product.image_path:
        return None
    return product.image_hash or hashlib.sha256(product.image_path.encode("utf-8")).hexdigest()


def _read(path: str) -> bytes:
    """A photo's bytes; b"" when it cannot be read (the mapper reports it as it reports any unreadable photo)."""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def read_batches(store: CatalogStore, space: str, model: str, batch_size: int, ship_files: bool = False) -> tuple[int, Iterator[Batch]]:
    """(number of items to encode, iterator of batches) for one space; `ship_files`: image batches carry bytes."""
    pending = store.pending(space, model, lambda p: input_hash(space, p))
    get_input = text_input if space == "text" else image_input

    def batches() -> Iterator[Batch]:
        for start in range(0, len(pending), batch_size):
            chunk = pending[start : start + batch_size]
            inputs = [get_input(item.product) or "" for item in chunk]
            yield Batch(
                space=space,
                model=model,
                ids=[item.product.id for item in chunk],
                hashes=[item.input_hash for item in chunk],
                inputs=inputs,
                data=[_read(path) for path in inputs] if ship_files and space != "text" else None,
            )

    return len(pending), batches()
