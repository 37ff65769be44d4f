"""Judging the assistant: scripted dialogues (state and act per turn), policy questions (cited section), grounding.

Why scripted and deterministic: an assistant that answers from typed facts can be graded exactly, turn
by turn, in both languages: joint goal accuracy (the whole state right), act accuracy, needless
questions (asked when the script expected none — must be 0) and task success (every act right and
the final state right). Policy answers are graded by the section they cite (Hit@1), unanswerable
questions by handover; the floor is chosen on a seeded development half, reported on the other half.
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Policy topics of the demo shop's documents → the section heading in each language.
POLICY_TOPICS = {
    "delivery": ("Shipping > Delivery times", "配送 > 发货时间"),
    "fees": ("Shipping > Shipping fees", "配送 > 运费"),
    "intl": ("Shipping > International shipping", "配送 > 海外配送"),
    "window": ("Returns > Return window", "退货 > 退货期限"),
    "nonreturnable": ("Returns > Items that cannot be returned", "退货 > 不支持退货的商品"),
    "howreturn": ("Returns > How to return", "退货 > 退货流程"),
    "exchange": ("Exchanges", "换货"),
    "refundtime": ("Refunds > Refund timing", "退款 > 退款时效"),
    "refundmethod": ("Refunds > Refund method", "退款 > 退款方式"),
    "warranty": ("Warranty", "保修"),
    "invoice": ("Invoices", "发票"),
    "payment": ("Payment", "支付方式"),
    "cancel": ("Cancellations", "取消订单"),
    "coupon": ("Coupons", "优惠券"),
}


@dataclass
class Turn:
    text: str
    act: str
    state: str  # "*" (not checked) or "field=v1/v2, -field=v, price<, price>"


@dataclass
class Dialogue:
    name: str
    language: str
    turns: list[Turn] = field(default_factory=list)


def load_dialogues(path: Path) -> list[Dialogue]:
    """Dialogues in the plain format: '# name [zh|en]', then 'turn => act | state' lines."""
    out: list[Dialogue] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("#"):
            name = line.lstrip("#").strip()
            lang = "zh" if re.search(r"\[zh\]", name) else "en"
            out.append(Dialogue(name, lang))
            continue
        text, _, expected = line.partition("=>")
        act, _, state = expected.partition("|")
        out[-1].turns.append(Turn(text.strip(), act.strip(), state.strip() or "*"))
    return out


def state_matches(spec: str, state: dict[str, object]) -> bool:
    """Whether the reply's state equals the spec (filters and exclusions exactly; price bounds present or equal)."""
    if spec == "*":
        return True
    spec = "" if spec == "none" else spec
    want_filters: dict[str, set[str]] = {}
    want_excl: dict[str, set[str]] = {}
    price_checks: list[str] = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        if part.startswith("price"):
            price_checks.append(part[5:])
            continue
        name, _, values = part.partition("=")
        target = want_excl if name.startswith("-") else want_filters
        target[name.lstrip("-").strip()] = {v.strip() for v in values.split("/")}
    got_filters = {k: set(v) for k, v in (state.get("filters") or {}).items() if v}  # type: ignore[union-attr]
    got_excl = {k: set(v) for k, v in (state.get("exclusions") or {}).items() if v}  # type: ignore[union-attr]
    low, high = state.get("price_range") or [None, None]  # type: ignore[misc]
    if got_filters != want_filters or got_excl != want_excl:
        return False
    wants_low = any(c.startswith(">") for c in price_checks)
    wants_high = any(c.startswith("<") for c in price_checks)
    if (low is not None) != wants_low or (high is not None) != wants_high:
        return False
    for check in price_checks:
        number = check.lstrip("<>=")
        if number:
            bound = high if check.startswith("<") else low
            if bound is None or abs(float(bound) - float(number)) > 0.011:
                return False
    return True


