"""TryOn: the one service for person photos — try-on previews, product rigs and their verdicts, "shop the look".

Why one object: the CLI, the REST API and index time all need the same rig cache, the same person finder
(mediapipe loads once per process) and the same refusals. The shopper's photo lives in memory only; nothing
here writes it anywhere.
"""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from rich.progress import track

from daogou.catalog.schema import Product
from daogou.errors import BadQuery
from daogou.search.engine import Searcher
from daogou.search.inputs import ImageSource, load_image
from daogou.search.results import Hit, SearchResult
from daogou.tryon.bottoms import BottomsShape, place_bottoms
from daogou.tryon.fitting import compose, place
from daogou.tryon.garment import NotPlaceable
from daogou.tryon.kinds import kind_filters, tryon_kind
from daogou.tryon.look import Look, Region, find_regions
from daogou.tryon.person import LEFT_SHOULDER, RIGHT_SHOULDER, VISIBLE, PersonFinder
from daogou.tryon.refusals import NotTryable, PhotoRefused
from daogou.tryon.rig import Rig, RigCache, Verdict, make_rig
from daogou.tryon.stickers import StickerShape, place_sticker

#: The label drawn on every preview: it is a sketch of the fit, not a photo of the shopper in the product.
PREVIEW_LABEL = "试穿预览 · try-on preview"
#: A look region whose short side is under this many pixels (half the photo encoder's 224) is not searched alone.
MIN_CROP_SIDE = 112
#: Kinds that have a placement today.
PLACEABLE = {"upper", "dress", "lower", "glasses", "hat"}


@dataclass
class TryOnResult:
    """A preview image (PNG bytes) with the time each stage took and the checks measured on it."""

    png: bytes
    product_id: str
    stages_ms: dict[str, float] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)
    label: str = PREVIEW_LABEL


@dataclass
class LookRow:
    """One region of a look and the products found for it (`filters`: what restricted it to its kind)."""

    region: Region
    result: SearchResult
    filters: dict[str, list[str]]
    searched: str = "region"  # or "whole photo" when the region was too small to search alone


@dataclass
class LookResult:
    """The look's regions, one row of products per region, and the time taken."""

    look: Look
    rows: list[LookRow]
    took_ms: float

    def to_dict(self, hit_json: Callable[[Hit], dict[str, object]] | None = None) -> dict[str, object]:
        """JSON-ready: the photo's size, whether a person was found, and per region its box, filter and hits."""
        return {"person": self.look.person, "width": self.look.width, "height": self.look.height, "took_ms": self.took_ms,
                "rows": [{**row.region.to_dict(), "filters": row.filters, "searched": row.searched, **row.result.to_dict(hit_json)} for row in self.rows]}


