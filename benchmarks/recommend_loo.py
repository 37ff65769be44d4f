"""Recommendation on Amazon Beauty and Sports (S3-Rec files), leave-one-out, full ranking, through the serving path.

For each set a shop is built the way a user would (benchmarks/.shops/amazon-<set>): products imported with the
`amazon_s3rec` preset and indexed (text vectors of the short titles), behaviour imported with the `sequence`
preset from the sequence file **minus each user's last item** (the test item; written to a temporary file),
then `shop.train("recommend")` trains the sequential model (early stopping on each user's second-last item,
the validation item) and fits the hybrid's weights on that validation item. Every figure is then what the shop
serves: the hybrid row is `shop.recommend(user, 20)`, the other rows are the same fitted components the hybrid
holds (popularity therefore counts every purchase except the test items). The test item is ranked against every
item the user has not had (full ranking: a served list never holds what the user has).

Published full-ranking rows on the same files (restated in the ICSRec repository's performance.md) are printed
beside ours. Usage: python benchmarks/recommend_loo.py [--sets beauty,sports] [--threads 2] [--epochs 200] [--blend-only]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from common import RESULTS, ROOT, SHOPS, write_result

from daogou.evaluate.loo_eval import evaluate_loo
from daogou.recommend.session import SessionRecommender
from daogou.shop import Shop

DATA = ROOT.parent.parent / "shared" / "data"
SETS = {
    "beauty": (DATA / "amazon_beauty_s3rec" / "Beauty.txt", DATA / "amazon_beauty_s3rec" / "Beauty_item_textid.txt"),
    "sports": (DATA / "amazon_sports_s3rec" / "Sports_and_Outdoors.txt", DATA / "amazon_sports_s3rec" / "Sports_and_Outdoors_item_textid.txt"),
}
PUBLISHED = {  # HR@20 / NDCG@20, full ranking, test item
    "beauty": {"SASRec": (0.0894, 0.0386), "DuoRec": (0.1228, 0.0536), "ICSRec": (0.1298, 0.0663)},
    "sports": {"SASRec": (0.0500, 0.0224), "DuoRec": (0.0696, 0.0302), "ICSRec": (0.0794, 0.0393)},
}


class _Item:
    """A served session recommendation seen as a ranked item."""

    def __init__(self, item: str) -> None:
        self.item = item


def build_shop(name: str, users: int | None) -> tuple[Shop, dict[str, str], dict[str, list[str]]]:
    """The shop with every product and all behaviour but the test items; (shop, user → test item, user → history)."""
    sequences_path, items_path = SETS[name]
    lines = [line.split() for line in sequences_path.read_text(encoding="utf-8").splitlines() if line.split()]
    lines = lines[:users] if users else lines
    truth = {parts[0]: parts[-1] for parts in lines}
    histories = {parts[0]: parts[1:-1] for parts in lines}
    path = SHOPS / (f"amazon-{name}" + (f"-{users}" if users else ""))
    fresh = not (path / "index" / "CURRENT").exists()
    shop = Shop.init(path, exist_ok=True)
    if fresh:
        print(shop.import_catalog(items_path, preset="amazon_s3rec"))
        shop.index(show_progress=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("".join(f"{user} {' '.join(items)}\n" for user, items in histories.items()), encoding="utf-8")
        report = shop.import_events(train_file, preset="sequence")
        print(f"{name}: {report.added} events added ({report.already_imported} already imported)")
    return shop, truth, histories


def run(name: str, args: argparse.Namespace) -> dict[str, object]:
    shop, truth, histories = build_shop(name, args.users)
    shop.settings.sequential_threads = args.threads
    shop.settings.sequential_epochs = args.epochs

    def progress(record: dict[str, float]) -> None:
        valid = f", valid NDCG@20 {record['valid_ndcg20']:.4f}" if "valid_ndcg20" in record else ""
        print(f"  {name} epoch {record['epoch']:.0f}: loss {record['loss']:.3f}{valid} ({record['seconds']:.0f} s)", flush=True)

    started = time.perf_counter()
    report = shop.train("recommend", progress=progress, sequential=not args.blend_only)
    train_seconds = time.perf_counter() - started
    hybrid, _data = shop.recommender()
    served = {n: m.recommend for n, m in hybrid.models_.items()}  # type: ignore[attr-defined]
    served["hybrid"] = lambda user, k: shop.recommend(user, k)[0]
    result = evaluate_loo(served, truth, 20)
    # anonymous shoppers: each user's history replayed as a session's views (no account), on a seeded sample
    sample = sorted(random.Random(42).sample(sorted(truth), min(args.session_users, len(truth))))
    session_truth = {u: truth[u] for u in sample}

    def content_session(user: str, k: int) -> list:
        similar = lambda p, n, ex: [(h.id, h.title, h.score) for h in shop.searcher.similar(p, n, ex)]  # noqa: E731
        return [_Item(r.id) for r in SessionRecommender(similar).recommend(histories[user], k)[0]]

    sessions = evaluate_loo({"session_content_only": content_session,
                             "session_served": lambda u, k: [_Item(r.id) for r in shop.recommend_for_session(histories[u], k)[0]]},
                            session_truth, 20, hybrid="session_served")
    repeats = sum(1 for user in list(truth)[:2000] for r in shop.recommend(user, 20)[0] if r.item in set(histories[user]))
    sequential = shop.recommendations.sequential()
    card = json.loads((shop.models_dir / "sequential.json").read_text()) if sequential else {}
    out: dict[str, object] = {
        "users": len(truth), "published_hr20_ndcg20": PUBLISHED[name], **result,
        "weights": hybrid.weights_, "validation_ndcg@20": hybrid.validation_map_,
        "train_recommend_seconds": round(train_seconds, 1), "train_metrics": report.metrics,
        "sequential": {k: card.get(k) for k in ("params", "epochs_run", "fit_seconds", "best_valid_ndcg20", "threads")},
        "served_items_already_had_first_2000_users": repeats,
        "sessions": {"users": len(sample), **sessions},
    }
    shop.close()
    print(name, json.dumps({k: out[k] for k in ("rows", "weights", "best_single")}, indent=1))
    print(name, "hybrid vs best single:", out.get("hybrid_vs_best_single_ndcg@20"))
    print(name, "sessions:", json.dumps(sessions))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="beauty,sports")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--blend-only", action="store_true", help="keep the shop's trained sequential model, refit the blend")
    parser.add_argument("--session-users", type=int, default=5000)
    parser.add_argument("--users", type=int, default=0, help="only the first N users (a quick check; figures not comparable)")
    args = parser.parse_args()
    fresh = {name: run(name, args) for name in args.sets.split(",")}
    if args.users:
        print("--users given: results not written")
        return
    previous = RESULTS / "recommend_loo.json"  # read at the end: runs of the two sets may overlap
    result = json.loads(previous.read_text()) if previous.exists() else {}
    result.update(fresh)
    for key in ("benchmark", "when", "machine"):
        result.pop(key, None)
    write_result("recommend_loo", result)


if __name__ == "__main__":
    main()
