"""Admission, readiness, logs and the remaining low findings (L3, L5, L6, L7, L9)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from daogou.catalog.schema import Product
from daogou.errors import ShopNotFound
from daogou.serve.admission import FairAdmission, Rejected
from daogou.serve.app import create_app, photo_url
from daogou.shop import Shop


def test_admission_is_fair_between_clients_and_sheds_with_retry_after() -> None:
    async def scenario() -> tuple[list[str], list[int]]:
        gate = FairAdmission(slots=1, per_client=20, max_wait_s=5.0)
        order: list[str] = []

        async def request(client: str) -> None:
            await gate.acquire(client)
            order.append(client)
            await asyncio.sleep(0.01)
            gate.release(client)

        flood = [asyncio.create_task(request("attacker")) for _ in range(10)]
        await asyncio.sleep(0)  # the attacker's 10 are queued first
        polite = [asyncio.create_task(request(f"shopper{i}")) for i in range(3)]
        await asyncio.gather(*flood, *polite)
        statuses: list[int] = []
        small = FairAdmission(slots=1, per_client=2, max_wait_s=0.2)
        await small.acquire("a")  # holds the only slot

        async def status_of(client: str) -> int:
            try:
                await small.acquire(client)
            except Rejected as exc:
                return exc.status
            return 200

        waiting = asyncio.create_task(status_of("a"))
        await asyncio.sleep(0)
        statuses.append(await status_of("a"))  # a third request of "a" while two are in: 429 at once
        statuses.append(await status_of("b"))  # nobody releases within 0.2 s: 503
        statuses.append(await waiting)
        return order, statuses

    order, statuses = asyncio.run(scenario())
    # every shopper is served within the first few turns, not after the attacker's whole queue
    assert max(order.index(f"shopper{i}") for i in range(3)) <= 6
    assert statuses == [429, 503, 503]


def test_unexpected_errors_are_bare_500s_with_a_request_id(myntra_shop: Shop, monkeypatch: pytest.MonkeyPatch, caplog) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(myntra_shop.path), raise_server_exceptions=False)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("secret internals /etc/shadow")

    monkeypatch.setattr(Shop, "search", broken)
    with caplog.at_level(logging.INFO, logger="daogou.requests"):
        response = client.get("/api/search", params={"q": "shoes", "token": "SECRET-QUERY-VALUE"})
    assert response.status_code == 500 and response.json()["detail"] == "internal error"
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]
    logged = caplog.text
    assert "secret internals" in logged and response.headers["x-request-id"] in logged  # the operator sees it, by id
    assert "SECRET-QUERY-VALUE" not in logged  # input is not echoed into the log


def test_ready_says_why_when_the_index_is_missing(tmp_path: Path) -> None:
    Shop.init(tmp_path / "empty").close()
    client = TestClient(create_app(tmp_path / "empty"))
    assert client.get("/api/health").status_code == 200
    ready = client.get("/api/ready")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"


def test_l9_unknown_host_headers_are_refused(myntra_shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAOGOU_ALLOWED_HOSTS", "localhost,127.0.0.1")
    client = TestClient(create_app(myntra_shop.path), base_url="http://localhost")
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health", headers={"host": "attacker.example"}).status_code == 400


def test_l3_concurrent_imports_of_the_same_new_ids(tmp_path: Path) -> None:
    shop = Shop.init(tmp_path / "shop")
    items = [Product(id=f"P{i}", title=f"item {i}") for i in range(200)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            shop.store.upsert_products(items)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and shop.store.count() == 200
    shop.close()


def test_l5_a_missing_or_damaged_catalog_is_an_error_not_an_empty_shop(tmp_path: Path) -> None:
    Shop.init(tmp_path / "shop").close()
    (tmp_path / "shop" / "catalog.db").unlink()
    with pytest.raises(ShopNotFound, match="no catalog.db"):
        Shop.open(tmp_path / "shop")
    assert not (tmp_path / "shop" / "catalog.db").exists()
    (tmp_path / "shop" / "catalog.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception, match="cannot be opened") as caught:
        Shop.open(tmp_path / "shop")
    assert "Traceback" not in str(caught.value)


def test_l6_l7_odd_ids_and_unindexed_products(myntra_shop: Shop, tmp_path: Path) -> None:
    import shutil

    assert photo_url("a?b#c%d") == "/api/products/a%3Fb%23c%25d/image"
    assert photo_url("..") == "/api/products/%2E%2E/image"
    shutil.copytree(myntra_shop.path, tmp_path / "shop")
    photo = tmp_path / "shop" / "photos" / "od" / "odd.jpeg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (30, 40), "red").save(photo)
    with Shop.open(tmp_path / "shop") as shop:
        shop.store.upsert_products([Product(id="odd?#%", title="Odd red top", image_path=str(photo.resolve()))])
    client = TestClient(create_app(tmp_path / "shop"))
    page = client.get("/api/products/odd%3F%23%25")  # imported, not yet indexed: the product, no neighbours
    assert page.status_code == 200 and page.json()["similar"] == []
    assert client.get(page.json()["image_url"]).headers["content-type"] == "image/jpeg"
