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
            problems = check(reply) + list(reply.facts.get("violations", []))  # type: ignore[attr-defined]
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


#: Turn templates for generated dialogues; {type} {colour} {gender} {brand} {low} {high} are filled from the shop.
GENERATED_TURNS = {
    "en": ["{colour} {type} for {gender}", "I want {type}", "{type} under {high}", "{type} between {low} and {high}", "not {brand}",
           "something cheaper", "more expensive ones", "in {colour}", "compare the first and the third", "compare the 7th and the 9th",
           "show me more like the second one", "what is the most expensive {type}?", "cheapest {type}", "does it run small?",
           "what is it made of?", "do you have the first one in size 42?", "how much is the fifth one?", "is there a warranty?",
           "what is your return policy?", "show more", "either", "purple {type}", "I want a laptop", "$5 to $10 {type}",
           "the fourth one please", "human please", "{brand} {type}", "for {gender}", "how are the reviews of the second one?"],
    "zh": ["{colour_zh}{gender_zh}{type_zh}", "我想买{type_zh}", "{high}元以内的{type_zh}", "{low}到{high}元的{type_zh}", "不要{brand}的",
           "便宜点的", "贵一点的", "换成{colour_zh}", "比较一下第一个和第三个", "比较第七个和第九个", "再看看和第二个类似的",
           "最贵的{type_zh}", "最便宜的{type_zh}", "这个偏小吗？", "第一个是什么材质？", "有42码吗", "第五个多少钱？", "保修多久？",
           "退货政策是什么？", "更多", "都可以", "紫色的{type_zh}", "我想买冰箱", "5到10元的{type_zh}", "要第四个", "转人工", "{brand}{type_zh}",
           "{gender_zh}的", "第二个评价怎么样？"],
}


def generate_dialogues(values: dict[str, list[str]], prices: list[float], n: int, seed: int = 7) -> list[list[str]]:
    """`n` seeded random dialogues of 3–8 turns mixing searches, refinements, references (also to products never
    shown), superlatives, impossible ranges, absent colours and types, sizes, policy questions and handovers."""
    from daogou.understand.names import zh_value

    rng = random.Random(seed)
    low_high = sorted(prices) or [100.0, 1000.0]
    dialogues = []
    for _ in range(n):
        lang = rng.choice(["en", "zh"])
        turns = []
        for _ in range(rng.randint(3, 8)):
            pick = {name: rng.choice(values.get(name) or ["shoes"]) for name in ("type", "colour", "gender", "brand")}
            q1, q2 = sorted(rng.sample(low_high, 2)) if len(low_high) > 1 else (low_high[0], low_high[0])
            fill = {**{k: v.lower() for k, v in pick.items()}, "low": int(q1), "high": int(q2),
                    **{f"{k}_zh": zh_value(v) for k, v in pick.items()}}
            turns.append(rng.choice(GENERATED_TURNS[lang]).format(**fill))
        dialogues.append(turns)
    return dialogues


def run_generated(chat: Callable[..., object], check: Callable[[object], list[str]], dialogues: list[list[str]]) -> dict[str, object]:
    """Play generated dialogues; every reply goes through the grounding checker. Errors a shopper would see count too."""
    from daogou.errors import DaogouError

    replies = violations = refused = 0
    acts: dict[str, int] = {}
    samples: list[str] = []
    for turns in dialogues:
        session = None
        for text in turns:
            try:
                reply = chat(text, session_id=session)
            except DaogouError as exc:  # a clear refusal (e.g. an over-long turn) is allowed, a crash is not
                refused += 1
                samples.append(f"refused {text!r}: {exc}")
                continue
            session = reply.session_id  # type: ignore[attr-defined]
            replies += 1
            acts[reply.act] = acts.get(reply.act, 0) + 1  # type: ignore[attr-defined]
            problems = check(reply) + list(reply.facts.get("violations", []))  # type: ignore[attr-defined]
            violations += len(problems)
            if problems and len(samples) < 20:
                samples.append(f"{text!r}: {problems[0]}")
    return {"dialogues": len(dialogues), "replies": replies, "refused": refused, "violations": violations, "acts": acts, "samples": samples}
