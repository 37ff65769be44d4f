"""Importers on hand-written fixtures (bad rows of every kind) and on real slices of the shared catalogs."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from daogou.catalog.importers import read_catalog
from daogou.catalog.presets import PRESETS, ColumnMapping
from daogou.errors import ImportFailed

MAPPING = ColumnMapping(id="sku", title="name", price="price", image="photo", attributes={"colour": "colour"})


def _write_catalog(tmp_path: Path) -> Path:
    Image.new("RGB", (40, 60), "red").save(tmp_path / "good.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 this is not really a jpeg")
    lines = [
        "sku,name,price,photo,colour",
        "A1,Red dress,19.90,good.jpg,Red",  # line 2: good
        ",No id,5,,",  # line 3: missing id
        "A3,Bad price,cheap,,",  # line 4: price not a number
        "A4,Broken photo,5,broken.jpg,",  # line 5: unreadable image
        "A5,Too,many,cells,here,x",  # line 6: extra cells
        "A1,Duplicate,3,,",  # line 7: duplicate id
        "A7,'; DROP TABLE products; --,1,,Blue",  # line 8: SQL-looking text is just text
        "A8,,1,,",  # line 9: empty title
        "A9,Missing photo,1,nowhere.jpg,",  # line 10: photo file missing
    ]
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_rows_are_reported_by_line_and_skipped(tmp_path: Path) -> None:
    result = read_catalog(_write_catalog(tmp_path), MAPPING)
    assert [p.id for p in result.products] == ["A1", "A7"]
    lines = {e.line: e.reason for e in result.errors}
    assert set(lines) == {3, 4, 5, 6, 7, 9, 10}
    assert "missing id" in lines[3]
    assert "cheap" in lines[4]
    assert "not a readable image" in lines[5]
    assert "cells" in lines[6]
    assert "duplicate" in lines[7]
    assert "title" in lines[9]
    assert "not readable" in lines[10]
    good = result.products[0]
    assert good.price == pytest.approx(19.9) and good.attributes == {"colour": "Red"}
    assert len(good.image_hash) == 64 and Path(good.image_path).is_absolute()
    assert result.products[1].title.startswith("'; DROP TABLE")


def test_jsonl_and_parquet(tmp_path: Path) -> None:
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(json.dumps({"sku": "1", "name": "Blue shirt"}) + "\n{not json\n" + json.dumps([1, 2]) + "\n", encoding="utf-8")
    result = read_catalog(jsonl, MAPPING)
    assert [p.id for p in result.products] == ["1"]
    assert {e.line for e in result.errors} == {2, 3}
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"sku": ["1", "2"], "name": ["Blue shirt", None], "price": [3.5, 2.0]}), parquet)
    result = read_catalog(parquet, MAPPING)
    assert [p.id for p in result.products] == ["1"] and result.products[0].price == 3.5
    assert len(result.errors) == 1


def test_whole_file_problems_raise_clearly(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such file"):
        read_catalog(tmp_path / "missing.csv", MAPPING)
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(ImportFailed, match="unsupported"):
        read_catalog(tmp_path / "x.xlsx", MAPPING)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("sku,name\n1,Caf\xe9 table\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match="latin-1"):
        read_catalog(latin, MAPPING)
    assert read_catalog(latin, MAPPING.with_overrides({"encoding": "latin-1"})).products[0].title == "Café table"


def test_mapping_overrides() -> None:
    mapping = PRESETS["myntra"].with_overrides({"title": "name", "attr.fit": "Fit"})
    assert mapping.title == "name" and mapping.attributes["fit"] == "Fit" and mapping.attributes["type"] == "articleType"
    with pytest.raises(ValueError, match="unknown mapping"):
        PRESETS["myntra"].with_overrides({"colour": "x"})


def test_myntra_preset_on_real_rows(myntra_dir: Path) -> None:
    result = read_catalog(myntra_dir / "styles_subset.csv", PRESETS["myntra"], limit=50)
    assert len(result.products) == 50 and not result.errors
    first = result.products[0]
    assert first.id == "15970" and first.attributes["type"] == "Shirts" and first.attributes["colour"] == "Navy Blue"
    assert Path(first.image_path).exists()


def test_hm_preset_keeps_zero_padded_ids_and_optional_photos(data_dir: Path) -> None:
    result = read_catalog(data_dir / "hm_fashion_sample" / "articles.csv", PRESETS["hm"], limit=300)
    assert not result.errors and len(result.products) == 300
    assert all(len(p.id) == 10 and p.id.startswith("0") for p in result.products)
    with_photo = [p for p in result.products if p.image_path]
    assert with_photo and result.without_image == 300 - len(with_photo)
    assert with_photo[0].image_path.endswith(f"/{with_photo[0].id[:3]}/{with_photo[0].id}.jpg")
    genders = {p.attributes.get("gender") for p in result.products}
    assert "Women" in genders


def test_flipkart_preset_reads_prices_brands_and_tree(data_dir: Path) -> None:
    result = read_catalog(data_dir / "flipkart_products_sample" / "product.csv", PRESETS["flipkart"])
    assert len(result.products) + len(result.errors) == 1002
    first = result.products[0]
    assert first.price == 499.0 and first.brand == "aw"
    assert first.attributes["category"] == "Footwear" and first.attributes["colour"] == "Red"
    assert first.attributes["gender"] == "Women" and first.attributes["type"] == "Ballerinas"
