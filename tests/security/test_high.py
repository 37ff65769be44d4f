"""Regression tests for the high findings of the outside probe (H1–H4): each failed on commit 20d159d."""

from __future__ import annotations

import asyncio
import io
import time
import tracemalloc

import pytest
from PIL import Image

from daogou.errors import BadQuery
from daogou.search.inputs import clean_text, load_image
from daogou.serve.guards import AdminGate, EdgeGuard
from daogou.understand.query import QueryParser
from daogou.understand.vocabulary import Vocabulary

VOCABULARY = Vocabulary(
    {"type": ["Tshirts", "Sports Shoes", "Dresses"], "colour": ["Black", "Navy Blue", "Red"], "gender": ["Men", "Women"], "brand": ["Nike"]},
    [100.0, 500.0, 900.0, 2000.0, 5000.0],
)

#: The H1 input class and its cousins: digits, separators and letters around long runs of spaces.
ADVERSARIAL = [
    "1" + " " * 998 + "a",
    "1" + " " * 998 + "元a",
    "1" + " \t" * 499 + "到",
    "between 1" + " " * 990 + "x",
    "rs" + " " * 997 + "1",
    "1" * 999 + "a",
    "1," * 499 + "a",
    "1 " * 499 + "a",
    "1 - " * 249 + "a",
    "under " * 166 + "x",
    "size" + " " * 995 + "x",
    "不要" * 499 + "a",
    "😀" * 1000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_h1_query_understanding_is_linear_on_hostile_text(text: str) -> None:
    parser = QueryParser(VOCABULARY)
    started = time.perf_counter()
    parser.parse(text)
    assert time.perf_counter() - started < 0.25, "parse() must stay fast on any 1,000-character input"


def test_h1_collapsing_spaces_keeps_prices() -> None:
    parsed = QueryParser(VOCABULARY).parse("red  dress   under    2000")
    assert parsed.price_max == 2000 and parsed.filters["colour"] == ["Red"]


def test_h2_long_queries_are_refused_and_the_encoder_reads_64_tokens() -> None:
    from daogou.models.text import MAX_QUERY_TOKENS, E5SmallEncoder

    with pytest.raises(BadQuery, match="characters long"):
        clean_text("x" * 1000)
    encoder = E5SmallEncoder()
    assert encoder._cap("😀" * 299).__len__() < 299
    assert encoder._model.token_count(encoder._cap("😀" * 299), True) <= MAX_QUERY_TOKENS
    encoder.encode_queries(["warm up"])
    started = time.perf_counter()
    encoder.encode_queries(["😀" * 299])
    assert time.perf_counter() - started < 0.5  # 1,000 emoji took 3 s before the cap


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(39_000_000, 1), (1, 39_000_000), (13_000, 10), (7_000, 7_000)])
def test_h3_elongated_or_huge_pngs_are_refused_from_the_header(size: tuple[int, int]) -> None:
    data = _png(size)
    assert len(data) < 100_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(BadQuery, match="pixels"):
        load_image(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.perf_counter() - started < 0.5 and peak < 20_000_000


def test_h3_only_photo_formats_are_decoded_and_big_photos_are_shrunk() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "BMP")
    with pytest.raises(BadQuery, match="format BMP"):
        load_image(buffer.getvalue())
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), "red").save(buffer, "JPEG")
    assert max(load_image(buffer.getvalue()).size) <= 1024


# -- H4: bodies are capped before they are read, admin is refused before its body -----------------------


def _run_guard(path: str, headers: dict[str, str], chunks: int, chunk: int = 64 * 1024, token: str = "t0ken") -> tuple[int, int, bool]:
    """Drive EdgeGuard with a streamed body; returns (status, bytes the server pulled, whether the route ran)."""
    pulled = 0
    reached = False

    async def app(scope, receive, send):  # the route: reads the whole body, then answers 200
        nonlocal reached
        reached = True
        while True:
            message = await receive()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = iter(range(chunks))

    async def receive():
        nonlocal pulled
        i = next(sent, None)
        if i is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": i < chunks - 1}

    statuses: list[int] = []

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    guard = EdgeGuard(app, AdminGate(token), {"/upload": 1_000_000})
    scope = {"type": "http", "path": path, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard(scope, receive, send))
    return statuses[0], pulled, reached


def test_h4_streamed_oversize_body_stops_at_the_cap() -> None:
    status, pulled, _ = _run_guard("/upload", {}, chunks=50_000)  # a 3 GB body without Content-Length
    assert status == 413 and pulled <= 1_000_000 + 64 * 1024


def test_h4_declared_oversize_body_is_refused_unread() -> None:
    status, pulled, reached = _run_guard("/upload", {"content-length": str(3 * 1024**3)}, chunks=50_000)
    assert (status, pulled, reached) == (413, 0, False)
    assert _run_guard("/api/search", {"content-length": str(300 * 1024**2)}, chunks=1)[0] == 413  # a 300 MB JSON body


def test_h4_admin_upload_without_token_is_refused_before_its_body() -> None:
    for headers, expected in (({}, 401), ({"authorization": "Bearer wrong"}, 403)):
        status, pulled, reached = _run_guard("/api/admin/import", headers, chunks=30_000)
        assert (status, pulled, reached) == (expected, 0, False)
    status, pulled, reached = _run_guard("/api/admin/import", {}, chunks=10, token="")  # admin disabled
    assert (status, pulled, reached) == (403, 0, False)
    assert _run_guard("/api/admin/import", {"authorization": "Bearer t0ken"}, chunks=1)[0] == 200


def test_h4_small_bodies_pass() -> None:
    assert _run_guard("/upload", {"content-length": "1000"}, chunks=1, chunk=1000)[0] == 200
