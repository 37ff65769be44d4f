"""The REST API (FastAPI, OpenAPI docs at /docs) and the storefront page, served by one app.

Why sync endpoints: model inference blocks; FastAPI runs `def` endpoints in its thread pool, so the
event loop keeps serving while a photo is being encoded. Encoders are shared by all requests and
guarded by the searcher's lock. Everything a shopper reaches is read-only; catalog import and
re-indexing need the admin token. No request path ever names a file: product photos are served by
product id, from the path the catalog stored.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

from fastapi.exceptions import RequestValidationError
from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.middleware.trustedhost import TrustedHostMiddleware
from swagger_ui_bundle import swagger_ui_path
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from daogou.catalog.importers import parse_mapping
from daogou.catalog.presets import PRESETS
from daogou.errors import BadQuery, DaogouError, ImportFailed, IndexMissing, ModelUnavailable, UnknownProduct
from daogou.serve.tryon_api import PERSON_ROUTES, tryon_router
from daogou.images import UnsafeImage, sniff
from daogou.links import photo_url
from daogou.understand.names import zh_value
from daogou.search.inputs import MAX_IMAGE_BYTES, MAX_QUERY_CHARS
from daogou.serve.admission import AdmissionMiddleware, FairAdmission
from daogou.serve.jobs import Jobs
from daogou.serve.observability import Metrics, RequestLog
from daogou.serve.guards import FORM_OVERHEAD, AdminGate, EdgeGuard
from daogou.search.results import Hit, SearchResult
from daogou.shop import Shop
from daogou.understand.inference import Dictionary
from daogou.speech import AudioRefused, NothingHeard, Transcript
from daogou.speech.audio import MAX_AUDIO_BYTES

STATIC = Path(__file__).parent / "static"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
MAX_CATALOG_BYTES = 50 * 1024 * 1024
#: A catalog photo bigger than the import accepts is not served.
MAX_PHOTO_BYTES = 20 * 1024 * 1024
class ErrorBody(BaseModel):
    """Every refusal: one sentence saying what was wrong and what to do."""

    detail: str


#: Statuses any route may answer with besides its own (documented for clients and contract tests).
ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "a request the shop cannot use (unknown filter, unreadable photo...)"},
    404: {"model": ErrorBody, "description": "unknown product, job or session"},
    409: {"model": ErrorBody, "description": "the shop is not indexed for this yet"},
    413: {"model": ErrorBody, "description": "body over this route's limit"},
    415: {"model": ErrorBody, "description": "unsupported upload type"},
    429: {"model": ErrorBody, "description": "too many requests from this client at once (see Retry-After)"},
    503: {"model": ErrorBody, "description": "overloaded (see Retry-After) or not ready"},
}
ADMIN_RESPONSES = {
    401: {"model": ErrorBody, "description": "no admin token"},
    403: {"model": ErrorBody, "description": "wrong admin token, or admin disabled (no DAOGOU_ADMIN_TOKEN)"},
}
#: Routes that run models or scan the catalog: admitted a few at a time, fairly between clients.
EXPENSIVE = ("/api/search", "/api/products", "/api/recommend", "/api/chat", "/api/parse")
#: Voice routes: admitted one recording at a time on their own, so voice uploads cannot take the text slots.
VOICE = ("/api/search/voice", "/api/chat/voice", "/api/speech")
#: Declared types a recording may come with (browsers send audio/webm, video/webm for MediaRecorder output;
#: curl sends application/octet-stream); the decoder, not the label, decides what it is.
AUDIO_TYPES = ("audio/", "video/webm", "video/mp4", "video/ogg", "application/ogg", "application/octet-stream")
STATUS = {BadQuery: 400, ImportFailed: 400, UnknownProduct: 404, IndexMissing: 409, NothingHeard: 422, ModelUnavailable: 503}
#: What the voice routes may answer besides success (documented for clients).
VOICE_RESPONSES = {413: {"description": "recording too long or too large"}, 415: {"description": "not a recording"},
                   422: {"description": "no speech heard"}}
AudioFile = Annotated[UploadFile, File(description="a recording: WAV, WebM/Opus, Ogg, MP3 or M4A, at most 30 s")]


def read_photo(stored: str) -> bytes | None:
    """A catalog photo's bytes, or None: regular files only, no symlink at the end of the path, size-capped."""
    try:
        fd = os.open(stored, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(MAX_PHOTO_BYTES + 1)
    return data if len(data) <= MAX_PHOTO_BYTES else None


def _read_photo_upload(image: UploadFile) -> bytes:
    """The bytes of an uploaded photo, refused by declared type (415) or size (413) before decoding."""
    if (image.content_type or "").split(";")[0].strip().lower() not in IMAGE_TYPES:
        raise HTTPException(415, f"unsupported content type {image.content_type!r}; send a JPEG, PNG, WebP or GIF photo")
    data = image.file.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise HTTPException(413, f"photo is larger than {MAX_IMAGE_BYTES // 1_000_000} MB")
    return data


def _read_audio_upload(audio: UploadFile) -> bytes:
    """The bytes of an uploaded recording, refused by declared type (415) or size (413) before decoding."""
    declared = (audio.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if not declared.startswith(AUDIO_TYPES):
        raise HTTPException(415, f"unsupported content type {audio.content_type!r}; send a recording (WAV, WebM, Ogg, MP3, M4A)")
    data = audio.file.read(MAX_AUDIO_BYTES + 1)
    if len(data) > MAX_AUDIO_BYTES:
        raise HTTPException(413, f"recording is larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MB")
    return data


def _transcribe(shop: Shop, audio: UploadFile, language: str | None) -> Transcript:
    """A recording's transcript; a refused recording or one with no speech becomes its 4xx in the DaogouError
    handler (AudioRefused carries its status, NothingHeard is 422), never a 500."""
    return shop.voice.transcribe(_read_audio_upload(audio), language)


def _transcript_json(transcript: Transcript) -> dict[str, object]:
    return {"transcript": transcript.text, "heard": transcript.heard, "language": transcript.language,
            "corrections": [{"heard": c.heard, "meant": c.meant} for c in transcript.corrections], "speech_ms": transcript.took_ms}


def _hit_json(hit: Hit) -> dict[str, object]:
    data = hit.to_dict()
    data.pop("image_path")
    data["image_url"] = photo_url(hit.id) if hit.image_path else None
    return data


def _result_json(result: SearchResult) -> dict[str, object]:
    return result.to_dict(_hit_json)


def _result_response(result: SearchResult) -> JSONResponse:
    """Search results serialised straight to JSON: the data is already plain (str, numbers, lists, dicts), and
    FastAPI's generic encoding of a returned dict cost more CPU than the search's own ranking."""
    return JSONResponse(_result_json(result))


class SearchBody(BaseModel):
    """A text search as JSON (the GET form covers simple links; this one carries structured filters)."""

    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    k: int = Field(default=24, ge=1, le=200)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    understand: bool = True


class ChatBody(BaseModel):
    """One shopper turn for the assistant."""

    text: str = Field(min_length=1, max_length=300)
    session_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="omit to start a conversation")
    language: Literal["zh", "en"] | None = Field(default=None, description="reply language; default: the shopper's")


class SessionBody(BaseModel):
    viewed: list[str] = Field(default_factory=list, max_length=200)
    k: int = Field(default=12, ge=1, le=100)


def _photo_folder(image_dir: str | None, roots: str) -> Path:
    """The folder an uploaded catalog's photos are read from: inside one of the shop's `photo_roots`, or refused.

    Without this a network upload could name any file on the server (`image_dir=/`) and learn from the
    row errors which files exist.
    """
    allowed = [Path(r.strip()).resolve() for r in roots.split(",") if r.strip()]
    if image_dir is None:
        if not allowed:
            raise HTTPException(400, "this shop takes no photos over REST: set photo_roots in daogou.toml and pass image_dir")
        return allowed[0]
    folder = Path(image_dir).resolve()
    if not any(folder == root or root in folder.parents for root in allowed) or not folder.is_dir():
        raise HTTPException(400, "image_dir is not a photo folder this shop allows (see the photo_roots setting)")
    return folder


def warm(shop: Shop) -> None:
    """Load what the first shoppers would otherwise wait for, before the worker takes requests: the Chinese
    dictionary (~2 s, read on the first query with a word nothing else knew), the searcher and the query
    encoder. Benchmarks of a warm server call it too."""
    Dictionary.table()
    try:
        shop.search("warm up 热身", k=1)
    except DaogouError:  # no index yet: /api/ready says so
        pass


def create_app(shop_path: Path | str, admin_token: str | None = None) -> FastAPI:
    """Build the app for one shop. The admin token comes from the argument or DAOGOU_ADMIN_TOKEN."""
    shop = Shop.open(shop_path)
    warm(shop)
    token = admin_token if admin_token is not None else os.environ.get("DAOGOU_ADMIN_TOKEN", "")
    jobs = Jobs(Path(shop_path) / "jobs")
    app = FastAPI(
        title="daogou 导购",
        version="0.1.0",
        description="Multimodal shopping guide: search by words (zh/en), by photo or both; similar items; session recommendations.",
        docs_url=None,  # served below from the swagger-ui-bundle package: the default loads it from a CDN (fails offline)
        redoc_url=None,
        responses=ERROR_RESPONSES,  # type: ignore[arg-type]
    )
    metrics = Metrics()
    admission = FairAdmission(slots=max(1, shop.settings.search_slots), per_client=8, max_wait_s=10.0)

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """Where and what, never the input itself: echoing it flooded logs and broke on NaN (500)."""
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": errors[:20]}, status_code=422)

    @app.exception_handler(DaogouError)
    def _daogou_error(_request: Request, exc: DaogouError) -> JSONResponse:
        status = exc.status if isinstance(exc, AudioRefused) else STATUS.get(type(exc), 400)  # a refused recording says why: 413/415/400
        body = {"detail": str(exc)}
        if isinstance(getattr(exc, "code", None), str):  # a refused person photo or product: a reason code for programs
            body["code"] = exc.code  # type: ignore[attr-defined]
        return JSONResponse(body, status_code=status)

    gate = AdminGate(token)
    app.add_middleware(AdmissionMiddleware, admission=admission, expensive=EXPENSIVE, exclude=VOICE + PERSON_ROUTES)  # type: ignore[arg-type]
    person_admission = FairAdmission(slots=1, per_client=2, max_queue=16, max_wait_s=10.0)
    app.add_middleware(AdmissionMiddleware, admission=person_admission, expensive=PERSON_ROUTES)  # type: ignore[arg-type]
    app.include_router(tryon_router(shop, _read_photo_upload, _hit_json))
    voice_admission = FairAdmission(slots=1, per_client=2, max_queue=16, max_wait_s=10.0)
    app.add_middleware(AdmissionMiddleware, admission=voice_admission, expensive=VOICE)  # type: ignore[arg-type]
    hosts = [h.strip() for h in shop.settings.allowed_hosts.split(",") if h.strip()]
    if hosts and "*" not in hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)  # a DNS-rebinding page cannot reach a loopback shop
    app.add_middleware(
        EdgeGuard,  # type: ignore[arg-type]
        gate=gate,
        body_caps={"/api/admin/import": MAX_CATALOG_BYTES + FORM_OVERHEAD, "/api/search/image": MAX_IMAGE_BYTES + FORM_OVERHEAD,
                   "/api/chat/photo": MAX_IMAGE_BYTES + FORM_OVERHEAD, **{route: MAX_IMAGE_BYTES + FORM_OVERHEAD for route in PERSON_ROUTES}, **{route: MAX_AUDIO_BYTES + FORM_OVERHEAD for route in VOICE}},
    )

    app.add_middleware(RequestLog, metrics=metrics)  # type: ignore[arg-type]

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        gate(authorization)  # the middleware already refused a wrong token before the body; this documents it

    # -- shopper endpoints (read-only) --------------------------------------------------------------

    @app.get("/api/health")
    def health() -> dict[str, object]:
        """The process is up and answering (liveness). Whether it can serve shoppers is /api/ready."""
        return {"status": "ok"}

    @app.get("/api/ready", responses={503: {"description": "not ready, with the reason"}})
    def ready() -> JSONResponse:
        """Readiness: the store answers, the live index generation loads (checksums verified) and a probe query runs."""
        try:
            products = shop.store.count()
            shop.searcher  # opens the live generation, verifying its checksums
            probe = shop.search("probe", k=1)
        except DaogouError as exc:
            return JSONResponse({"status": "not ready", "reason": str(exc)}, status_code=503)
        except Exception as exc:  # noqa: BLE001 - readiness must answer, whatever broke
            return JSONResponse({"status": "not ready", "reason": exc.__class__.__name__}, status_code=503)
        return JSONResponse({"status": "ready", "products": products, "index": shop.generations.current_name(), "probe_ms": probe.took_ms})

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        metrics.in_flight.set(admission.busy)
        metrics.queue.set(admission.queued)
        metrics.shed.set(admission.shed)
        metrics.index_generation.clear()
        metrics.index_generation.labels(shop.generations.current_name() or "legacy").set(1)
        metrics.products.set(shop.store.count())
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="daogou 导购 API", swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css", swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    @app.get("/api/search")
    def search_get(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="words, in Chinese or English")],
        k: Annotated[int, Query(ge=1, le=200)] = 24,
        filter: Annotated[list[str], Query(description="field:value, repeatable, e.g. colour:Black")] = [],  # noqa: B006
        drop: Annotated[list[str], Query(description="understood slots to ignore (removed chips), e.g. colour")] = [],  # noqa: B006
        understand: bool = True,
    ) -> JSONResponse:
        """Text search with understood slots as filters, facets and an explanation per hit."""
        filters: dict[str, list[str]] = {}
        for item in filter:
            if ":" not in item:
                raise HTTPException(400, f"filter {item!r}: expected field:value")
            name, value = item.split(":", 1)
            filters.setdefault(name.strip(), []).append(value.strip())
        return _result_response(shop.search(q, k=k, filters=filters, understand=understand, drop=set(drop)))

    @app.post("/api/search")
    def search_post(body: SearchBody) -> JSONResponse:
        """The same search with a JSON body (structured filters)."""
        return _result_response(shop.search(body.q, k=body.k, filters=body.filters, understand=body.understand, drop=set(body.drop)))

    @app.post("/api/search/image")
    def search_image(
        image: Annotated[UploadFile, File(description="a photo: JPEG, PNG, WebP or GIF, at most 10 MB")],
        q: Annotated[str | None, Form(max_length=MAX_QUERY_CHARS, description="optional words: 'like this but in blue'")] = None,
        k: Annotated[int, Form(ge=1, le=200)] = 24,
    ) -> JSONResponse:
        """Search by photo, or by photo plus words (keeps the photo's type, applies the words' changes)."""
        data = _read_photo_upload(image)
        text = q.strip() if q and q.strip() else None
        try:
            return _result_response(shop.search(text, image=data, k=k))
        except BadQuery as exc:
            status = 413 if "pixels" in str(exc) or "MB" in str(exc) else 400
            raise HTTPException(status, str(exc)) from exc

    @app.post("/api/speech", responses=VOICE_RESPONSES)  # type: ignore[arg-type]
    def speech(
        audio: AudioFile,
        lang: Annotated[Literal["zh", "en"] | None, Form(description="the language spoken; default: detected")] = None,
    ) -> dict[str, object]:
        """What was said, in the shop's words (the storefront shows it, editable, before searching)."""
        return _transcript_json(_transcribe(shop, audio, lang))

    @app.post("/api/search/voice", responses=VOICE_RESPONSES)  # type: ignore[arg-type]
    def search_voice(
        audio: AudioFile,
        lang: Annotated[Literal["zh", "en"] | None, Form(description="the language spoken; default: detected")] = None,
        k: Annotated[int, Form(ge=1, le=200)] = 24,
    ) -> dict[str, object]:
        """Search by voice: the same results as the transcript typed, plus what was heard."""
        transcript = _transcribe(shop, audio, lang)
        return {**_result_json(shop.search(transcript.text, k=k)), **_transcript_json(transcript)}

    @app.get("/api/parse")
    def parse(q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)]) -> dict[str, object]:
        """What the words ask for: intent, slots, chips (no search)."""
        return shop.searcher.parse(q).to_dict()

    @app.get("/api/products/{product_id}")
    def product(product_id: str, similar: Annotated[int, Query(ge=0, le=50)] = 8) -> dict[str, object]:
        """A product with its similar items (and its review summary once reviews are imported)."""
        item = shop.product(product_id)
        data = item.model_dump()
        data.pop("image_path")
        data.pop("image_hash")
        data["image_url"] = photo_url(item.id) if item.image_path else None
        predicted = {name: table[item.id] for name, table in shop.searcher.predicted.items() if item.id in table}
        data["predicted"] = predicted
        indexed = shop.searcher.attributes.contains(item.id)  # imported but not indexed yet: the product, without neighbours
        data["similar"] = [_hit_json(h) for h in shop.similar(item.id, similar)] if similar and indexed else []
        try:
            summary = shop.review_summary(item.id)
            data["reviews"] = {**asdict(summary), "summary": summary.headline()}
        except UnknownProduct:
            data["reviews"] = None
        return data

    @app.get("/api/products/{product_id}/similar")
    def similar(product_id: str, k: Annotated[int, Query(ge=1, le=50)] = 12) -> dict[str, object]:
        return {"id": product_id, "hits": [_hit_json(h) for h in shop.similar(product_id, k)]}

    @app.get(
        "/api/products/{product_id}/image",
        response_class=Response,
        responses={200: {"content": {t: {} for t in IMAGE_TYPES}, "description": "the photo"}, 404: {"description": "no photo"}},
    )
    def product_image(product_id: str) -> Response:
        """The product's photo, from the path in the catalog (never from the request), typed by its content.

        The file must still be a regular file (not a symlink swapped in since the import), of at most the
        upload limit, and sniff as a JPEG/PNG/WebP/GIF: a polyglot named `.html` is never served as a page.
        """
        item = shop.product(product_id)
        inside = item.image_path and Path(item.image_path).parent.parent == shop.photos_dir.resolve()
        data = read_photo(item.image_path) if inside else None  # only copies the import made; re-import older shops
        if data is None:
            raise HTTPException(404, f"product {product_id!r} has no photo")
        try:
            media_type = sniff(data)
        except UnsafeImage:
            raise HTTPException(404, f"product {product_id!r} has no photo") from None
        return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/home")
    def home(k: Annotated[int, Query(ge=1, le=48)] = 12) -> dict[str, object]:
        """The front page before a query: the catalog's categories (largest first, with a photo and the Chinese name)
        and its popular products (by recorded behaviour, else by reviews)."""
        page = shop.front_page(k)
        products = shop.store.get_many(page.popular, replica=True)
        categories = [
            {"field": c.field, "value": c.value, "names": {"en": c.value, "zh": zh_value(c.value)}, "count": c.count,
             "image_url": photo_url(c.example) if c.example else None}
            for c in page.categories
        ]
        popular = [
            {"id": pid, "title": products[pid].title, "price": products[pid].price, "currency": products[pid].currency,
             "image_url": photo_url(pid) if products[pid].image_path else None}
            for pid in page.popular if pid in products
        ]
        return {"categories": categories, "popular": popular, "popular_by": page.popular_by}

    @app.post("/api/recommend/session")
    def recommend_session(body: SessionBody) -> dict[str, object]:
        """Recommendations from the products viewed in this session (oldest first); unknown ids are ignored."""
        items, ignored = shop.recommend_for_session(body.viewed, body.k)
        products = shop.store.get_many([r.id for r in items], replica=True)
        hits = []
        for rec in items:
            p = products.get(rec.id)
            hits.append(
                {
                    "id": rec.id,
                    "title": rec.title,
                    "score": rec.score,
                    "reason": rec.reason,
                    "reasons": rec.reasons,
                    "price": p.price if p else None,
                    "currency": p.currency if p else "",
                    "image_url": photo_url(rec.id) if p and p.image_path else None,
                }
            )
        reason = None if items else ("no viewed products yet" if not body.viewed else "none of the viewed products are in the catalog")
        return {"hits": hits, "ignored": ignored, "fallback": reason}

    @app.get("/api/recommend/user/{user_id}")
    def recommend_user(user_id: str, k: Annotated[int, Query(ge=1, le=100)] = 12) -> dict[str, object]:
        """Personal recommendations from purchase history (hybrid), each with its reason; unknown users get popular items."""
        recs, note = shop.recommend(user_id, k)
        products = shop.store.get_many([r.item for r in recs], replica=True)
        hits = [
            {
                "id": r.item,
                "title": products[r.item].title if r.item in products else "",
                "score": round(r.score, 6),
                "reason": words["en"],
                "reasons": words,
                "reason_code": r.reason,
                "price": products[r.item].price if r.item in products else None,
                "currency": products[r.item].currency if r.item in products else "",
                "image_url": photo_url(r.item) if r.item in products and products[r.item].image_path else None,
            }
            for r, words in zip(recs, shop.explain(recs))
        ]
        return {"user": user_id, "hits": hits, "fallback": note or None}

    @app.post("/api/chat", responses={400: {"description": "empty or unusable turn"}})
    def chat(body: ChatBody) -> dict[str, object]:
        """One turn with the shopping assistant: the reply, its act, the dialogue state, products, citations, handover."""
        return shop.chat(body.text, session_id=body.session_id, language=body.language).to_dict()

    @app.post("/api/chat/photo", responses={400: {"description": "unreadable photo"}, 413: {"description": "photo too large"}, 415: {"description": "not a photo"}})
    def chat_photo(
        image: Annotated[UploadFile, File(description="a photo: JPEG, PNG, WebP or GIF, at most 10 MB")],
        text: Annotated[str | None, Form(max_length=300)] = None,
        session_id: Annotated[str | None, Form(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
        language: Annotated[Literal["zh", "en"] | None, Form()] = None,
    ) -> dict[str, object]:
        """A turn with a photo: like a photo search plus the words, inside the conversation."""
        data = _read_photo_upload(image)
        try:
            return shop.chat(text, session_id=session_id, image=data, language=language).to_dict()
        except BadQuery as exc:
            raise HTTPException(413 if "pixels" in str(exc) or "MB" in str(exc) else 400, str(exc)) from exc

    @app.post("/api/chat/voice", responses=VOICE_RESPONSES)  # type: ignore[arg-type]
    def chat_voice(
        audio: AudioFile,
        session_id: Annotated[str | None, Form(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
        language: Annotated[Literal["zh", "en"] | None, Form(description="the language spoken and replied in; default: detected")] = None,
    ) -> dict[str, object]:
        """A spoken turn: transcribed with the shop's words, then the same turn as typed (the reply carries the transcript)."""
        transcript = _transcribe(shop, audio, language)
        return {**shop.chat(transcript.text, session_id=session_id, language=language).to_dict(), **_transcript_json(transcript)}

    @app.get("/api/admin/chat/{session_id}", dependencies=[Depends(admin)], responses=ADMIN_RESPONSES)
    def chat_session(session_id: str) -> dict[str, object]:
        """A conversation's state and transcript, for the person it was handed over to."""
        return shop.assistant.session(session_id)

    # -- admin endpoints ----------------------------------------------------------------------------

    @app.post("/api/admin/import", dependencies=[Depends(admin)], responses=ADMIN_RESPONSES)
    def admin_import(
        catalog: Annotated[UploadFile, File(description="CSV, TSV, JSONL or Parquet")],
        preset: Annotated[str | None, Form()] = None,
        mapping: Annotated[str | None, Form(description="FIELD=COLUMN pairs separated by commas")] = None,
        image_dir: Annotated[str | None, Form(description="folder on the server that relative photo paths are under")] = None,
    ) -> dict[str, object]:
        """Import a catalog file; bad rows come back with their line numbers. Photos are referenced by path."""
        suffix = Path(catalog.filename or "catalog.csv").suffix.lower()
        if suffix not in {".csv", ".tsv", ".jsonl", ".ndjson", ".parquet"}:
            raise HTTPException(415, f"unsupported catalog type {suffix!r}")
        if preset is not None and preset not in PRESETS:
            raise HTTPException(400, f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
        try:
            columns = parse_mapping(pair for pair in (mapping or "").split(",") if pair.strip())
        except ImportFailed as exc:
            raise HTTPException(400, str(exc)) from exc
        data = catalog.file.read(MAX_CATALOG_BYTES + 1)
        if len(data) > MAX_CATALOG_BYTES:
            raise HTTPException(413, f"catalog file is larger than {MAX_CATALOG_BYTES // 1_000_000} MB")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload-{secrets.token_hex(4)}{suffix}"
            path.write_bytes(data)
            photos = _photo_folder(image_dir, shop.settings.photo_roots)
            report = shop.import_catalog(path, preset=preset, mapping=columns or None, image_dir=photos, confine=True)
        out = asdict(report)
        out["errors"] = [str(e).replace(str(path), catalog.filename or "upload") for e in report.errors]
        out["source"] = catalog.filename
        return out

    @app.post("/api/admin/index", dependencies=[Depends(admin)], responses=ADMIN_RESPONSES, status_code=202)
    def admin_index() -> dict[str, object]:
        """Start re-indexing in the background (only changed products are encoded); poll /api/admin/jobs/{id}."""
        return jobs.start("index", lambda: asdict(shop.index(show_progress=False)))

    @app.delete("/api/admin/products/{product_id}", dependencies=[Depends(admin)], responses=ADMIN_RESPONSES)
    def admin_delete(product_id: str) -> dict[str, object]:
        """Remove a product from the catalog and the indexes (its purchases and reviews stay on record, unused)."""
        removed, _ = shop.delete_products([product_id])
        if not removed:
            raise HTTPException(404, f"no product {product_id!r}")
        return {"removed": product_id}

    @app.get("/api/admin/jobs/{job_id}", dependencies=[Depends(admin)], responses=ADMIN_RESPONSES)
    def admin_job(job_id: str) -> dict[str, object]:
        return jobs.get(job_id)

    # -- storefront ---------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def storefront() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.state.shop = shop
    return app


def app_from_environment() -> FastAPI:
    """Factory for multi-process serving: the shop path comes from DAOGOU_SHOP (set by `daogou serve --workers`)."""
    import logging

    if not logging.getLogger().handlers:  # a spawned worker starts without the parent's logging set-up
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    return create_app(os.environ["DAOGOU_SHOP"])
