"""REST routes for person photos: try-on verdicts and rigs per product, a try-on preview, "shop the look".

Why a router of its own: the routes share one rule set (the shopper's photo is read into memory, used, and
dropped; never written to disk or logged) and one admission lane, so a burst of try-ons queues behind itself
instead of taking the text searches' slots.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from daogou.search.results import Hit
from daogou.shop import Shop

#: Routes admitted on their own lane (pose + warp cost ~0.3–0.8 s of CPU each).
PERSON_ROUTES = ("/api/tryon", "/api/search/look")
PhotoFile = Annotated[UploadFile, File(description="a photo of one person facing the camera: JPEG, PNG or WebP, at most 10 MB")]


def tryon_router(shop: Shop, read_upload: Callable[[UploadFile], bytes], hit_json: Callable[[Hit], dict[str, object]]) -> APIRouter:
    """The person-photo routes over `shop`; `read_upload` vets an upload's type and size before it is decoded."""
    router = APIRouter()

    @router.get("/api/products/{product_id}/tryon")
    def verdict(product_id: str) -> dict[str, object]:
        """Whether the product can be tried on (and why not): the storefront shows its button only when it can."""
        item = shop.product(product_id)
        found = shop.tryon.verdict(item)
        data = found.to_dict()
        if found.eligible:
            data["rig_url"] = f"/api/products/{product_id}/tryon/rig"
            data["cutout_url"] = f"/api/products/{product_id}/tryon/cutout.png"
        return data

    @router.get("/api/products/{product_id}/tryon/rig")
    def rig(product_id: str) -> dict[str, object]:
        """The garment's landmarks and control grid (for the in-browser live preview); 400 with the reason if none."""
        return shop.tryon.rig(shop.product(product_id)).to_json()

    @router.get("/api/products/{product_id}/tryon/cutout.png", response_class=Response,
                responses={200: {"content": {"image/png": {}}, "description": "the garment cut out of its photo"}})
    def cutout(product_id: str) -> Response:
        """The garment alone on a transparent background (RGBA PNG), the rig's picture."""
        png = shop.tryon.cutout_png(shop.product(product_id))
        return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})

    @router.post("/api/tryon", response_class=Response,
                 responses={200: {"content": {"image/png": {}}, "description": "the preview (试穿预览), PNG"},
                            400: {"description": "photo or product refused; `code` says why (no_person, two_people, back_view, too_small, not_tryable)"},
                            413: {"description": "photo too large"}, 415: {"description": "not a photo"}})
    def try_on(product_id: Annotated[str, Form(min_length=1, max_length=128)], photo: PhotoFile) -> Response:
        """A preview of the product on the shopper's photo. The photo is not stored; the reply says so."""
        data = read_upload(photo)
        result = shop.tryon.try_on(shop.product(product_id), data)
        headers = {"Cache-Control": "no-store", "X-Daogou-Label": "try-on preview", "X-Daogou-Photo-Stored": "no",
                   "X-Daogou-Stages": json.dumps(result.stages_ms), "X-Daogou-Checks": json.dumps(result.checks)}
        return Response(result.png, media_type="image/png", headers=headers)

    @router.post("/api/search/look")
    def look(photo: PhotoFile, k: Annotated[int, Form(ge=1, le=48)] = 8) -> JSONResponse:
        """Shop the look: one row of products per thing the person wears (top, bottoms, shoes), boxes in the photo's pixels.

        A photo without a person is one row for the whole photo, like a photo search.
        """
        return JSONResponse(shop.shop_the_look(read_upload(photo), k=k).to_dict(hit_json))

    return router
