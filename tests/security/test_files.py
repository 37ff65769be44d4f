"""Regression tests for the medium findings about files (M1–M3) and the low findings at the API's edge (L1, L2, L9, L10)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from daogou.catalog.importers import read_catalog
from daogou.catalog.presets import ColumnMapping
from daogou.serve.app import create_app
from daogou.shop import Shop

TOKEN = "sec-token"
MAPPING = ColumnMapping(id="id", title="title", image="photo")


def _jpeg(path: Path, colour: str = "red") -> None:
    Image.new("RGB", (40, 60), colour).save(path, "JPEG")


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[TestClient, Path]:
    """A two-product shop whose photos the test may tamper with after the import."""
    (tmp_path / "photos").mkdir()
    _jpeg(tmp_path / "photos" / "a.jpg")
    _jpeg(tmp_path / "photos" / "b.jpg", "blue")
    (tmp_path / "c.csv").write_text("id,title,photo\nA,Red top,photos/a.jpg\nB,Blue top,photos/b.jpg\n", encoding="utf-8")
    shop = Shop.init(tmp_path / "shop", photo_roots=str(tmp_path / "photos"))
    assert shop.import_catalog(tmp_path / "c.csv", mapping={"id": "id", "title": "title", "image": "photo"}).added == 2
    shop.close()
    return TestClient(create_app(tmp_path / "shop", admin_token=TOKEN)), tmp_path


def _stored_photo(client: TestClient, product_id: str) -> Path:
    return Path(client.app.state.shop.product(product_id).image_path)  # type: ignore[attr-defined]


def test_m1_photo_is_typed_by_content_and_never_served_as_a_page(tiny: tuple[TestClient, Path]) -> None:
    client, root = tiny
    stored = _stored_photo(client, "A")
    assert stored.parent.parent.name == "photos" and stored.is_relative_to(root / "shop")  # a copy inside the shop
    (root / "photos" / "a.jpg").write_bytes(b"<html>swapped at the source</html>")  # the source no longer matters
    ok = client.get("/api/products/A/image")
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg"
    assert ok.headers["x-content-type-options"] == "nosniff" and "sandbox" in ok.headers["content-security-policy"]
    # a GIF/HTML polyglot put where the photo was: still typed as a GIF, never text/html
    gif = io.BytesIO()
    Image.new("P", (2, 2)).save(gif, "GIF")
    stored.write_bytes(gif.getvalue() + b"<script>alert(1)</script>")  # someone with access to the shop folder
    served = client.get("/api/products/A/image")
    assert "html" not in served.headers.get("content-type", "")
    # a page with no picture inside it: not served at all
    stored.write_bytes(b"<html><script>alert(1)</script></html>")
    assert client.get("/api/products/A/image").status_code == 404


def test_m1_photo_replaced_by_a_symlink_is_not_followed(tiny: tuple[TestClient, Path]) -> None:
    client, root = tiny
    target = root / "secret.txt"
    target.write_text("root:x:0:0", encoding="utf-8")
    stored = _stored_photo(client, "B")
    stored.unlink()
    stored.symlink_to(target)
    response = client.get("/api/products/B/image")
    assert response.status_code == 404 and "root:x" not in response.text


def test_m2_uploaded_catalogs_cannot_name_files_outside_the_photo_roots(tiny: tuple[TestClient, Path]) -> None:
    client, root = tiny
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = b"id,title,photo\nX,Probe,/etc/passwd\nY,Probe,../c.csv\nZ,Fine,a.jpg\n"
    files = {"catalog": ("c.csv", body, "text/csv")}
    data = {"mapping": "id=id,title=title,image=photo"}
    refused = client.post("/api/admin/import", files=files, data={**data, "image_dir": "/"}, headers=auth)
    assert refused.status_code == 400 and "photo_roots" in refused.json()["detail"]
    report = client.post("/api/admin/import", files=files, data={**data, "image_dir": str(root / "photos")}, headers=auth).json()
    assert report["added"] == 1
    assert all("relative" in e for e in report["errors"]) and "passwd" not in str(report["errors"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_m3_device_files_fifos_and_folders_are_skipped_rows(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.jpg")
    (tmp_path / "folder.jpg").mkdir()
    _jpeg(tmp_path / "ok.jpg")
    (tmp_path / "c.csv").write_text("id,title,photo\nA,a,fifo.jpg\nB,b,folder.jpg\nC,c,/dev/zero\nD,d,ok.jpg\n", encoding="utf-8")
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(read_catalog(tmp_path / "c.csv", MAPPING)), daemon=True)
    worker.start()
    worker.join(10)
    assert done, "the import hung on a FIFO"
    result = done[0]
    assert [p.id for p in result.products] == ["D"]  # type: ignore[attr-defined]
    assert sorted(e.line for e in result.errors) == [2, 3, 4]  # type: ignore[attr-defined]


def test_l1_nan_infinity_and_lone_surrogates_are_clean_4xx(tiny: tuple[TestClient, Path]) -> None:
    client, _ = tiny
    for raw in (b'{"q": "shoes", "k": NaN}', b'{"q": "shoes", "k": Infinity}', b'{"q": "\\ud800"}', b'{"viewed": ["\\udfff"], "k": 1e309}'):
        for path in ("/api/search", "/api/recommend/session"):
            response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, (path, raw, response.status_code)
    lone = client.get("/api/search?q=%ED%B2%80shoes")  # a UTF-8-encoded lone surrogate
    assert 400 <= lone.status_code < 500


def test_l2_validation_errors_do_not_echo_the_input(tiny: tuple[TestClient, Path]) -> None:
    client, _ = tiny
    secret = "A" * 200 + "<script>"
    response = client.post("/api/search", json={"q": secret, "k": "many"})
    assert response.status_code == 422 and "<script>" not in response.text and secret not in response.text


def test_l10_pages_carry_safety_headers(tiny: tuple[TestClient, Path]) -> None:
    client, _ = tiny
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    api = client.get("/api/health")
    assert api.headers["x-content-type-options"] == "nosniff"


class _Boom:
    """Unpickling this writes a marker file: the M4 attack of a tampered shop folder."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "ran"))


