"""Search quality on Myntra: attribute queries in English and Chinese (with and without understanding),
and title → image Recall@K of the catalog-trained alignment heads.

Everything is measured on the held-out 20 % of products (catalog/splits.py, seed 42): the heads are
trained on the rest, and each query is built from one held-out product's colour + type + gender.
Queries are kept when the catalog has at least 10 products of that type and gender ("slots apply"),
so P@10 on type + gender can reach 1. Writes results/search_quality.{json,md,png}.
"""

from __future__ import annotations

import random
import statistics
import time

import numpy as np
from common import RESULTS, myntra_shop, result_name, write_result

from daogou.catalog.splits import SEED, split_ids
from daogou.evaluate.report import write_report
from daogou.models.align import AlignmentHeads, image_side, pair_retrieval
from daogou.models.registry import text_encoder

N_QUERIES = 100
COLOUR_ZH = {"Black": "黑色", "White": "白色", "Blue": "蓝色", "Navy Blue": "藏青色", "Red": "红色", "Green": "绿色", "Grey": "灰色",
             "Brown": "棕色", "Pink": "粉色", "Purple": "紫色", "Yellow": "黄色", "Beige": "米色", "Maroon": "酒红色", "Orange": "橙色",
             "Silver": "银色", "Gold": "金色", "Olive": "橄榄绿", "Cream": "奶油色", "Khaki": "卡其色"}
GENDER_ZH = {"Men": "男士", "Women": "女士", "Boys": "男童", "Girls": "女童", "Unisex": "中性"}
TYPE_ZH = {"Tshirts": "T恤", "Shirts": "衬衫", "Casual Shoes": "休闲鞋", "Sports Shoes": "运动鞋", "Formal Shoes": "皮鞋", "Tops": "上衣",
           "Watches": "手表", "Handbags": "手提包", "Heels": "高跟鞋", "Sunglasses": "太阳镜", "Sweaters": "毛衣", "Sandals": "凉鞋",
           "Wallets": "钱包", "Flip Flops": "人字拖", "Sweatshirts": "卫衣", "Belts": "皮带", "Trousers": "长裤", "Jeans": "牛仔裤",
           "Socks": "袜子", "Jackets": "夹克", "Flats": "平底鞋", "Backpacks": "双肩包", "Briefs": "内裤", "Shorts": "短裤", "Caps": "帽子",
           "Track Pants": "运动裤", "Ties": "领带", "Dresses": "连衣裙", "Skirts": "半身裙", "Clutches": "手拿包", "Kurtas": "库尔塔"}
EN_TEMPLATES = ("{colour} {type} for {gender}", "{gender}'s {colour} {type}", "{colour} {gender} {type}")
ZH_TEMPLATES = ("{colour}{gender}{type}", "{gender}{colour}{type}", "我想买{colour}的{gender}{type}")


def attribute_queries(shop) -> list[dict]:  # type: ignore[no-untyped-def]
    products = list(shop.store.iter_products())
    held_out = set(split_ids([p.id for p in products], SEED).test)
    pair_counts: dict[tuple[str, str], int] = {}
    for p in products:
        key = (p.attributes.get("type", ""), p.attributes.get("gender", ""))
        pair_counts[key] = pair_counts.get(key, 0) + 1
    rng = random.Random(SEED)
    candidates = sorted((p for p in products if p.id in held_out), key=lambda p: p.id)
    rng.shuffle(candidates)
    seen, queries = set(), []
    for p in candidates:
        colour, kind, gender = (p.attributes.get(f, "") for f in ("colour", "type", "gender"))
        if pair_counts.get((kind, gender), 0) < 10 or (colour, kind, gender) in seen:
            continue
        if colour not in COLOUR_ZH or kind not in TYPE_ZH or gender not in GENDER_ZH:
            continue
        seen.add((colour, kind, gender))
        i = len(queries)
        queries.append({
            "product": p.id, "colour": colour, "type": kind, "gender": gender,
            "en": EN_TEMPLATES[i % 3].format(colour=colour.lower(), type=kind.lower(), gender=gender.lower()),
            "zh": ZH_TEMPLATES[i % 3].format(colour=COLOUR_ZH[colour], type=TYPE_ZH[kind], gender=GENDER_ZH[gender]),
        })
        if len(queries) == N_QUERIES:
            break
    return queries


