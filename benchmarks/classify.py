"""Fusion classifier on Myntra and H&M: image-only, text-only, feature fusion, decision fusion, side by side.

Same fixed stratified split (seed 42, 20 % test) for every variant; classes with < 5 examples merged into
"other". Two text settings: "title" (title + description) and "masked" ("title-less": every word naming
a type or colour removed, so text cannot read the label off). H&M uses the 4,116 articles with photos.
Writes results/classify.json, a bar chart per table and the confusion matrix of the best articleType model.
"""

from __future__ import annotations

import csv
import shutil

from common import RESULTS, SHOPS, myntra_shop, write_result

from daogou.classifying import build_dataset, evaluate_classifier
from daogou.demo import find_dataset
from daogou.evaluate.report import confusion_png, write_report
from daogou.shop import Shop

BASE = ["image-only", "text-only", "feature-logreg", "decision-weighted"]


def hm_shop() -> Shop:
    path = SHOPS / "hm-photos"
    if (path / "index" / "CURRENT").exists():
        return Shop.open(path)
    shutil.rmtree(path, ignore_errors=True)
    shop = Shop.init(path)
    folder = find_dataset("hm_fashion_sample")
    with (folder / "articles.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if (folder / "images" / r["article_id"][:3] / f"{r['article_id']}.jpg").exists()]
        fields = reader.fieldnames
    catalog = path / "articles_with_photos.csv"
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)  # type: ignore[arg-type]
        writer.writeheader()
        writer.writerows(rows)
    report = shop.import_catalog(catalog, preset="hm", image_dir=folder)
    print(f"H&M: imported {report.added} articles with photos ({len(report.errors)} skipped)")
    shop.index(show_progress=True)
    return shop


def run(shop: Shop, catalog: str, target: str, extra: list[str]) -> list[dict]:
    rows = []
    for mode in ("title", "masked"):
        data = build_dataset(shop.store, shop.settings, shop.models_dir / "cache", target, mode)
        variants = BASE + (extra if mode == "title" else [])
        for row in evaluate_classifier(data, variants):
            figures = {k: v for k, v in row.items() if not k.startswith("_")}
            figures.update({"catalog": catalog, "target": target, "text": mode, "classes": len(set(data.y)), "merged_into_other": len(data.merged)})
            print(figures, flush=True)
            rows.append({**figures, "_row": row, "_y": data.y})
    return rows


def main() -> None:
    tables = []
    myntra = myntra_shop()
    tables += run(myntra, "myntra", "type", ["decision-stacking", "feature-mlp"])
    tables += run(myntra, "myntra", "colour", [])
    tables += run(myntra, "myntra", "gender", [])
    hm = hm_shop()
    tables += run(hm, "hm", "type", [])
    tables += run(hm, "hm", "colour", [])
    best = max((r for r in tables if r["catalog"] == "myntra" and r["target"] == "type" and r["text"] == "title"), key=lambda r: r["macro_f1"])
    y = best["_y"]
    confusion_png(RESULTS / "classify_confusion_myntra_type.png", list(y[best["_row"]["_test"]]), list(best["_row"]["_pred"]), f"Myntra articleType, {best['variant']} (title), top 25 classes")
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in tables]
    write_result("classify", {"seed": 42, "rows": clean})
    for catalog in ("myntra", "hm"):
        for target in sorted({r["target"] for r in clean if r["catalog"] == catalog}):
            rows = [{"variant": f"{r['variant']} ({r['text']})", "macro_f1": r["macro_f1"], "weighted_f1": r["weighted_f1"], "accuracy": r["accuracy"]}
                    for r in clean if r["catalog"] == catalog and r["target"] == target]
            write_report(RESULTS, f"classify_{catalog}_{target}", {"rows": rows}, rows, ["macro_f1", "weighted_f1", "accuracy"], f"{catalog} {target}")


if __name__ == "__main__":
    main()