def test_m4_model_files_in_the_shop_never_run_code(tmp_path: Path) -> None:
    import pickle

    import skops.io as sio

    from daogou.models import artifacts

    shop = Shop.init(tmp_path / "shop")
    shop.models_dir.mkdir()
    marker = tmp_path / "pwned"
    for name in ("sentiment.joblib", "colour.joblib", "classify-type.joblib"):
        (shop.models_dir / name).write_bytes(pickle.dumps(_Boom(marker)))
    assert shop.positive_proba(["great shoes", "差评"])  # old pickles are ignored, not loaded
    assert not marker.exists()
    # a skops file naming a function outside the allowlist is refused, not called
    sio.dump({"hook": os.system}, shop.models_dir / "sentiment.skops")
    with pytest.raises(artifacts.UntrustedModel, match="does not load"):
        shop.positive_proba(["great shoes"])
    (shop.models_dir / "sentiment.skops").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(artifacts.UntrustedModel, match="not a readable model"):
        artifacts.load(shop.models_dir / "sentiment")
    shop.close()


def test_m5_failed_rebuild_keeps_the_live_index_and_damage_is_caught(myntra_shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from daogou.index.generations import IndexCorrupt

    shutil.copytree(myntra_shop.path, tmp_path / "shop")
    with Shop.open(tmp_path / "shop") as shop:
        live = shop.index_dir
        before = [h.id for h in shop.search("black watch", k=5).hits]

        def disk_full(*_args: object, **_kwargs: object) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("daogou.index.lexical.LexicalIndex.build", disk_full)
        with pytest.raises(OSError):
            shop.indexes.rebuild()
        monkeypatch.undo()
        assert shop.index_dir == live and [h.id for h in shop.search("black watch", k=5).hits] == before
        assert [p.name for p in (tmp_path / "shop" / "index").glob("gen-*")] == [live.name]  # the failed build was removed
    # a damaged file in the live generation: the shop refuses to search it instead of answering wrongly
    damaged = next(p for p in live.glob("text.*") if p.suffix != ".json")
    damaged.write_bytes(damaged.read_bytes()[:-64] + b"\0" * 64)
    with Shop.open(tmp_path / "shop") as shop:
        with pytest.raises(IndexCorrupt, match="damaged"):
            shop.search("black watch", k=5)
        shop.indexes.rebuild()  # a rebuild repairs it
        assert [h.id for h in shop.search("black watch", k=5).hits] == before
