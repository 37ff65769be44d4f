"""Regression tests for the medium findings about serving (M6, M7): no training on a request path, changes seen."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from daogou.shop import RECOMMEND_CARD, Shop


def test_m6_requests_never_search_blend_weights_or_write_models(hm_shop: Shop, tmp_path: Path) -> None:
    shutil.copytree(hm_shop.path, tmp_path / "shop")
    (tmp_path / "shop" / "models" / RECOMMEND_CARD).unlink()
    with Shop.open(tmp_path / "shop") as shop:
        started = time.perf_counter()
        _, data = shop.recommender()
        recs, note = shop.recommend(data.users[0], k=5)
        assert len(recs) == 5 and "default blend" in note
        assert time.perf_counter() - started < 60  # a fit with fixed weights, not a 280 s weight search
        assert not (tmp_path / "shop" / "models" / RECOMMEND_CARD).exists()


def test_m7_a_server_sees_deletes_and_events_from_another_process(hm_shop: Shop, tmp_path: Path) -> None:
    shutil.copytree(hm_shop.path, tmp_path / "shop")
    with Shop.open(tmp_path / "shop") as server, Shop.open(tmp_path / "shop") as admin:
        _, data = server.recommender()
        user = max(data.users, key=lambda u: len(data.seen(u)))
        shown = [r.item for r in server.recommend(user, k=3)[0]]
        admin.delete_products(shown[:1])  # another process removes a recommended product
        assert shown[0] not in {r.item for r in server.recommend(user, k=50)[0]}
        before = len(server.recommender()[1].events)
        events = tmp_path / "more.csv"
        events.write_text(f"user_id,product_id,timestamp\nnew-user,{shown[1]},2020-09-30\n", encoding="utf-8")
        assert admin.import_events(events).added == 1
        assert len(server.recommender()[1].events) == before + 1
