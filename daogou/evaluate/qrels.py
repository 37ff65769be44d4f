"""Relevance judgements ("qrels") as TSV: query <TAB> product id <TAB> grade, one judgement per line.

Why TSV: a merchandiser can write one in a spreadsheet; queries may contain commas and Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from daogou.errors import DaogouError

Qrels = dict[str, dict[str, float]]


def read_qrels(path: Path | str) -> Qrels:
    """Read a qrels TSV (an optional header line starting with "query" is skipped); bad lines are refused by number."""
    path = Path(path)
    if not path.exists():
        raise DaogouError(f"{path}: no such qrels file")
    qrels: Qrels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or (number == 1 and line.lower().startswith("query\t")):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise DaogouError(f"{path}:{number}: expected query<TAB>product_id<TAB>grade, got {len(parts)} fields")
        query, product, grade = (p.strip() for p in parts)
        try:
            value = float(grade)
        except ValueError as exc:
            raise DaogouError(f"{path}:{number}: grade {grade!r} is not a number") from exc
        if not query or not product:
            raise DaogouError(f"{path}:{number}: empty query or product id")
        qrels.setdefault(query, {})[product] = value
    if not qrels:
        raise DaogouError(f"{path}: no judgements")
    return qrels


def write_qrels(path: Path | str, qrels: Mapping[str, Mapping[str, float]]) -> None:
    lines = ["query\tproduct_id\tgrade"]
    for query, grades in qrels.items():
        clean = query.replace("\t", " ").replace("\n", " ")
        lines += [f"{clean}\t{product}\t{grade:g}" for product, grade in grades.items()]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
