"""The grounding gate: every product, price, attribute, number and quoted policy sentence in a reply is checked
against the shop's own data. A reply with a violation is never sent (the service falls back to the template
reply, or, for the template itself, the tests fail).

Checked: product ids exist and titles and prices equal the catalog; shown products meet the state's
filters, exclusions and price range (no substitute dressed as a match); comparison cells equal the
catalog; every number in the text is a shown price, a list position, a count the builder recorded
as a fact, a number of the cited policy text or of the shopper's own price range; policy answers
carry a citation whose section holds every quoted sentence; "not carried" shows nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from daogou.assistant.answers import Reply
from daogou.catalog.schema import Product

_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[float]:
    out = []
    for raw in _NUMBER.findall(text):
        try:
            out.append(float(raw.replace(",", "")))
        except ValueError:
            continue
    return out


def check(
    reply: Reply,
    products_of: Callable[[Sequence[str]], dict[str, Product]],
    policy_text: Callable[[str, str], str | None],
    text: str | None = None,
) -> list[str]:
    """Violations of grounding in `reply` (or in `text`, a reworded version of it); empty when grounded."""
    problems: list[str] = []
    body = reply.reply if text is None else text
    ids = [p.id for p in reply.products] + [str(row.get("id")) for row in reply.table or []]
    catalog = products_of(ids)
    allowed: set[float] = set()
    for p in reply.products:
        item = catalog.get(p.id)
        if item is None:
            problems.append(f"product {p.id!r} is not in the catalog")
            continue
        if p.title != item.title:
            problems.append(f"product {p.id!r} title differs from the catalog")
        if p.price != item.price:
            problems.append(f"product {p.id!r} price {p.price} differs from the catalog {item.price}")
        if item.price is not None:
            allowed.add(round(float(item.price), 2))
    state = reply.state
    if reply.act == "show":
        problems += _constraint_problems(reply, catalog, state)
    for row in reply.table or []:
        item = catalog.get(str(row.get("id")))
        if item is None:
            problems.append(f"compared product {row.get('id')!r} is not in the catalog")
            continue
        if row.get("price") != item.price:
            problems.append(f"compared price of {item.id!r} differs from the catalog")
        for name, value in (row.get("attributes") or {}).items():  # type: ignore[union-attr]
            if value and item.attributes.get(name) != value:
                problems.append(f"compared {name} of {item.id!r} is {value!r}, the catalog says {item.attributes.get(name)!r}")
        if item.price is not None:
            allowed.add(round(float(item.price), 2))
    if reply.act == "not_carried" and reply.products:
        problems.append("a 'not carried' reply shows products")
    cited = ""
    for citation in reply.citations:
        section = policy_text(citation.get("doc", ""), citation.get("section", ""))
        if section is None:
            problems.append(f"citation {citation} names no section of the shop's documents")
        else:
            cited += "\n" + section
    if reply.act == "policy":
        if not reply.citations:
            problems.append("a policy answer without a citation")
        for sentence in reply.facts.get("quoted", []):  # type: ignore[union-attr]
            if sentence not in cited:
                problems.append(f"quoted sentence not in the cited section: {sentence[:60]!r}")
    allowed |= {round(n, 2) for n in _numbers(cited)}
    allowed |= {float(i) for i in range(1, len(reply.products) + len(reply.table or []) + 2)}
    for value in reply.facts.get("numbers", []):  # type: ignore[union-attr]
        allowed.add(round(float(value), 2))
    for bound in state.get("price_range", []) or []:  # type: ignore[union-attr]
        if bound is not None:
            allowed.add(round(float(bound), 2))  # type: ignore[arg-type]
    for value in _numbers(body):
        if round(value, 2) not in allowed and not _in_titles(value, reply):
            problems.append(f"number {value:g} in the reply is not backed by the shop's data")
    return problems


def _in_titles(value: float, reply: Reply) -> bool:
    """Numbers inside product titles or the shopper-visible attribute values are quoted, not claimed."""
    text = " ".join(p.title for p in reply.products) + " " + " ".join(str(row.get("title", "")) for row in reply.table or [])
    text += " " + " ".join(str(v) for v in reply.facts.get("quoted_titles", []))  # type: ignore[union-attr]
    return value in _numbers(text)


def _constraint_problems(reply: Reply, catalog: dict[str, Product], state: dict[str, object]) -> list[str]:
    problems = []
    filters: dict[str, list[str]] = state.get("filters") or {}  # type: ignore[assignment]
    exclusions: dict[str, list[str]] = state.get("exclusions") or {}  # type: ignore[assignment]
    low, high = (state.get("price_range") or [None, None])  # type: ignore[misc]
    predicted: dict[str, dict[str, str]] = reply.facts.get("predicted", {})  # type: ignore[assignment]
    for p in reply.products:
        item = catalog.get(p.id)
        if item is None:
            continue
        values = {k.lower(): v for k, v in item.attributes.items() if v}
        values.update({k: v for k, v in predicted.get(item.id, {}).items() if k not in values})
        if item.brand:
            values.setdefault("brand", item.brand)
        for name, accepted in filters.items():
            if values.get(name) not in accepted:
                problems.append(f"shown product {item.id!r} has {name}={values.get(name)!r}, the shopper asked for {accepted}")
        for name, refused in exclusions.items():
            if values.get(name) in refused:
                problems.append(f"shown product {item.id!r} has {name}={values.get(name)!r}, which the shopper excluded")
        if item.price is not None and ((low is not None and item.price < low) or (high is not None and item.price > high)):
            problems.append(f"shown product {item.id!r} costs {item.price}, outside {low}–{high}")
    return problems