def run_dialogues(chat: Callable[..., object], dialogues: list[Dialogue], check: Callable[[object], list[str]]) -> dict[str, object]:
    """Play every dialogue in a fresh session; returns the figures and the failures (for reading, not tuning)."""
    turns = joint = acts = needless = successes = violations = 0
    latencies: list[float] = []
    failures: list[str] = []
    for dialogue in dialogues:
        session = None
        ok = True
        last_state_ok = False
        for turn in dialogue.turns:
            reply = chat(turn.text, session_id=session)
            session = reply.session_id  # type: ignore[attr-defined]
            latencies.append(reply.took_ms)  # type: ignore[attr-defined]
            turns += 1
            act_ok = reply.act == turn.act  # type: ignore[attr-defined]
            state_ok = state_matches(turn.state, reply.state)  # type: ignore[attr-defined]
            acts += act_ok
            joint += state_ok
            needless += reply.act == "ask" and turn.act != "ask"  # type: ignore[attr-defined]
            problems = check(reply)
            violations += len(problems)
            last_state_ok = state_ok
            if not (act_ok and state_ok) or problems:
                ok = False
                failures.append(f"{dialogue.name} | {turn.text} → {reply.act} {_short(reply.state)} ; expected {turn.act} {turn.state} {problems[:1]}")  # type: ignore[attr-defined]
        successes += ok and last_state_ok
    return {
        "dialogues": len(dialogues), "turns": turns, "joint_goal_accuracy": round(joint / max(1, turns), 4),
        "act_accuracy": round(acts / max(1, turns), 4), "needless_questions": needless,
        "task_success": round(successes / max(1, len(dialogues)), 4), "grounding_violations": violations,
        "latency_ms": _latency(latencies), "failures": failures,
    }


def _short(state: dict[str, object]) -> str:
    return f"{state.get('filters')} -{state.get('exclusions')} {state.get('price_range')}"


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 1), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1), "n": len(ordered)}


def load_policy_questions(path: Path) -> list[tuple[str, str]]:
    rows = [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return [(topic.strip(), question.strip()) for topic, question in rows]


def split_questions(questions: list[tuple[str, str]], seed: int = 42) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A seeded half for choosing the floor and weights (dev) and a half for reporting (test)."""
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    return [questions[i] for i in sorted(order[:half])], [questions[i] for i in sorted(order[half:])]


def run_policy(chat: Callable[..., object], questions: list[tuple[str, str]]) -> dict[str, object]:
    """Each question as the first turn of a fresh session: Hit@1 of the cited section, handover on unanswerable."""
    hits = answerable = unanswerable = handed = wrong_handover = uncited = 0
    failures = []
    for topic, question in questions:
        reply = chat(question)
        cited = [c["section"] for c in reply.citations]  # type: ignore[attr-defined]
        if reply.act == "policy" and not cited:  # type: ignore[attr-defined]
            uncited += 1
        if topic == "-":
            unanswerable += 1
            handed += reply.act == "handover"  # type: ignore[attr-defined]
            if reply.act != "handover":  # type: ignore[attr-defined]
                failures.append(f"unanswerable answered: {question} → {cited}")
            continue
        answerable += 1
        good = reply.act == "policy" and bool(cited) and cited[0] in POLICY_TOPICS[topic]  # type: ignore[attr-defined]
        hits += good
        wrong_handover += reply.act == "handover"  # type: ignore[attr-defined]
        if not good:
            failures.append(f"{topic}: {question} → {reply.act} {cited}")  # type: ignore[attr-defined]
    handovers = handed + wrong_handover
    return {
        "questions": len(questions), "answerable": answerable, "unanswerable": unanswerable,
        "hit@1": round(hits / max(1, answerable), 4), "unanswerable_handover_rate": round(handed / max(1, unanswerable), 4),
        "handover_precision": round(handed / max(1, handovers), 4), "handover_recall": round(handed / max(1, unanswerable), 4),
        "answers_without_citation": uncited, "failures": failures,
    }


FIXTURE_COLUMNS = ("colour", "gender", "type", "material", "sizes", "usage")


def build_fixture_shop(path: Path, folder: Path, policies: Path):  # type: ignore[no-untyped-def]
    """The small assistant test shop: 41 products with prices, sizes and materials, 11 reviews, the demo policies."""
    from daogou.shop import Shop

    shop = Shop.init(path, exist_ok=True, workers=1)
    mapping = {"id": "id", "title": "title", "description": "description", "brand": "brand", "price": "price"}
    mapping.update({f"attr.{name}": name for name in FIXTURE_COLUMNS})
    shop.import_catalog(folder / "products.csv", mapping=mapping)
    shop.import_reviews(folder / "reviews.csv")
    shop.index(show_progress=False)
    for doc in sorted(policies.glob("*.md")):
        shop.import_docs(doc)
    return shop