def precision(shop, queries: list[dict], language: str, understand: bool) -> dict:  # type: ignore[no-untyped-def]
    tg, tgc, times = [], [], []
    for q in queries:
        started = time.perf_counter()
        hits = shop.search(q[language], k=10, understand=understand).hits
        times.append((time.perf_counter() - started) * 1000)
        tg.append(sum(h.attributes.get("type") == q["type"] and h.attributes.get("gender") == q["gender"] for h in hits) / 10)
        tgc.append(sum(h.attributes.get("type") == q["type"] and h.attributes.get("gender") == q["gender"] and h.attributes.get("colour") == q["colour"] for h in hits) / 10)
    return {
        "p@10_type_gender": round(statistics.fmean(tg), 3),
        "p@10_type_gender_colour": round(statistics.fmean(tgc), 3),
        "latency_ms_p50": round(statistics.median(times), 1),
    }


def alignment(shop) -> dict:  # type: ignore[no-untyped-def]
    """Retrain the heads (train split), then text→image Recall@K on the test split: passages and bare titles."""
    report = shop.train("align")
    heads, card = AlignmentHeads.load(shop.models_dir)
    ids_img, images = shop.store.load_vectors("image", shop.settings.image_model)
    ids_col, colours = shop.store.load_vectors("colour", shop.settings.colour_model)
    ids_txt, texts = shop.store.load_vectors("text", shop.settings.text_model)
    common = sorted(set(ids_img) & set(ids_txt) & set(ids_col))
    test = split_ids(common, SEED).test
    pi, pt, pc = ({p: i for i, p in enumerate(ids)} for ids in (ids_img, ids_txt, ids_col))
    img = heads.transform_images(image_side(images[[pi[p] for p in test]], colours[[pc[p] for p in test]]))
    passages = pair_retrieval(heads.transform_texts(texts[[pt[p] for p in test]]), img)
    titles = [shop.product(p).title for p in test]
    encoder = text_encoder(shop.settings.text_model)
    title_vectors = np.concatenate([encoder.encode_queries(titles[i : i + 64]) for i in range(0, len(titles), 64)])
    bare = pair_retrieval(heads.transform_texts(title_vectors), img)
    return {
        "train_seconds": report.seconds,
        "test_pairs": passages.pairs,
        "passage_to_image": {f"recall@{k}": round(v, 4) for k, v in passages.recall.items()} | {"mrr": round(passages.mrr, 4)},
        "title_query_to_image": {f"recall@{k}": round(v, 4) for k, v in bare.recall.items()} | {"mrr": round(bare.mrr, 4)},
    }


if __name__ == "__main__":
    shop = myntra_shop()
    print("indexing (colour features are new to an older shop)...")
    shop.index(show_progress=False)
    align = alignment(shop)
    print("alignment", align)
    colour = shop.train("colour")
    print("colour head", colour.metrics)
    queries = attribute_queries(shop)
    shop.search("warm up", k=10)
    rows = []
    for language in ("en", "zh"):
        for understand in (True, False):
            figures = precision(shop, queries, language, understand)
            rows.append({"variant": f"{language} {'with' if understand else 'without'} understanding", **figures})
            print(rows[-1])
    data = {"seed": SEED, "queries": len(queries), "attribute_queries": rows, "alignment": align, "colour_head": colour.metrics, "examples": queries[:10]}
    write_result("search_quality", data)
    write_report(RESULTS, result_name("search_quality_plot"), data, rows, ["p@10_type_gender", "p@10_type_gender_colour"], "Myntra attribute queries (held-out products), P@10")
