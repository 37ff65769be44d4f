"""The sequential model serving a shop (NextItemRecommender), item-kNN with recency, the hybrid's leave-one-out
validation, and the S3-Rec item import: on synthetic sequences whose next item only the order reveals."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from daogou.catalog.schema import Interaction
from daogou.recommend.data import Interactions, hold_out_last, sequences
from daogou.recommend.models import HybridRecommender, PopularityRecommender
from daogou.recommend.next_item import NextItemRecommender
from daogou.recommend.recency_knn import RecentItemKNN

N_ITEMS = 30
SMALL = {"max_len": 10, "dim": 32, "layers": 1, "heads": 1, "dropout": 0.1, "lr": 3e-3, "batch_size": 64, "patience": 3, "seed": 1}


def _item(i: int) -> str:
    return f"p{(i - 1) % N_ITEMS + 1}"


def _cycles(users: int = 300, seed: int = 0) -> Interactions:
    """Each user walks the cycle p1 → p2 → … → p30 → p1 from a random start, one purchase a second."""
    rng = np.random.default_rng(seed)
    events = []
    t0 = datetime(2000, 1, 1)
    for u in range(users):
        start = int(rng.integers(1, N_ITEMS + 1))
        for step in range(int(rng.integers(4, 9))):
            events.append(Interaction(user_id=f"u{u}", product_id=_item(start + step), kind="purchase", timestamp=t0 + timedelta(seconds=step)))
    return Interactions.from_events(events)


@pytest.fixture(scope="module")
def cycles() -> Interactions:
    return _cycles()


@pytest.fixture(scope="module")
def trained(cycles: Interactions) -> NextItemRecommender:
    return NextItemRecommender(epochs=40, threads=1, **SMALL).fit(cycles)


def _next(product: str) -> str:
    return _item(int(product[1:]) + 1)


def test_hold_out_last_removes_each_users_last_product(cycles: Interactions) -> None:
    inner, truth = hold_out_last(cycles)
    seqs, inner_seqs = sequences(cycles), sequences(inner)
    assert truth == {u: s[-1] for u, s in seqs.items()}
    assert all(inner_seqs[u] == s[:-1] for u, s in seqs.items())


def test_next_item_model_serves_each_users_next_product(trained: NextItemRecommender, cycles: Interactions) -> None:
    seqs = sequences(cycles)
    hits = sum(trained.recommend(u, 1)[0].item == _next(s[-1]) for u, s in seqs.items())
    assert hits / len(seqs) > 0.9
    held = sum(trained.recommend_held_out(u, 1)[0].item == s[-1] for u, s in seqs.items())
    assert held / len(seqs) > 0.9  # the validation case: the last product from the history before it
    user, history = next(iter(seqs.items()))
    recs = trained.recommend(user, 10)
    assert not {r.item for r in recs} & set(history)  # a served list never repeats what the user has
    assert recs[0].reason == "next_after" and recs[0].about == history[-1]
    assert trained.recommend_after(["p3", "p4"], 1)[0].item == "p5"  # an anonymous session's views
    assert trained.recommend_after(["nope", "p7"], 1)[0].item == "p8"  # unknown products are ignored
    assert trained.recommend_after(["nope"], 3) == [] and trained.recommend("stranger", 3) == []


def test_next_item_model_round_trips_through_its_files(trained: NextItemRecommender, cycles: Interactions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    trained.save(tmp_path)
    loaded = NextItemRecommender.load(tmp_path, cycles)
    assert loaded is not None
    for user in list(sequences(cycles))[:20]:
        assert [(r.item, round(r.score, 4)) for r in loaded.recommend(user, 5)] == [(r.item, round(r.score, 4)) for r in trained.recommend(user, 5)]
    assert NextItemRecommender.load(tmp_path / "empty", cycles) is None


def test_next_item_model_reads_newer_behaviour_without_retraining(trained: NextItemRecommender, cycles: Interactions) -> None:
    t0 = datetime(2001, 1, 1)
    newer = list(cycles.events) + [Interaction(user_id="new", product_id=p, kind="purchase", timestamp=t0 + timedelta(seconds=i))
                                   for i, p in enumerate(["p10", "p11", "unknown-product", "p12"])]
    served = trained.with_data(Interactions.from_events(newer))
    assert served.recommend("new", 1)[0].item == "p13"
    assert served.model_ is trained.model_


def test_long_histories_and_repeats_are_served(trained: NextItemRecommender) -> None:
    t0 = datetime(2000, 1, 1)
    walk = [_item(i) for i in range(1, 10_001)]
    events = [Interaction(user_id="bot", product_id=p, kind="purchase", timestamp=t0 + timedelta(seconds=i)) for i, p in enumerate(walk)]
    events += [Interaction(user_id="twice", product_id=p, kind="purchase", timestamp=t0 + timedelta(seconds=i)) for i, p in enumerate(["p4", "p4", "p5"])]
    served = trained.with_data(Interactions.from_events(events))
    assert sequences(served.data_)["twice"] == ["p4", "p5"]  # a repeat straight after itself is one step
    assert served.recommend("twice", 1)[0].item == "p6"
    assert served.recommend("bot", 5) == []  # a 10,000-purchase history has bought every product: nothing is left to offer


def test_recent_knn_follows_the_latest_purchase() -> None:
    t0 = datetime(2000, 1, 1)
    events = []
    for u in range(50):  # "a" is bought with "b", "x" with "y"
        for i, p in enumerate(("a", "b") if u % 2 else ("x", "y")):
            events.append(Interaction(user_id=f"u{u}", product_id=p, kind="purchase", timestamp=t0 + timedelta(seconds=i)))
    events += [Interaction(user_id="me", product_id=p, kind="purchase", timestamp=t0 + timedelta(seconds=i)) for i, p in enumerate(["a", "x"])]
    model = RecentItemKNN(decay=0.5).fit(Interactions.from_events(events))
    recs = model.recommend("me", 2)
    assert [r.item for r in recs] == ["y", "b"]  # the newest purchase's neighbour first
    assert recs[0].about == "x" and recs[1].about == "a"
    assert model.recommend("nobody", 3) == []


def test_hybrid_validates_on_the_last_item_without_retraining_the_sequential_model(trained: NextItemRecommender, cycles: Interactions) -> None:
    calls: list[int] = []

    def sequential(data: Interactions) -> NextItemRecommender:
        calls.append(len(data.events))
        return trained.with_data(data)

    hybrid = HybridRecommender({"popularity": lambda d: PopularityRecommender().fit(d), "sequential": sequential}, validation="last").fit(cycles)
    assert calls == [len(cycles.events)]  # fitted once, on everything: its validation lists read the held-out item
    assert hybrid.weights_["sequential"] > 0 and hybrid.validation_map_ is not None and hybrid.validation_map_ > 0.8
    with pytest.raises(ValueError):
        HybridRecommender({"popularity": lambda d: PopularityRecommender().fit(d)}, validation="days").fit(cycles)


def test_s3rec_items_import_with_their_asin_and_attribute_ids(data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from daogou.catalog.importers import read_catalog
    from daogou.catalog.presets import PRESETS
    from daogou.errors import ImportFailed

    result = read_catalog(data_dir / "amazon_beauty_s3rec" / "Beauty_item_textid.txt", PRESETS["amazon_s3rec"])
    assert len(result.products) == 12_101 and not result.errors
    first = result.products[0]
    assert first.id == "1" and first.attributes["asin"] == "B004756YJA" and first.title == "nail lacquer simmer and shimmer"
    assert first.attributes["tags"].split() == ["a173", "a1", "a162", "a171"]
    no_text = next(p for p in result.products if p.id == "10205")
    assert no_text.title == no_text.attributes["asin"]  # the one item without text keeps its purchases
    with pytest.raises(ImportFailed, match="item_textid"):
        read_catalog(data_dir / "amazon_beauty_s3rec" / "Beauty.txt", PRESETS["amazon_s3rec"])
    lone = tmp_path / "Lone_item_textid.txt"
    lone.write_text("B000 some words\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="datamaps"):
        read_catalog(lone, PRESETS["amazon_s3rec"])


def test_compiled_validation_ranks_exactly_like_the_served_fusion() -> None:
    from daogou.recommend.metrics import mean_ndcg
    from daogou.recommend.models import Scored

    rng = np.random.default_rng(3)
    items = [f"i{j:02d}" for j in range(40)]
    lists, truth = {}, {}
    for u in range(60):  # three models' ranked lists with overlaps and ties between models
        lists[f"u{u}"] = {name: [Scored(str(i), 1.0, "popular") for i in rng.choice(items, 25, replace=False)] for name in ("a", "b", "c")}
        truth[f"u{u}"] = {str(rng.choice(items))}
    hybrid = HybridRecommender({name: lambda d: None for name in ("a", "b", "c")}, validation="last")  # type: ignore[misc,return-value]
    compiled = [hybrid._reciprocal(hybrid._compile(truth, lists), hybrid.rrf_k)]
    hybrid.rrf_k_ = hybrid.rrf_k
    for weights in ({"a": 1.0}, {"a": 1.0, "b": 1.0}, {"a": 0.5, "b": 2.0, "c": 1.0}, {"a": 0.0, "c": 0.25}):
        served = {u: [s.item for s in hybrid._fuse(lists[u], weights, 20)] for u in truth}
        assert hybrid._objective(compiled, weights) == pytest.approx(mean_ndcg(served, truth, 20), abs=1e-12)
