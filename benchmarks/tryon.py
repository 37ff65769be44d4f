"""Try-on and "shop the look" figures: stage times and checks of photo try-on, eligibility of real product photos,
and same-type precision of shop-the-look regions against the whole photo.

    python benchmarks/tryon.py            # all three parts
    python benchmarks/tryon.py --skip-look

1. Photo try-on: the 12 people of the `openvto` wheel (MIT; full-body, selfies, studio) × the first eligible H&M
   tops, one worker, warm: p50/p95 per stage, refusals by reason, and the checks (spill, torso coverage); the same
   for trousers and skirts on the 8 full-length people; placement IoU against hand-drawn outlines.
2. Eligibility: the first 300 H&M upper-body and 300 lower-body articles with photos, verdict by type and reason.
3. Live try-on in headless Chromium with a fake camera: frame time p50/p95, shoulder-seam jitter.
4. Shop the look (Myntra, full catalog index): on-model photos of Topwear / Bottomwear products from a seeded
   held-out sample; for each, the region of that kind (upper / lower) vs the whole photo (and the whole photo
   filtered to the kind), same-type and same-kind precision@10 (the product itself left out of its results).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, SHOPS, myntra_shop, write_result  # noqa: E402

from daogou.catalog.schema import Product  # noqa: E402
from daogou.search.inputs import load_image  # noqa: E402
from daogou.shop import Shop  # noqa: E402
from daogou.tryon import PhotoRefused  # noqa: E402
from daogou.tryon.kinds import kind_filters, kind_of, tryon_kind  # noqa: E402
from daogou.tryon.service import PLACEABLE  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HM = DATA / "hm_fashion_sample"


def pct(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 1), "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1), "n": len(ordered)}


def hm_shop(group: str, name: str, n: int = 300) -> Shop:
    """A shop of the first `n` H&M articles of one product group that have photos (imported only: verdicts need no index)."""
    path = SHOPS / name
    if (path / "catalog.db").exists():
        return Shop.open(path)
    rows = []
    with (HM / "articles.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames
        for row in reader:
            if row["product_group_name"] == group and (HM / "images" / row["article_id"][:3] / f"{row['article_id']}.jpg").exists():
                rows.append(row)
            if len(rows) == n:
                break
    source = SHOPS / f"{name}.csv"
    SHOPS.mkdir(parents=True, exist_ok=True)
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)  # type: ignore[arg-type]
        writer.writeheader()
        writer.writerows(rows)
    shop = Shop.init(path, exist_ok=True)
    shop.import_catalog(source, preset="hm", image_dir=HM)
    return shop


def eligibility(shop: Shop) -> tuple[dict[str, object], list[Product]]:
    started = time.perf_counter()
    products = [p for p in shop.store.iter_products() if tryon_kind(p) in PLACEABLE]
    verdicts = {p.id: shop.tryon.verdict(p) for p in products}
    seconds = time.perf_counter() - started
    report = shop.tryon.report(products)
    eligible = [p for p in products if verdicts[p.id].eligible]
    sleeves = Counter(verdicts[p.id].sleeves for p in eligible)
    print(f"eligible {len(eligible)}/{len(products)} ({len(eligible) / len(products):.0%}); {sleeves}")
    return {"products": len(products), "eligible": len(eligible), "share": round(len(eligible) / len(products), 3),
            "sleeves": dict(sleeves), "by_type": report, "seconds_for_all_verdicts": round(seconds, 1)}, eligible


def photo_tryon(shop: Shop, tops: list[Product], per_person: int = 4, full_length: bool = False) -> dict[str, object]:
    import openvto

    assets = Path(openvto.__file__).parent / "assets"
    people = sorted((assets / "people").glob("*_posture.jpg" if full_length else "*.jpg")) + sorted((assets / "avatars").glob("*.png"))
    stages: dict[str, list[float]] = defaultdict(list)
    checks: dict[str, list[float]] = defaultdict(list)
    refused: Counter[str] = Counter()
    shop.tryon.try_on(tops[0], people[0])  # warm: mediapipe's graphs load once per process
    for i, person in enumerate(people):
        data = person.read_bytes()
        for top in tops[(i * per_person) % len(tops):][:per_person]:
            try:
                result = shop.tryon.try_on(top, data)
            except PhotoRefused as exc:
                refused[exc.code] += 1
                continue
            for name, ms in result.stages_ms.items():
                stages[name].append(ms)
            for name, value in result.checks.items():
                checks[name].append(value)
    out = {"people": len(people), "runs": sum(len(v) for v in stages.values()) // max(1, len(stages)),
           "stages_ms": {k: pct(v) for k, v in stages.items()}, "refused": dict(refused),
           "checks": {k: {"median": round(statistics.median(v), 4), "max": round(max(v), 4), "min": round(min(v), 4)} for k, v in checks.items()}}
    print("try-on stages", out["stages_ms"], "refused", dict(refused))
    print("checks", out["checks"])
    return out


def placement() -> dict[str, object]:
    """IoU of the placed garment with the hand-drawn outline of each openvto person's own top."""
    import json

    import cv2
    import numpy as np
    import openvto
    from PIL import Image

    from daogou.tryon.fitting import compose, place
    from daogou.tryon.person import PersonFinder
    from daogou.tryon.rig import make_rig

    assets = Path(openvto.__file__).parent / "assets"
    spec = json.loads((Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tryon_outlines.json").read_text(encoding="utf-8"))
    finder, rigs, scores = PersonFinder(), {}, {}

    def load(path: Path, side: int) -> np.ndarray:
        image = Image.open(path).convert("RGB")
        image.thumbnail((side, side))
        return np.asarray(image)

    for person, item in spec.items():
        if person.startswith("_"):
            continue
        if item["garment"] not in rigs:
            rigs[item["garment"]] = make_rig(load(assets / "clothes" / item["garment"], 512))
        rig, image = rigs[item["garment"]], load(assets / person, 1024)
        who = finder.find(image)
        fitted = compose(image, who, rig.rgba, place(rig.shape, who))
        truth = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(truth, [np.array(item["outline"], np.int32)], 1)
        drawn, wanted = fitted.alpha > 0.5, truth.astype(bool)
        scores[person] = round(float((drawn & wanted).sum() / (drawn | wanted).sum()), 3)
    out = {"iou": scores, "min": min(scores.values()), "median": round(statistics.median(scores.values()), 3)}
    print("placement IoU", out)
    return out


def shop_the_look(samples: int = 150, seed: int = 7) -> dict[str, object]:
    shop = myntra_shop()
    searcher = shop.searcher
    filters = kind_filters(searcher.attributes.catalog_values)
    products = [p for p in shop.store.iter_products() if kind_of(p) in ("upper", "lower") and p.image_path]
    random.Random(seed).shuffle(products)
    per_kind: dict[str, dict[str, list[float]]] = {"upper": defaultdict(list), "lower": defaultdict(list)}
    no_person = 0
    timing: list[float] = []
    for product in products:
        kind = kind_of(product)
        assert kind is not None
        if len(per_kind[kind]["region"]) >= samples // 2:
            if all(len(v["region"]) >= samples // 2 for v in per_kind.values()):
                break
            continue
        started = time.perf_counter()
        found = shop.tryon.shop_the_look(load_image(product.image_path), searcher, 11)  # 11: the product itself is left out below
        timing.append((time.perf_counter() - started) * 1000)
        row = next((r for r in found.rows if r.region.kind == kind), None)
        if not found.look.person or row is None:
            no_person += 1
            continue
        whole = searcher.search(image=load_image(product.image_path), k=11)
        whole_kind = searcher.search(image=load_image(product.image_path), k=11, filters=filters.get(kind))
        want = product.attributes.get("type", "")
        for name, result in (("region", row.result), ("whole", whole), ("whole_filtered", whole_kind)):
            hits = [h for h in result.hits if h.id != product.id][:10]
            types = shop.store.get_many([h.id for h in hits])
            per_kind[kind][name].append(sum(types[h.id].attributes.get("type", "") == want for h in hits) / 10)
            kinds = sum(kind_of(types[h.id]) == kind for h in hits) / 10
            per_kind[kind][f"{name}_kind"].append(kinds)
    out: dict[str, object] = {"queries_without_usable_person": no_person, "look_ms": pct(timing)}
    for kind, table in per_kind.items():
        out[kind] = {name: round(statistics.fmean(v), 4) for name, v in table.items() if v} | {"n": len(table["region"])}
    print("shop the look", out)
    return out


def browser_frames(seconds: float = 20.0) -> dict[str, object]:
    """Live try-on in headless Chromium (Debian's, software WebGL, no GPU) on a fake camera showing a still person:
    frame time p50/p95 of pose + warp + draw, and the jitter (standard deviation, px) of the placed shoulder seams."""
    import shutil
    import tempfile

    import numpy as np
    import openvto
    from common import served
    from PIL import Image
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {"skipped": "no chromium"}
    shop = hm_shop("Garment Upper body", "tryon-hm-tops")
    if not (shop.path / "index" / "CURRENT").exists():
        shop.index(show_progress=True)
    top = next(p for p in shop.store.iter_products() if shop.tryon.verdict(p).eligible and shop.tryon.verdict(p).sleeves == "spread")
    folder = Path(tempfile.mkdtemp())
    person = Image.open(Path(openvto.__file__).parent / "assets" / "avatars" / "2.png").convert("RGB")
    person.thumbnail((640, 480))
    frame = Image.new("RGB", (640, 480), (200, 200, 205))
    frame.paste(person, ((640 - person.width) // 2, 0))
    y, u, v = (np.asarray(c) for c in frame.convert("YCbCr").split())
    clip = folder / "person.y4m"
    with clip.open("wb") as handle:
        handle.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            handle.write(b"FRAME\n" + y.tobytes() + u[::2, ::2].tobytes() + v[::2, ::2].tobytes())
    with served(shop.path, workers=1) as (base, _server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/#/product/{top.id}")
        page.wait_for_selector("#tryon:not([hidden])")
        page.click("#live-start")
        page.wait_for_function("() => window.daogouLive.state.placed >= 3", timeout=120_000)
        page.evaluate("() => { const s = window.daogouLive.state; s.times.length = 0; s.track.length = 0; s.drawMs.length = 0; }")
        time.sleep(seconds)
        times = page.evaluate("() => window.daogouLive.state.times")
        track = np.array(page.evaluate("() => window.daogouLive.state.track"))
        draw = page.evaluate("() => window.daogouLive.state.drawMs")
        browser.close()
    out = {"frame_ms": pct(times), "placement_and_drawing_ms": pct(draw), "fps_p50": round(1000 / statistics.median(times), 2),
           "shoulder_jitter_px": round(float(track.std(axis=0).mean()), 2) if len(track) > 1 else None,
           "frames": len(times), "note": "headless Chromium with software WebGL (SwiftShader) on 2 CPU cores; a phone or laptop GPU is not measured here"}
    print("browser live try-on", out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-look", action="store_true", help="leave out the Myntra shop-the-look part")
    parser.add_argument("--browser-only", action="store_true", help="only the live try-on frame times (merged into the JSON)")
    args = parser.parse_args()
    if args.browser_only:
        path = RESULTS / "tryon.json"
        result = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        result.pop("benchmark", None), result.pop("when", None), result.pop("machine", None)
        result["browser_live"] = browser_frames()
        write_result("tryon", result)
        return
    result: dict[str, object] = {}
    result["eligibility_hm_upper_body"], tops = eligibility(hm_shop("Garment Upper body", "tryon-hm-tops"))
    result["photo_tryon"] = photo_tryon(hm_shop("Garment Upper body", "tryon-hm-tops"), tops)
    bottoms_shop = hm_shop("Garment Lower body", "tryon-hm-bottoms")
    result["eligibility_hm_lower_body"], bottoms = eligibility(bottoms_shop)
    result["photo_tryon_lower_body"] = photo_tryon(bottoms_shop, bottoms, full_length=True)
    result["eligibility_hm_accessories"], _ = eligibility(hm_shop("Accessories", "tryon-hm-accessories", n=1200))
    dresses_shop = hm_shop("Garment Full body", "tryon-hm-dresses")
    result["eligibility_hm_full_body"], dresses = eligibility(dresses_shop)
    result["photo_tryon_dresses"] = photo_tryon(dresses_shop, dresses, full_length=True)
    result["placement_vs_hand_drawn"] = placement()
    result["browser_live"] = browser_frames()
    if not args.skip_look:
        result["shop_the_look_myntra"] = shop_the_look()
    write_result("tryon", result)


if __name__ == "__main__":
    main()
