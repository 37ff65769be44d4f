"""ECD (Taobao customer service) response selection, R10@1 — a smoke figure only (100 contexts; ±0.07 at 95 %).

daogou's assistant does not select responses from a pool; this checks that the scorer its policy answers use
(e5 cosine plus the share of the question's words found, notes/assistant.md: e5 alone 0.15, BM25 0.18, random 0.10)
ranks a real shop's replies sensibly. Usage: python benchmarks/ecd_smoke.py. Writes results/ecd_smoke.json.
"""

from __future__ import annotations

import csv
import sys

import numpy as np
from common import write_result

from daogou.assistant.policy import _terms
from daogou.demo import data_roots
from daogou.models.registry import text_encoder


def main() -> None:
    root = next(r for r in data_roots() if (r / "ecd_taobao_dialogue_sample").is_dir()) / "ecd_taobao_dialogue_sample"
    csv.field_size_limit(sys.maxsize)
    groups: dict[str, list[tuple[int, str]]] = {}
    with (root / "test.tsv").open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            context = "".join(" ".join(row[1:-1][-2:]).split())  # the last two utterances, segmentation spaces removed
            groups.setdefault(context, []).append((int(row[0]), "".join(row[-1].split())))
    encoder = text_encoder("e5-small")
    figures = {}
    for weight in (0.0, 0.1):
        hits = []
        for context, candidates in groups.items():
            query = encoder.encode_queries([context])[0]
            scores = encoder.encode_passages([c for _, c in candidates]) @ query
            terms = _terms(context)
            scores = scores + weight * np.array([len(terms & _terms(c)) / max(1, len(terms)) for _, c in candidates])
            hits.append(candidates[int(np.argmax(scores))][0])
        figures[f"r10@1_topic_weight_{weight}"] = round(float(np.mean(hits)), 3)
    figures["contexts"] = len(groups)
    print(figures)
    write_result("ecd_smoke", figures)


if __name__ == "__main__":
    main()
