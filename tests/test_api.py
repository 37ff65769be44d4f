"""Every REST endpoint, including bad input: malformed JSON, unknown ids, oversize and wrong-type uploads, admin auth."""

import io
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from daogou.serve.app import create_app
from daogou.shop import Shop

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def client(myntra_shop: Shop) -> TestClient:
    return TestClient(create_app(myntra_shop.path, admin_token=TOKEN))


def _jpeg(colour: str = "red", size: tuple[int, int] = (64, 96)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def test_health_docs_and_storefront(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    ready = client.get("/api/ready").json()
    assert ready["status"] == "ready" and ready["products"] == 300 and ready["index"].startswith("gen-")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    metrics = client.get("/metrics").text
    assert 'daogou_requests_total{route="/api/ready",status="200"}' in metrics and "daogou_products 300.0" in metrics
    assert client.get("/api/health").headers["x-request-id"]
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/search/image", "/api/products/{product_id}", "/api/recommend/session", "/api/admin/import"} <= set(spec["paths"])
    page = client.get("/")
    assert page.status_code == 200 and "search-form" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_text_search_get_and_post(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "黑色男士运动鞋", "k": 5}).json()
    assert data["filters"] == {"colour": ["Black"], "gender": ["Men"], "type": ["Sports Shoes"]}
    assert len(data["hits"]) == 5 and "image_path" not in data["hits"][0]
    assert data["hits"][0]["image_url"].startswith("/api/products/") and data["hits"][0]["explanation"]
    assert data["hits"][0]["explanations"]["zh"].startswith("黑色 · 男款") and "debug" in data["hits"][0]
    posted = client.post("/api/search", json={"q": "shoes", "k": 5, "filters": {"gender": ["Women"]}}).json()
    assert all(h["attributes"]["gender"] == "Women" for h in posted["hits"])
    dropped = client.get("/api/search", params={"q": "black shoes", "drop": "colour"}).json()
    assert "colour" not in dropped["filters"]
    filtered = client.get("/api/search", params={"q": "shoes", "filter": "colour:White"}).json()
    assert all(h["attributes"]["colour"] == "White" for h in filtered["hits"])


def test_text_search_bad_input(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search", params={"q": "x" * 5000}).status_code == 422
    assert client.get("/api/search", params={"q": "shoes", "filter": "size:XL"}).status_code == 400
    assert client.get("/api/search", params={"q": "shoes", "filter": "nocolon"}).status_code == 400
    bad = client.post("/api/search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422
    assert client.post("/api/search", json={"q": "   "}).status_code == 400
    sql = client.get("/api/search", params={"q": "'; DROP TABLE products; --"})
    assert sql.status_code == 200 and client.get("/api/ready").json()["products"] == 300


def test_photo_search_and_composed(client: TestClient, myntra_dir: Path) -> None:
    photo = (myntra_dir / "images" / "15970.jpg").read_bytes()
    data = client.post("/api/search/image", files={"image": ("shirt.jpg", photo, "image/jpeg")}, data={"k": "5"}).json()
    assert data["mode"] == "image" and data["hits"][0]["id"] == "15970"
    composed = client.post("/api/search/image", files={"image": ("s.jpg", photo, "image/jpeg")}, data={"q": "like this but in red", "k": "3"}).json()
    assert composed["mode"] == "text+image" and composed["inferred"]["type"].startswith("Shirts")


def test_photo_search_bad_uploads(client: TestClient) -> None:
    assert client.post("/api/search/image", files={"image": ("a.txt", b"hello", "text/plain")}).status_code == 415
    big = b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10)
    assert client.post("/api/search/image", files={"image": ("big.jpg", big, "image/jpeg")}).status_code == 413
    assert client.post("/api/search/image", files={"image": ("x.jpg", b"not a jpeg", "image/jpeg")}).status_code == 400
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")
    with pytest.warns(Image.DecompressionBombWarning):
        response = client.post("/api/search/image", files={"image": ("b.png", bomb.getvalue(), "image/png")})
    assert response.status_code == 413
    assert client.post("/api/search/image").status_code == 422


def test_product_similar_image_and_unknown_ids(client: TestClient) -> None:
    product = client.get("/api/products/15970").json()
    assert product["title"] == "Turtle Check Men Navy Blue Shirt" and len(product["similar"]) == 8
    assert "image_path" not in product and product["image_url"] == "/api/products/15970/image"
    assert all(h["id"] != "15970" for h in product["similar"])
    image = client.get("/api/products/15970/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert len(client.get("/api/products/15970/similar", params={"k": 4}).json()["hits"]) == 4
    for path in ("/api/products/nope", "/api/products/nope/similar", "/api/products/nope/image", "/api/products/..%2F..%2Fetc%2Fpasswd/image"):
        assert client.get(path).status_code == 404, path


def test_session_recommendations(client: TestClient) -> None:
    data = client.post("/api/recommend/session", json={"viewed": ["15970", "unknown-id"], "k": 5}).json()
    assert len(data["hits"]) == 5 and data["ignored"] == ["unknown-id"]
    assert all(h["id"] != "15970" for h in data["hits"]) and "Turtle Check" in data["hits"][0]["reason"]
    assert data["hits"][0]["reasons"]["zh"].startswith("与你看过的「") and "Turtle Check" in data["hits"][0]["reasons"]["zh"]
    assert client.post("/api/recommend/session", json={"viewed": []}).json()["fallback"] == "no viewed products yet"
    assert client.post("/api/recommend/session", json={"viewed": "15970"}).status_code == 422


def test_admin_needs_the_token(client: TestClient, myntra_shop: Shop) -> None:
    files = {"catalog": ("c.csv", b"sku,name\nx1,Test product\n", "text/csv")}
    assert client.post("/api/admin/import", files=files, data={"mapping": "id=sku,title=name"}).status_code == 401
    bad = client.post("/api/admin/import", files=files, data={"mapping": "id=sku,title=name"}, headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 403
    assert client.post("/api/admin/index").status_code == 401
    disabled = TestClient(create_app(myntra_shop.path, admin_token=""))
    assert disabled.post("/api/admin/index", headers={"Authorization": "Bearer "}).status_code == 403


def test_admin_import_and_index(tmp_path: Path, myntra_slice: Path) -> None:
    shop = Shop.init(tmp_path / "shop", workers=1, photo_roots=str(myntra_slice.parent))
    shop.close()
    client = TestClient(create_app(tmp_path / "shop", admin_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rows = myntra_slice.read_text(encoding="utf-8").splitlines()[:21]
    rows[5] = rows[5].replace(",", ",,", 1)  # one malformed row
    response = client.post(
        "/api/admin/import", files={"catalog": ("myntra.csv", "\n".join(rows).encode(), "text/csv")}, data={"preset": "myntra", "image_dir": str(myntra_slice.parent)}, headers=auth
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 19 and len(report["errors"]) == 1 and report["errors"][0].startswith("myntra.csv:6:")
    assert client.post("/api/admin/import", files={"catalog": ("x.exe", b"MZ", "application/octet-stream")}, headers=auth).status_code == 415
    assert client.post("/api/admin/import", files={"catalog": ("c.csv", b"a", "text/csv")}, data={"preset": "amazon"}, headers=auth).status_code == 400
    job = client.post("/api/admin/index", headers=auth)
    assert job.status_code == 202
    job_id = job.json()["id"]
    for _ in range(240):
        status = client.get(f"/api/admin/jobs/{job_id}", headers=auth).json()
        if status["state"] != "running":
            break
        time.sleep(0.5)
    assert status["state"] == "done", status
    assert status["result"]["indexed"]["lexical"] == 19
    assert client.get("/api/search", params={"q": "shirt"}).json()["hits"]
    assert client.get("/api/admin/jobs/nope", headers=auth).status_code == 404


def test_a_reindex_by_another_process_is_picked_up(tmp_path: Path, myntra_shop: Shop) -> None:
    import shutil

    path = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, path)
    client = TestClient(create_app(path))
    before = client.get("/api/search", params={"q": "Item 8080"}).json()["hits"]
    assert all(h["title"] != "Item 8080 special" for h in before)
    (tmp_path / "extra.csv").write_text("sku,name\nnew-1,Item 8080 special\n", encoding="utf-8")
    other = Shop.open(path)  # another process, e.g. `daogou index` run from a shell while the server is up
    other.import_catalog(tmp_path / "extra.csv", mapping={"id": "sku", "title": "name"})
    other.index(show_progress=False, workers=1)
    other.close()
    after = client.get("/api/search", params={"q": "Item 8080 special", "understand": "false"}).json()["hits"]
    assert after[0]["id"] == "new-1"


def test_front_page_lists_categories_and_popular(client: TestClient) -> None:
    data = client.get("/api/home", params={"k": 5}).json()
    assert len(data["categories"]) == 5 and data["popular_by"] in {"behaviour", "reviews", ""}
    counts = [c["count"] for c in data["categories"]]
    assert counts == sorted(counts, reverse=True) and all(c["names"]["en"] == c["value"] for c in data["categories"])
    assert any(c["names"]["zh"] != c["value"] for c in data["categories"])  # everyday Chinese names where the lexicon has them
    assert client.get("/api/home", params={"k": 0}).status_code == 422
