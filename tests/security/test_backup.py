"""Backup while the shop is in use, restore into a new folder, search the restored shop; damaged archives refused."""

from __future__ import annotations

import tarfile
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from daogou.backup import BackupFailed, backup, restore
from daogou.catalog.schema import Product
from daogou.cli import app
from daogou.shop import Shop


def test_backup_during_writes_then_restore_and_search(myntra_shop: Shop, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(myntra_shop.path, tmp_path / "live")
    stop = threading.Event()

    def writer() -> None:  # a server process importing while the backup runs
        with Shop.open(tmp_path / "live") as shop:
            n = 0
            while not stop.is_set():
                shop.store.upsert_products([Product(id=f"new-{n}", title=f"new item {n}")])
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = backup(tmp_path / "live", tmp_path / "shop.tar.gz")
    finally:
        stop.set()
        thread.join()
    assert report.files > 300  # settings, store, photos, index
    result = CliRunner().invoke(app, ["restore", str(tmp_path / "shop.tar.gz"), str(tmp_path / "restored")])
    assert result.exit_code == 0, result.output
    with Shop.open(tmp_path / "restored") as restored:
        assert restored.store.count() >= 300
        expected = [h.id for h in myntra_shop.search("black watch", k=5).hits]
        assert [h.id for h in restored.search("black watch", k=5).hits] == expected
        photo = Path(restored.product(expected[0]).image_path)
        assert photo.is_relative_to((tmp_path / "restored").resolve()) and photo.is_file()
    with pytest.raises(BackupFailed, match="not empty"):
        restore(tmp_path / "shop.tar.gz", tmp_path / "restored")


def test_damaged_or_foreign_archives_are_refused(tmp_path: Path) -> None:
    Shop.init(tmp_path / "shop").close()
    backup(tmp_path / "shop", tmp_path / "b.tar.gz")
    data = (tmp_path / "b.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupFailed, match="not a readable"):
        restore(tmp_path / "cut.tar.gz", tmp_path / "r1")
    (tmp_path / "evil.txt").write_text("x", encoding="utf-8")
    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "evil.txt", arcname="../../escape.txt")
    with pytest.raises(BackupFailed):
        restore(tmp_path / "evil.tar.gz", tmp_path / "r2")
    assert not (tmp_path.parent / "escape.txt").exists()
