"""Sequential recommendation on Amazon Beauty and Sports (S3-Rec files), leave-one-out, full ranking.

Models: popularity (counted without the test items: every user's sequence minus its last item) and the
SASRec-family model of daogou/recommend/sequential.py, chosen by the validation item (early stopping on
validation NDCG@20), then scored once on the test item. Published full-ranking rows on the same files
(restated in the ICSRec repository's performance.md) are printed beside ours for comparison.

Usage: python benchmarks/recommend_loo.py [--sets beauty,sports] [--epochs 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

import numpy as np

from common import RESULTS, ROOT, write_result

from daogou.evaluate.metrics import paired_bootstrap
from daogou.evaluate.sequential import full_ranking, loo_splits, metrics_from_ranks, per_user_ndcg, ranks, read_sequences
from daogou.recommend.sequential import SASRecRecommender

DATA = ROOT.parent.parent / "shared" / "data"
FILES = {"beauty": DATA / "amazon_beauty_s3rec" / "Beauty.txt", "sports": DATA / "amazon_sports_s3rec" / "Sports_and_Outdoors.txt"}
PUBLISHED = {  # HR@20 / NDCG@20, full ranking, test item
    "beauty": {"SASRec": (0.0894, 0.0386), "DuoRec": (0.1228, 0.0536), "ICSRec": (0.1298, 0.0663)},
    "sports": {"SASRec": (0.0500, 0.0224), "DuoRec": (0.0696, 0.0302), "ICSRec": (0.0794, 0.0393)},
}


def popularity(sequences: list[list[int]], n_items: int):  # type: ignore[no-untyped-def]
    counts = Counter(i for seq in sequences for i in seq[:-1])
    row = np.zeros(n_items + 1, dtype=np.float32)
    for item, n in counts.items():
        row[item] = n
    row[0] = -np.inf
    return lambda histories: np.tile(row, (len(histories), 1))


def run(name: str, args: argparse.Namespace) -> dict[str, object]:
    sequences = read_sequences(str(FILES[name]))
    n_items = max(i for seq in sequences for i in seq)
    train, valid, test = loo_splits(sequences)
    print(f"{name}: {len(sequences)} users, {n_items} items, {sum(map(len, sequences))} interactions")
    out: dict[str, object] = {"users": len(sequences), "items": n_items, "published_hr20_ndcg20": PUBLISHED[name]}
    pop = popularity(sequences, n_items)
    pop_ranks = ranks(pop, test)
    out["popularity"] = {"test": metrics_from_ranks(pop_ranks)}
    model = SASRecRecommender(epochs=args.epochs, threads=args.threads, dropout=args.dropout, dim=args.dim, patience=args.patience,
                              seed=args.seed, batch_size=args.batch_size, lr=args.lr)
    model.fit(train, n_items, valid, progress=lambda r: print(f"  {name} epoch {r['epoch']}: loss {r['loss']:.3f}"
                                                              + (f", valid NDCG@20 {r['valid_ndcg20']:.4f}" if "valid_ndcg20" in r else "")
                                                              + f" ({r['seconds']:.0f} s)", flush=True))
    # the served path: histories include the validation item when scoring the test item
    sas_ranks = ranks(model.scores, test)
    latencies = []
    for history, _ in test[:500]:
        t0 = time.perf_counter()
        model.recommend(history, 20)
        latencies.append((time.perf_counter() - t0) * 1000)
    out["sasrec"] = {
        "params": {k: getattr(model, k) for k in ("max_len", "dim", "layers", "heads", "dropout", "lr", "batch_size", "patience", "seed", "threads")},
        "valid": full_ranking(model.scores, valid), "test": metrics_from_ranks(sas_ranks),
        "epochs_run": len(model.history_), "fit_seconds": round(model.fit_seconds_, 1),
        "recommend_ms_p50": round(float(np.median(latencies)), 2), "recommend_ms_p99": round(float(np.percentile(latencies, 99)), 2),
        "latency_threads": args.threads,
    }
    out["sasrec_vs_popularity_ndcg20"] = paired_bootstrap(dict(enumerate(per_user_ndcg(sas_ranks))), dict(enumerate(per_user_ndcg(pop_ranks))))
    print(name, json.dumps({k: v for k, v in out.items() if k in ("popularity", "sasrec")}, indent=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="beauty,sports")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    fresh = {name: run(name, args) for name in args.sets.split(",")}
    previous = RESULTS / "recommend_loo.json"  # read at the end: runs of the two sets may overlap
    result = json.loads(previous.read_text()) if previous.exists() else {}
    result.update(fresh)
    for key in ("benchmark", "when", "machine"):
        result.pop(key, None)
    write_result("recommend_loo", result)


if __name__ == "__main__":
    main()