class TryOn:
    """Person photos for one shop; `product_photo` reads a product's picture, `search` runs a photo search."""

    def __init__(self, folder: Path, product_photo: Callable[[Product], ImageSource | None], finder: PersonFinder | None = None) -> None:
        self.cache = RigCache(folder)
        self.product_photo = product_photo
        self.finder = finder or PersonFinder()

    # -- products -----------------------------------------------------------------------------------

    def verdict(self, product: Product) -> Verdict:
        """Can this product be tried on? Made from its photo once, then read from the cache (the verdict alone: a
        product page or a report does not decode the cut-out)."""
        _, refused = self._screen(product)
        if refused is not None:
            return refused
        cached = self.cache.verdict(product.image_hash)
        return cached if cached is not None else self._rig(product)[0]

    def _screen(self, product: Product) -> tuple[str, Verdict | None]:
        """The product's try-on kind, and the refusal that needs no photo (not a placeable kind, no photo) or None."""
        kind = tryon_kind(product)
        if kind is None or kind not in PLACEABLE:
            what = kind or "not a garment"
            return what, Verdict(False, f"try-on covers tops, dresses, trousers, skirts, glasses and hats for now (this is {what})", kind)
        if not product.image_hash or not product.image_path:
            return kind, Verdict(False, "the product has no photo", kind)
        return kind, None

    def _rig(self, product: Product) -> tuple[Verdict, Rig | None]:
        kind, refused = self._screen(product)
        if refused is not None:
            return refused, None
        cached = self.cache.get(product.image_hash)
        if cached is not None:
            return cached
        verdict, rig = self._make(product, kind)
        self.cache.put(product.image_hash, verdict, rig)
        return verdict, rig

    def _make(self, product: Product, kind: str) -> tuple[Verdict, Rig | None]:
        source = self.product_photo(product)
        if source is None:
            return Verdict(False, "the product's photo file is missing", kind), None
        try:
            rgb = np.asarray(load_image(source))
        except BadQuery as exc:
            return Verdict(False, f"the product's photo cannot be read ({exc})", kind), None
        found = self.finder.landmarks(rgb)
        if found is not None and found[1][LEFT_SHOULDER] >= VISIBLE and found[1][RIGHT_SHOULDER] >= VISIBLE:
            return Verdict(False, "the photo shows the garment worn by a model; try-on needs a flat product shot", kind), None
        try:
            rig = make_rig(rgb, kind)  # a dress hangs from the shoulders like a long top
        except NotPlaceable as exc:
            return Verdict(False, str(exc), kind), None
        return Verdict(True, "", kind, rig.shape.sleeves), rig

    def rig(self, product: Product) -> Rig:
        """The product's rig; NotTryable with the reason when it has none."""
        verdict, rig = self._rig(product)
        if rig is None:
            raise NotTryable(f"{product.id} cannot be tried on: {verdict.reason}")
        return rig

    def cutout_png(self, product: Product) -> bytes:
        """The rig's cut-out as stored (PNG bytes): served as it is, not decoded and encoded again."""
        stored = self.cache.png(product.image_hash) if self.verdict(product).eligible else None
        return stored if stored is not None else self.rig(product).png()

    def prepare(self, products: Iterable[Product], show_progress: bool = False) -> Counter[str]:
        """Make the verdict and rig of every wearable product not yet cached (index time); counts of eligible and not."""
        wearable = [p for p in products if tryon_kind(p) in PLACEABLE]
        outcome: Counter[str] = Counter()
        for product in track(wearable, description="try-on rigs", disable=not show_progress or not wearable, transient=True):
            outcome["eligible" if self.verdict(product).eligible else "ineligible"] += 1
        return outcome

    def report(self, products: Iterable[Product]) -> dict[str, dict[str, object]]:
        """Eligibility by product type: counts and the reasons of refusals, most common first."""
        by_type: dict[str, Counter[str]] = defaultdict(Counter)
        for product in products:
            if tryon_kind(product) not in PLACEABLE:
                continue
            verdict = self.verdict(product)
            kind = product.attributes.get("type") or product.attributes.get("subcategory") or "?"
            by_type[kind]["eligible" if verdict.eligible else verdict.reason] += 1
        out: dict[str, dict[str, object]] = {}
        for kind, counts in sorted(by_type.items(), key=lambda kv: -sum(kv[1].values())):
            total = sum(counts.values())
            out[kind] = {"products": total, "eligible": counts.get("eligible", 0),
                         "reasons": {r: n for r, n in counts.most_common() if r != "eligible"}}
        return out

    # -- shoppers' photos ---------------------------------------------------------------------------

    def try_on(self, product: Product, photo: ImageSource) -> TryOnResult:
        """A preview of `product` on the person in `photo` (PhotoRefused / NotTryable with a reason otherwise)."""
        stages: dict[str, float] = {}
        started = time.perf_counter()
        rig = self.rig(product)
        stages["rig"] = _ms(started)
        t = time.perf_counter()
        rgb = np.asarray(load_image(photo))
        if min(rgb.shape[:2]) < 128:
            raise PhotoRefused("too_small", f"the photo is {rgb.shape[1]}x{rgb.shape[0]} pixels; use one at least 128 pixels on each side")
        stages["decode"] = _ms(t)
        t = time.perf_counter()
        person = self.finder.find(rgb)
        stages["pose"] = _ms(t)
        t = time.perf_counter()
        lower = isinstance(rig.shape, BottomsShape)
        on_face = isinstance(rig.shape, StickerShape)
        if isinstance(rig.shape, StickerShape):
            placement = place_sticker(rig.shape, person)
        elif isinstance(rig.shape, BottomsShape):
            placement = place_bottoms(rig.shape, person)
        else:
            placement = place(rig.shape, person)
        try:
            fitted = compose(rgb, person, rig.rgba, placement, lower=lower, on_face=on_face)
        except ValueError as exc:  # a pose whose landmarks collapse onto each other cannot carry a garment
            raise PhotoRefused("pose_unusable", "the body's landmarks are too close together to place the garment: use a photo taken from further away, facing the camera") from exc
        stages["warp_composite"] = _ms(t)
        t = time.perf_counter()
        out = io.BytesIO()
        Image.fromarray(fitted.image).save(out, format="PNG", compress_level=1)  # level 6 took 250–330 ms a photo
        stages["encode"] = _ms(t)
        stages["total"] = _ms(started)
        checks = {"spill": round(fitted.spill, 4), "spill_raw": round(fitted.spill_raw, 4)}
        if fitted.coverage is not None:
            checks["legs_coverage" if lower else "torso_coverage"] = round(fitted.coverage, 4)
        return TryOnResult(png=out.getvalue(), product_id=product.id, stages_ms=stages, checks=checks)

    def shop_the_look(self, photo: ImageSource, searcher: Searcher, k: int = 10) -> LookResult:
        """Each region of the look searched by photo on its own, filtered to its kind where the catalog has that kind."""
        started = time.perf_counter()
        image = load_image(photo)
        look = find_regions(image, self.finder)
        filters = kind_filters(searcher.attributes.catalog_values)
        rows = []
        for region in look.regions:
            wanted = filters.get(region.kind)
            x0, y0, x1, y1 = region.box
            small = min(x1 - x0, y1 - y0) < MIN_CROP_SIDE
            # a crop under half the photo encoder's input carries too little detail: the whole photo, filtered to the kind
            found = searcher.search(image=image if small else region.crop, k=k, filters=wanted)
            rows.append(LookRow(region, found, wanted or {}, "whole photo" if small else "region"))
        return LookResult(look, rows, _ms(started))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
