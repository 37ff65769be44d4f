"""Publishing index generations into the store (index_in_store): refused, with a clear error and the live index
untouched, while any index is still a file; the store's side (publish, live pointer, forget) on SQLite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from daogou.catalog.store import CatalogStore
from daogou.config import update_settings_file
from daogou.index.published import NotPublishable
from daogou.shop import Shop


def test_a_generation_with_index_files_is_not_published(myntra_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, path)
    update_settings_file(path, index_in_store=True, tryon_rigs=False)
    with Shop.open(path) as shop:
        live = (path / "index" / "CURRENT").read_text()
        with pytest.raises(NotPublishable, match="vector_url and lexical_url"):
            shop.index(show_progress=False)
        assert (path / "index" / "CURRENT").read_text() == live and not shop.store.published_generations()
        assert sorted(p.name for p in (path / "index").iterdir() if p.is_dir()) == [live]  # the refused build left nothing


def test_the_store_keeps_published_generations(tmp_path: Path) -> None:
    store = CatalogStore(f"sqlite:///{tmp_path / 'c.db'}")
    assert store.live_generation() == "" and store.generation_files("gen-x") == {}
    store.publish_generation("gen-a", {"text.json": b"{}", "terms.json": b"{\"p\": \"red\"}"})
    store.publish_generation("gen-b", {"text.json": b"{\"b\": 1}"})
    assert store.live_generation() == "gen-b" and store.published_generations() == ["gen-a", "gen-b"]
    assert store.generation_files("gen-a", ".json") == {"text.json": b"{}", "terms.json": b"{\"p\": \"red\"}"}
    with pytest.raises(ValueError):
        store.forget_generation("gen-b")  # never the live one
    store.forget_generation("gen-a")
    assert store.published_generations() == ["gen-b"]
    store.close()
