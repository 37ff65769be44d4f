"""Catalog files (CSV / JSONL / Parquet) + image folders → validated Product records.

Why row-by-row with line numbers: a shop's export always has a few bad rows; the import must name
each one (file, line, reason), skip it and keep the rest, instead of failing whole or writing junk.
Images are opened and hashed here, once, so an unreadable photo is a bad row now rather than a
crash in the middle of encoding, and the hash lets re-indexing skip unchanged photos.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError

from daogou import atomic
from daogou.catalog.presets import ColumnMapping, Row
from daogou.catalog.s3rec import s3rec_rows
from daogou.catalog.schema import Product
from daogou.errors import ImportFailed
from daogou.images import UnsafeImage, sniff

#: Largest image file we accept (bytes); sizes, shapes and formats are checked by daogou.images.
MAX_IMAGE_BYTES = 20 * 1024 * 1024


@dataclass
class RowError:
    """One skipped row: where it was and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class ReadResult:
    """What a catalog file yielded: the good products, the skipped rows, and notes (e.g. products without photo)."""

    products: list[Product] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    without_image: int = 0


def raw_rows(path: Path, encoding: str) -> Iterator[tuple[int, Row | Exception]]:
    """Yield (line number, row dict) from CSV, JSONL or Parquet; a row that cannot be parsed yields its exception."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        with path.open("r", encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            if not reader.fieldnames:
                raise ImportFailed(f"{path}: empty file or no header row")
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield reader.line_num, exc
                    continue
                if None in row:  # more cells than header columns
                    yield reader.line_num, ValueError(f"{len(row[None]) + len(reader.fieldnames)} cells, header has {len(reader.fieldnames)}")  # type: ignore[arg-type]
                    continue
                yield reader.line_num, row
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("r", encoding=encoding) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, ValueError(f"invalid JSON: {exc.msg}")
                    continue
                if not isinstance(value, dict):
                    yield number, ValueError("a JSONL line must be an object")
                    continue
                yield number, value
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise ImportFailed(f"{path}: not a readable Parquet file ({exc})") from exc
        for number, row in enumerate(table.to_pylist(), start=1):
            yield number, row
    else:
        raise ImportFailed(f"{path}: unsupported file type {suffix!r} (use .csv, .tsv, .jsonl or .parquet)")


def _cell(row: Row, column: str) -> str:
    if not column:
        return ""
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _image_path(row: Row, mapping: ColumnMapping, base: Path, product_id: str, confine: bool = False) -> Path | None:
    if not mapping.image:
        return None
    if "{" in mapping.image:
        relative = mapping.image.format(id=product_id)
    else:
        relative = _cell(row, mapping.image)
        if not relative:
            return None
    path = Path(relative)
    if confine and (path.is_absolute() or ".." in path.parts):
        raise ValueError("photo path must be relative to the photo folder, without '..'")
    return path if path.is_absolute() else base / path


def inspect_image(path: Path, photo_store: Path | None = None) -> tuple[str, Path]:
    """Check that `path` is a regular, reasonably sized JPEG/PNG/WebP/GIF and return its content hash.

    Regular files only, read with a cap: a device file would read until memory runs out, a FIFO would
    hang the import, a directory would abort it. With `photo_store`, the verified bytes are copied into
    it under their hash and that copy is what the shop serves (a file swapped at the source later, or a
    symlink put there, is never read again). Returns (hash, path to serve). Raises ValueError with a
    reason a person can act on.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ValueError(f"image {path.name} not readable ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"image {path.name} is not a regular file")
    if info.st_size > MAX_IMAGE_BYTES:
        raise ValueError(f"image {path.name} is {info.st_size // 1_000_000} MB; the limit is {MAX_IMAGE_BYTES // 1_000_000} MB")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: a FIFO swapped in after the stat cannot hang us
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"image {path.name} is not a regular file")
        data = handle.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"image {path.name} is over {MAX_IMAGE_BYTES // 1_000_000} MB")
    try:
        mime = sniff(data)
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except UnsafeImage as exc:
        raise ValueError(f"image {path.name}: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"image {path.name} is not a readable picture ({exc.__class__.__name__})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if photo_store is None:
        return digest, path
    kept = photo_store / digest[:2] / f"{digest}.{mime.split('/')[1]}"
    if not kept.exists():
        atomic.write_bytes(kept, data)
    return digest, kept


def _to_product(row: Row, mapping: ColumnMapping, base: Path, confine: bool = False, photo_store: Path | None = None) -> tuple[Product, bool]:
    """Map one raw row to a Product; returns (product, has_image). Raises ValueError/ValidationError."""
    product_id = _cell(row, mapping.id)
    if not product_id:
        raise ValueError(f"missing id (column {mapping.id!r})")
    price_raw = _cell(row, mapping.price)
    price: float | None = None
    if price_raw:
        try:
            price = float(price_raw.replace(",", ""))
        except ValueError as exc:
            raise ValueError(f"price {price_raw!r} is not a number") from exc
    attributes = {name: _cell(row, column) for name, column in mapping.attributes.items()}
    brand = _cell(row, mapping.brand)
    if mapping.derive is not None:
        derived = mapping.derive(row)
        brand = brand or derived.pop("brand", "")
        attributes.update({k: v for k, v in derived.items() if k not in attributes or not attributes[k]})
    image_path = _image_path(row, mapping, base, product_id, confine)
    image_hash = ""
    if image_path is not None:
        if mapping.image_optional and not image_path.exists():
            image_path = None
        else:
            image_hash, image_path = inspect_image(image_path, photo_store)
    product = Product(
        id=product_id,
        title=_cell(row, mapping.title),
        description=_cell(row, mapping.description),
        brand=brand,
        price=price,
        currency=(_cell(row, mapping.currency) if mapping.currency else "") or mapping.default_currency,
        image_path=str(image_path.resolve()) if image_path else "",
        image_hash=image_hash,
        attributes=attributes,
    )
    return product, image_path is not None


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "row"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(exc)


def read_catalog(
    path: Path | str,
    mapping: ColumnMapping,
    limit: int | None = None,
    image_dir: Path | str | None = None,
    confine: bool = False,
    photo_store: Path | None = None,
) -> ReadResult:
    """Read a catalog file into validated products; bad rows are reported, never raised.

    Relative photo paths are resolved against `image_dir`, or the catalog file's folder. With `confine`
    (uploads from the network) absolute and `..` photo paths are refused row by row. With `photo_store`
    photos are copied into it (content-addressed) and served from there.

    Duplicate ids keep the first row and report the later ones, because silently overwriting would
    hide an export bug.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    result = ReadResult()
    seen: set[str] = set()
    base = Path(image_dir) if image_dir is not None else path.parent
    try:
        rows = s3rec_rows(path) if mapping.layout == "s3rec" else raw_rows(path, mapping.encoding)
        for line, row in rows:
            if limit is not None and len(result.products) >= limit:
                break
            if isinstance(row, Exception):
                result.errors.append(RowError(str(path), line, _explain(row)))
                continue
            try:
                product, has_image = _to_product(row, mapping, base, confine, photo_store)
            except (ValueError, ValidationError) as exc:
                result.errors.append(RowError(str(path), line, _explain(exc)))
                continue
            if product.id in seen:
                result.errors.append(RowError(str(path), line, f"duplicate id {product.id!r} (first row kept)"))
                continue
            seen.add(product.id)
            if mapping.image and not has_image:
                result.without_image += 1
            result.products.append(product)
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not {mapping.encoding} text ({exc.reason}); pass --encoding latin-1 or the right one") from exc
    return result


T = TypeVar("T")


def read_records(path: Path | str, encoding: str, build: Callable[[Row], T]) -> tuple[list[T], list[RowError]]:
    """Read any record file row by row: `build` turns a row into a record or raises ValueError/ValidationError,
    which becomes a RowError naming the file and line. Shared by the events and reviews readers."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    records: list[T] = []
    errors: list[RowError] = []
    try:
        for line, row in raw_rows(path, encoding):
            if isinstance(row, Exception):
                errors.append(RowError(str(path), line, _explain(row)))
                continue
            try:
                records.append(build(row))
            except (ValueError, ValidationError) as exc:
                errors.append(RowError(str(path), line, _explain(exc)))
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not {encoding} text ({exc.reason})") from exc
    return records, errors


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """FIELD=COLUMN pairs (from --map options or a form field) as a dict; a pair without "=" is refused, not skipped.

    Why strict: a silently dropped mapping imports every row with the wrong column, which is worse than an error.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ImportFailed(f"mapping {pair!r}: expected FIELD=COLUMN")
        key, value = pair.split("=", 1)
        if not key.strip() or not value.strip():
            raise ImportFailed(f"mapping {pair!r}: both FIELD and COLUMN are needed")
        mapping[key.strip()] = value.strip()
    return mapping
