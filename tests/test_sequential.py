"""Sequential recommendation: leave-one-out splits and full-ranking metrics by hand, and a SASRec model that must
learn an order that only the sequence reveals (popularity cannot)."""

from __future__ import annotations

import numpy as np

from daogou.evaluate.sequential import full_ranking, loo_splits, metrics_from_ranks, ranks
from daogou.recommend.sequential import SASRecRecommender


def test_loo_splits_hold_out_the_last_two_items() -> None:
    train, valid, test = loo_splits([[1, 2, 3, 4], [5, 6], [7, 8, 9]])
    assert train == [[1, 2], [7]]
    assert valid == [([1, 2], 3), ([7], 8)]
    assert test == [([1, 2, 3], 4), ([7, 8], 9)]


def test_ranks_mask_the_history_and_count_better_items() -> None:
    def score(histories: list[list[int]]) -> np.ndarray:
        return np.tile(np.array([-np.inf, 5, 4, 3, 2, 1], dtype=np.float32), (len(histories), 1))

    # target 3 has items 1 and 2 above it; 1 is in the history (masked), so its rank is 1
    assert list(ranks(score, [([1], 3), ([], 3), ([4], 5)])) == [1, 2, 3]
    metrics = metrics_from_ranks(np.array([0, 1, 30]), ks=(1, 5))
    assert metrics["hr@1"] == round(1 / 3, 4) and metrics["hr@5"] == round(2 / 3, 4)
    assert metrics["ndcg@5"] == round((1 + 1 / np.log2(3)) / 3, 4)


def test_sasrec_learns_what_comes_next() -> None:
    rng = np.random.default_rng(0)
    n_items = 30
    # each user walks a cycle of the items from a random start: the next item is the current one + 1
    sequences = []
    for _ in range(400):
        start = int(rng.integers(1, n_items + 1))
        length = int(rng.integers(4, 9))
        sequences.append([(start + step - 1) % n_items + 1 for step in range(length)])
    train, valid, test = loo_splits(sequences)
    model = SASRecRecommender(max_len=10, dim=32, layers=1, heads=1, dropout=0.1, epochs=40, patience=3, eval_every=2, batch_size=64, lr=3e-3, seed=1, threads=1)
    model.fit(train, n_items, valid)
    result = full_ranking(model.scores, test, ks=(1, 5))
    assert result["hr@1"] > 0.8, result
    history, target = test[0]
    top = model.recommend(history, 5)
    assert top[0][0] == target and not set(i for i, _ in top) & set(history)
    again = SASRecRecommender(max_len=10, dim=32, layers=1, heads=1, dropout=0.1, epochs=40, patience=3, eval_every=2, batch_size=64, lr=3e-3, seed=1, threads=1)
    assert full_ranking(again.fit(train, n_items, valid).scores, test, ks=(1, 5)) == result  # same seed, same figures


def test_sequence_files_import_as_ordered_purchases(tmp_path, data_dir) -> None:  # type: ignore[no-untyped-def]
    from daogou.shop import Shop

    path = tmp_path / "seq.txt"
    long = " ".join(str(i % 50 + 1) for i in range(10_000))
    path.write_text(f"u1 3 3 5 7\nu2 9\nu3\n\nu4 {long}\n", encoding="utf-8")
    shop = Shop.init(tmp_path / "shop")
    report = shop.import_events(path, preset="sequence")
    events = shop.store.load_interactions()
    by_user: dict[str, list[str]] = {}
    for event in sorted(events, key=lambda e: (e.user_id, e.timestamp)):
        by_user.setdefault(event.user_id, []).append(event.product_id)
    assert by_user["u1"] == ["3", "5", "7"]  # the repeated 3 is one purchase; order kept
    assert by_user["u2"] == ["9"]  # a one-item user is still a user
    assert len(by_user["u4"]) == 2000
    assert [e.line for e in report.errors] == [3, 5]  # no items; history cut
    assert report.unknown_products == report.added  # no catalog here: every product id is reported as unknown
    again = shop.import_events(path, preset="sequence")
    assert again.added == 0  # re-importing the same file adds nothing
    real = tmp_path / "beauty-head.txt"
    real.write_text("".join((data_dir / "amazon_beauty_s3rec" / "Beauty.txt").read_text(encoding="utf-8").splitlines(keepends=True)[:300]), encoding="utf-8")
    head = shop.import_events(real, preset="sequence")
    assert head.added == sum(len(line.split()) - 1 for line in real.read_text(encoding="utf-8").splitlines()) and not head.errors
    shop.close()
