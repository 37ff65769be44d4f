"""Search sanity on Myntra: attribute queries (colour + type + gender) built from held-out products.

The catalog is split 80/20 with a fixed seed; 50 products are drawn from the 20 % part and each gives
one query such as "navy blue shirts for men". Precision@10 counts results whose type and gender both
match (and, separately, colour too). Nothing is tuned on these queries. Writes results/search_sanity.json.
"""

from __future__ import annotations

import random
import statistics

from common import myntra_shop, write_result

SEED = 42
N_QUERIES = 50


def held_out_queries(products: list) -> list:
    rng = random.Random(SEED)
    ordered = sorted(products, key=lambda p: p.id)
    rng.shuffle(ordered)
    test = ordered[int(0.8 * len(ordered)) :]
    seen, picked = set(), []
    for p in test:
        key = (p.attributes.get("colour"), p.attributes.get("type"), p.attributes.get("gender"))
        if None in key or key in seen:
            continue
        seen.add(key)
        picked.append(p)
        if len(picked) == N_QUERIES:
            break
    return picked


def main() -> None:
    shop = myntra_shop()
    products = list(shop.store.iter_products())
    rows = []
    for p in held_out_queries(products):
        colour, kind, gender = p.attributes["colour"], p.attributes["type"], p.attributes["gender"]
        query = f"{colour} {kind} for {gender}".lower()
        hits = shop.search(query, k=10).hits
        type_gender = sum(h.attributes.get("type") == kind and h.attributes.get("gender") == gender for h in hits) / 10
        all_three = sum(
            h.attributes.get("type") == kind and h.attributes.get("gender") == gender and h.attributes.get("colour") == colour for h in hits
        ) / 10
        rows.append({"query": query, "p10_type_gender": type_gender, "p10_type_gender_colour": all_three})
        print(f"{type_gender:.1f} {all_three:.1f}  {query}")
    summary = {
        "queries": len(rows),
        "precision_at_10_type_and_gender": round(statistics.fmean(r["p10_type_gender"] for r in rows), 3),
        "precision_at_10_type_gender_colour": round(statistics.fmean(r["p10_type_gender_colour"] for r in rows), 3),
    }
    print(summary)
    write_result("search_sanity", {"seed": SEED, **summary, "per_query": rows})


if __name__ == "__main__":
    main()
