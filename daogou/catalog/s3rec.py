"""The item files of the S3-Rec/P5 Amazon sets (Beauty, Sports...) as catalog rows.

Why a reader of its own: these sets split one product over three files. `*_item_textid.txt` holds
"ASIN word word ..." (a short text made from the title), `*_datamaps.json.gz` maps the integer item ids
used by the behaviour file to ASINs, and `*_item2attributes.json` lists each item's anonymous brand and
category ids. The catalog's product id must be the integer id, so that the behaviour file
(`daogou import-events --preset sequence`) names the same products. Point the importer at the
`*_item_textid.txt` file; the other two are found beside it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from daogou.errors import ImportFailed

Row = dict[str, object]
TEXT_SUFFIX = "_item_textid.txt"


def _siblings(path: Path) -> tuple[Path, Path]:
    if not path.name.endswith(TEXT_SUFFIX):
        raise ImportFailed(f"{path}: the amazon_s3rec preset reads a *{TEXT_SUFFIX} file (its datamaps and attributes files beside it)")
    stem = path.name[: -len(TEXT_SUFFIX)]
    maps = path.with_name(f"{stem}_datamaps.json.gz")
    if not maps.exists():
        maps = path.with_name(f"{stem}_datamaps.json")
    attributes = path.with_name(f"{stem}_item2attributes.json")
    if not maps.exists():
        raise ImportFailed(f"{path}: no {stem}_datamaps.json(.gz) beside it (item id → ASIN map)")
    return maps, attributes


def s3rec_rows(path: Path) -> Iterator[tuple[int, Row | Exception]]:
    """(line number, row) per item: {"item_id", "asin", "text", "attributes"}.

    An item the text file lacks (one of Beauty's 12,101) is still a product the behaviour names: its ASIN
    stands in as its title rather than dropping its purchases."""
    maps, attributes_path = _siblings(path)
    try:
        opener = gzip.open if maps.suffix == ".gz" else open
        with opener(maps, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            id2item: dict[str, str] = json.load(handle)["id2item"]
        attributes: dict[str, list[int]] = json.loads(attributes_path.read_text(encoding="utf-8")) if attributes_path.exists() else {}
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ImportFailed(f"{maps}: not a readable datamaps file with an id2item table ({exc})") from exc
    texts: dict[str, tuple[int, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            asin, _, text = line.strip().partition(" ")
            if asin:
                texts[asin] = (number, text.strip())
    for item_id, asin in sorted(id2item.items(), key=lambda pair: int(pair[0]) if pair[0].isdigit() else 0):
        number, text = texts.get(asin, (0, ""))
        tags = " ".join(f"a{value}" for value in attributes.get(item_id, []))
        yield number, {"item_id": item_id, "asin": asin, "text": text or asin, "attributes": tags}
