"""The Assistant: one turn in → the dialogue state updated → a grounded reply out (zh/en), persisted per session.

Why a rule-driven dialogue manager over typed facts: every act here (ask, show, compare, answer,
policy, handover, not_carried) is decided from the state and the catalog, so the assistant never
asks what the shopper already said, never shows a product that breaks what they asked for, and
never states a number the shop did not give. Each turn makes at most one search (~tens of ms).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from daogou.assistant import answers as say
from daogou.assistant import cues
from daogou.assistant.answers import ProductRef, Reply
from daogou.assistant.attributes import AttributeSelector
from daogou.assistant.checker import check
from daogou.assistant.policy import PolicyIndex, Section
from daogou.assistant.state import DialogueState
from daogou.catalog.store import CatalogStore
from daogou.errors import BadQuery, DaogouError, UnknownProduct
from daogou.index.attributes import Selection
from daogou.index.engine_attributes import EngineSelection
from daogou.search.engine import Searcher
from daogou.understand.query import ParsedQuery

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Products listed per reply.
PAGE = 5
#: Ask only when the matching products are at least this many, and the second value holds this share.
ASK_MIN_PRODUCTS, ASK_MIN_SHARE = 8, 0.2
MAX_TURN_CHARS = 300
#: Colour and product words shoppers use that a catalog may lack: said and not understood → "not carried".
GENERIC_COLOURS = ("purple", "violet", "orange", "turquoise", "gold", "silver", "beige", "maroon", "olive", "teal", "lavender", "peach",
                   "mustard", "khaki", "cream", "navy", "pink", "green", "yellow", "brown", "grey", "gray", "red", "blue", "white", "black",
                   "紫色", "橙色", "金色", "银色", "米色", "酒红色", "卡其色", "青色", "粉色", "绿色", "黄色", "棕色", "灰色", "红色", "蓝色", "白色", "黑色")
GENERIC_TYPES = ("laptop", "phone", "smartphone", "tv", "television", "sofa", "fridge", "refrigerator", "guitar", "bicycle", "bike", "camera",
                 "tablet", "microwave", "mattress", "drone", "printer", "headphones", "lipstick", "perfume", "umbrella", "saree", "tuxedo",
                 "电脑", "笔记本电脑", "手机", "电视", "沙发", "冰箱", "吉他", "自行车", "相机", "平板", "微波炉", "床垫", "无人机", "打印机",
                 "耳机", "口红", "香水", "雨伞", "旗袍", "燕尾服")
MATERIAL_WORDS = ("cotton", "leather", "polyester", "wool", "linen", "silk", "denim", "nylon", "viscose", "rayon", "canvas", "suede", "spandex")


@dataclass
class Services:
    """What the assistant needs from the rest of the shop (wired by Shop; nothing reaches into internals)."""

    searcher: Callable[[], Searcher]
    store: CatalogStore
    review_summary: Callable[[str], object]


class Assistant:
    """The shopping guide and customer-service agent of one shop."""

    def __init__(self, services: Services, policy: PolicyIndex | None = None, rewrite: Callable[[Reply], str | None] | None = None) -> None:
        self.services = services
        self.policy = policy
        self.rewrite = rewrite

    # -- public ---------------------------------------------------------------------------------------

    def turn(self, text: str | None, session_id: str | None = None, image: bytes | None = None, language: str | None = None) -> Reply:
        """One user turn; the session is loaded from and saved to the store."""
        started = time.perf_counter()
        text = (text or "").strip()
        if not text and image is None:
            raise BadQuery("say something, or send a photo")
        if len(text) > MAX_TURN_CHARS:
            raise BadQuery(f"a turn is at most {MAX_TURN_CHARS} characters")
        if language not in (None, "zh", "en"):
            raise BadQuery("language must be 'zh' or 'en'")
        if session_id is not None and not _SESSION.match(session_id):
            raise BadQuery("session_id: 1–64 letters, digits, '-' or '_'")
        session_id = session_id or uuid.uuid4().hex[:16]
        state, transcript = self._load(session_id)
        state.language = language or _language(text, state.language)
        state.turns += 1
        reply = self._decide(text, image, state, session_id)
        reply.state = state.to_dict()
        problems = self.check(reply)
        if problems:  # a builder bug must never reach a shopper: say so plainly and hand over
            reply = self._handover(state, session_id, "asked")
            reply.reply += " (internal check failed)" if state.language == "en" else "（内部校验未通过）"
            reply.facts["violations"] = problems  # counted by the evaluators: the gate caught it, the builder was wrong
        elif self.rewrite is not None:
            reworded = self.rewrite(reply)
            if reworded and not self.check(reply, reworded) and _negations_kept(reply.reply, reworded):
                reply.reply = reworded
        reply.took_ms = round((time.perf_counter() - started) * 1000, 1)
        transcript.append({"user": text, "image": image is not None, "reply": reply.reply, "act": reply.act})
        self.services.store.save_session(session_id, json.dumps(state.to_dict(), ensure_ascii=False), json.dumps(transcript[-100:], ensure_ascii=False))
        return reply

    def check(self, reply: Reply, text: str | None = None) -> list[str]:
        """Grounding violations of a reply (see checker.py)."""
        return check(reply, self.services.store.get_many, self._section_text, text)

    def session(self, session_id: str) -> dict[str, object]:
        """The stored state and transcript of a session (for a person taking over)."""
        found = self.services.store.load_session(session_id) if _SESSION.match(session_id or "") else None
        if found is None:
            raise UnknownProduct(f"no session {session_id!r}")
        return {"session_id": session_id, "state": json.loads(found[0]), "transcript": json.loads(found[1])}

    # -- the dialogue manager ---------------------------------------------------------------------------

    def _decide(self, text: str, image: bytes | None, state: DialogueState, sid: str) -> Reply:
        lower = text.lower()
        lang = state.language
        if cues.has(lower, cues.HANDOVER):
            return self._handover(state, sid, "asked")
        if cues.has(lower, cues.ANGER):
            return self._handover(state, sid, "complaint")
        if cues.has(lower, cues.ORDER_SPECIFIC):
            return self._handover(state, sid, "order")
        searcher = self.services.searcher()
        parsed = searcher.parse(text) if text else None
        has_slots = bool(parsed and (parsed.slots or parsed.price_min is not None or parsed.price_max is not None))
        asking = parsed is not None and parsed.intent in ("service", "question")
        if image is None and cues.has(lower, cues.POLICY) and (not has_slots or asking):
            return self._policy(text, state, sid)
        if image is not None:
            return self._photo(text, image, parsed, state, sid)
        positions = cues.ordinals(lower)
        if cues.has(lower, cues.COMPARE) and state.shown:
            return self._compare(positions, state, sid)
        if cues.has(lower, cues.MORE_LIKE) and positions and state.shown:
            return self._more_like(positions[0], state, sid)
        question = self._product_question(lower, parsed, positions, state, sid)
        if question is not None:
            return question
        if cues.has(lower, cues.SUPERLATIVE_MIN) or cues.has(lower, cues.SUPERLATIVE_MAX):
            if parsed is not None and not any(ch.isdigit() for ch in parsed.price_text):
                parsed.price_min = parsed.price_max = None  # "most expensive" is the question, not a price band
            self._apply(parsed, state, lower)
            return self._superlative(cues.has(lower, cues.SUPERLATIVE_MAX), state, sid)
        if not has_slots and state.pending and cues.has(lower, cues.EITHER):
            state.open_fields.append(state.pending)
            state.pending = None
            return self._search(state, sid)
        if not has_slots and cues.has(lower, cues.MORE) and state.shown:
            return self._search(state, sid, offset=len(state.shown))
        absent = self._absent(lower, parsed)
        if absent:
            return self._reply(state, sid, say.not_carried(absent, lang), "not_carried")
        cheaper, pricier = cues.has(lower, cues.CHEAPER), cues.has(lower, cues.PRICIER)
        if not has_slots and not (cheaper or pricier) and not parsed_words(parsed):
            if cues.has(lower, cues.GREETING) or cues.has(lower, cues.THANKS) or not state.has_need():
                return self._reply(state, sid, say.greeting(lang), "answer")
        if cues.has(lower, cues.RESET):
            state.new_need()
            state.filters = {}
        self._apply(parsed, state, lower)
        if cheaper or pricier:
            self._shift_price(state, cheaper)
        return self._search(state, sid)

    # -- state updates ------------------------------------------------------------------------------------

    def _apply(self, parsed: ParsedQuery | None, state: DialogueState, lower: str) -> None:
        """Fold one turn's slots into the state: a new product type starts a new need; others replace or exclude."""
        if parsed is None:
            return
        new_type = next((s for s in parsed.slots if s.field == "type" and not s.negated), None)
        if new_type is not None and "type" in state.filters and not set(new_type.values) <= set(state.filters["type"]):
            state.new_need()  # another kind of product; narrowing "shoes" to "casual shoes" keeps the rest
        for slot in parsed.slots:
            if slot.soft:
                continue
            if slot.negated:
                state.exclude(slot.field, slot.values)
            else:
                state.set_values(slot.field, slot.values)
        if parsed.price_min is not None or parsed.price_max is not None:
            state.price_min, state.price_max = parsed.price_min, parsed.price_max
        words = parsed_words(parsed)
        if words and not parsed.slots:
            state.words = words
        if state.pending and state.pending in state.filters:
            state.pending = None

    def _shift_price(self, state: DialogueState, cheaper: bool) -> None:
        prices = [p.price for p in self.services.store.get_many(state.shown, replica=True).values() if p.price is not None]
        if not prices:
            return
        if cheaper:
            state.price_max = round(min(prices) - 0.01, 2)
            if state.price_min is not None and state.price_min > state.price_max:
                state.price_min = None
        else:
            state.price_min = round(max(prices) + 0.01, 2)
            if state.price_max is not None and state.price_max < state.price_min:
                state.price_max = None

    # -- acts ----------------------------------------------------------------------------------------------

    def _matching(self, state: DialogueState) -> Selection | EngineSelection:
        """The products meeting the state (the whole catalog when nothing is set), as the attribute index selects them:
        counted, tested and faceted without listing them (an engine-held index never sends the ids)."""
        attributes = self.services.searcher().attributes
        known = {k: v for k, v in state.filters.items() if k in attributes.values}
        excluded = {k: v for k, v in state.exclusions.items() if k in attributes.values}
        return attributes.matching(known, excluded, state.price_min, state.price_max)

    def _search(self, state: DialogueState, sid: str, offset: int = 0) -> Reply:
        lang = state.language
        if not state.has_need():
            return self._reply(state, sid, say.greeting(lang), "answer")
        matching = self._matching(state)
        if not matching:
            if state.price_min is not None or state.price_max is not None:
                without_price = DialogueState.from_dict({**state.to_dict(), "price_min": None, "price_max": None})
                if self._matching(without_price):
                    state.shown = []
                    return self._reply(state, sid, say.none_in_range(state.price_min, state.price_max, lang), "not_carried",
                                       numbers=[v for v in state.price_range if v is not None])
            state.shown = []
            return self._reply(state, sid, say.not_carried(self._describe(state), lang), "not_carried")
        question = self._clarify(state, matching)
        if question is not None:
            return question(sid)
        searcher = self.services.searcher()
        result = searcher.search(
            text=self._query_text(state), k=min(200, offset + PAGE), filters=dict(state.filters), understand=False,
            exclude=dict(state.exclusions), price_range=(state.price_min, state.price_max),
        )
        passing = set(matching.keep(h.id for h in result.hits if not h.close_match))
        hits = [h for h in result.hits if h.id in passing][offset : offset + PAGE]
        if not hits:
            return self._reply(state, sid, "没有更多了。" if lang == "zh" else "That's all I have for this.", "answer")
        products = self._refs([h.id for h in hits])
        state.shown = [p.id for p in products]
        state.focus = None
        text = say.show(products, lang, len(matching), self._describe(state))
        return self._reply(state, sid, text, "show", products=products, numbers=[len(matching), len(products)])

    def _clarify(self, state: DialogueState, matching: Selection | EngineSelection):  # type: ignore[no-untyped-def]
        """A question only when the matching products split on a field the shopper has not given (≤ 2 per need)."""
        if len(matching) < ASK_MIN_PRODUCTS or "type" not in state.filters:
            return None
        attributes = self.services.searcher().attributes
        for field_name in ("gender", "type"):
            if field_name == "type":
                if len(state.filters["type"]) < 2 or "type" in state.asked or "type" in state.open_fields or len(state.asked) >= 2:
                    continue
            elif not state.can_ask(field_name):
                continue
            counts = attributes.facets(matching, [field_name]).get(field_name, {})
            ranked = sorted(counts.items(), key=lambda kv: -kv[1])
            if len(ranked) >= 2 and ranked[1][1] / max(1, len(matching)) >= ASK_MIN_SHARE:
                options = [v for v, n in ranked if n / len(matching) >= 0.05][:5]
                state.asked.append(field_name)
                state.pending = field_name
                return lambda sid: self._reply(state, sid, say.ask(field_name, options, state.language), "ask")
        return None

    def _photo(self, text: str, image: bytes, parsed: ParsedQuery | None, state: DialogueState, sid: str) -> Reply:
        """A photo works like a photo search plus the words: a new need whose type and gender the photo decides."""
        state.new_need()
        state.filters.pop("gender", None)
        self._apply(parsed, state, text.lower())
        searcher = self.services.searcher()
        result = searcher.search(text=text or None, image=image, k=PAGE, filters=dict(state.filters), understand=bool(text),
                                 exclude=dict(state.exclusions), price_range=(state.price_min, state.price_max))
        for name, values in result.filters.items():
            state.filters[name] = list(values)
        for name, values in result.exclusions.items():
            state.exclude(name, list(values))
        if result.price_range and (result.price_range[0] is not None or result.price_range[1] is not None):
            state.price_min, state.price_max = result.price_range
        matching = self._matching(state)
        passing = set(matching.keep(h.id for h in result.hits if not h.close_match))
        hits = [h for h in result.hits if h.id in passing]
        if not hits:
            return self._reply(state, sid, say.not_carried(self._describe(state), state.language), "not_carried")
        products = self._refs([h.id for h in hits])
        state.shown = [p.id for p in products]
        text_out = say.show(products, state.language, len(matching), self._describe(state))
        return self._reply(state, sid, text_out, "show", products=products, numbers=[len(matching), len(products)])

    def _superlative(self, most_expensive: bool, state: DialogueState, sid: str) -> Reply:
        """"Most expensive" / "最便宜的" over every product that meets the state — the whole catalog when nothing is set."""
        ordered, priced = self.services.searcher().attributes.extremes(self._matching(state), 3, most_expensive)
        if not priced:
            return self._reply(state, sid, say.not_carried(self._describe(state), state.language), "not_carried")
        products = self._refs(ordered)
        state.shown = [p.id for p in products]
        label = ("最贵的" if most_expensive else "最便宜的") if state.language == "zh" else ("most expensive" if most_expensive else "cheapest")
        if state.language == "zh":
            text = f"在符合条件的 {priced} 件商品中，{label}是：" + "；".join(f"{i}. {p.title} ({say.money(p.price, p.currency)})" for i, p in enumerate(products, 1)) + "。"
        else:
            text = f"Of the {priced} matching products, the {label}: " + "; ".join(f"{i}. {p.title} ({say.money(p.price, p.currency)})" for i, p in enumerate(products, 1)) + "."
        return self._reply(state, sid, text, "show", products=products, numbers=[priced])

    def _compare(self, positions: list[int], state: DialogueState, sid: str) -> Reply:
        chosen = self._pick(positions or [0, 1, 2], state)
        if len(chosen) < 2:
            text = "请告诉我要比较哪几件（比如“比较第一个和第三个”）。" if state.language == "zh" else "Which ones should I compare (e.g. \"compare the first and the third\")?"
            return self._reply(state, sid, text, "ask")
        products = self._refs(chosen)
        rows: list[dict[str, object]] = []
        numbers: list[float] = []
        for p in products:
            row: dict[str, object] = {"id": p.id, "title": p.title, "price": p.price,
                                      "attributes": {k: v for k, v in p.attributes.items() if k in ("type", "colour", "gender", "brand", "usage") and v}}
            try:
                summary = self.services.review_summary(p.id)
                row["reviews"] = {"reviews": summary.reviews, "positive": summary.positive}  # type: ignore[attr-defined]
                numbers += [summary.reviews, summary.positive]  # type: ignore[attr-defined]
            except UnknownProduct:
                row["reviews"] = None
            rows.append(row)
        cheapest = min((p for p in products if p.price is not None), key=lambda p: p.price, default=products[0])  # type: ignore[arg-type,return-value]
        state.focus = None
        reply = self._reply(state, sid, say.compare_text(rows, state.language, cheapest), "compare", numbers=numbers)
        reply.table = rows
        return reply

    def _more_like(self, position: int, state: DialogueState, sid: str) -> Reply:
        chosen = self._pick([position], state)
        if not chosen:
            return self._reply(state, sid, "我没找到您说的那一件。" if state.language == "zh" else "I couldn't tell which product you mean.", "ask")
        searcher = self.services.searcher()
        matching = self._matching(DialogueState(exclusions=state.exclusions, price_min=state.price_min, price_max=state.price_max))
        similar = [h.id for h in searcher.similar(chosen[0], 30) if h.id in matching and h.id not in state.shown][:PAGE]
        if not similar:
            return self._reply(state, sid, "没有更多相似的了。" if state.language == "zh" else "I have nothing else like that.", "answer")
        base = self._refs(chosen)[0]
        state.filters = {k: v for k, v in state.filters.items() if k in ("gender",)}
        state.filters = {k: v for k, v in state.filters.items() if all(self._attr(pid, k) in v for pid in similar)}
        products = self._refs(similar)
        state.shown = [p.id for p in products]
        if state.language == "zh":
            text = f"和「{base.title}」相似的：" + "；".join(f"{i}. {p.title} ({say.money(p.price, p.currency)})" for i, p in enumerate(products, 1)) + "。"
        else:
            text = f"More like \"{base.title}\": " + "; ".join(f"{i}. {p.title} ({say.money(p.price, p.currency)})" for i, p in enumerate(products, 1)) + "."
        reply = self._reply(state, sid, text, "show", products=products)
        reply.facts["quoted_titles"] = [base.title]
        return reply

    def _product_question(self, lower: str, parsed: ParsedQuery | None, positions: list[int], state: DialogueState, sid: str) -> Reply | None:
        """Questions about one product: material, fit, size, reviews, price, other colours."""
        kinds = [("material", cues.MATERIAL), ("fit", cues.FIT), ("reviews", cues.REVIEWS), ("price", cues.PRICE_Q)]
        kind = next((name for name, words in kinds if cues.has(lower, words)), None)
        size = cues.size_asked(lower) if kind is None else None
        availability = cues.has(lower, cues.AVAILABILITY) and parsed is not None and any(s.field == "colour" for s in parsed.slots)
        if availability and state.has_need():
            colour = next(s for s in parsed.slots if s.field == "colour")  # type: ignore[union-attr]
            trial = DialogueState.from_dict(state.to_dict())
            trial.set_values("colour", colour.values)
            if not self._matching(trial):
                return self._reply(state, sid, say.not_carried(f"{colour.text} {self._describe(state)}".strip(), state.language), "not_carried")
            state.set_values("colour", colour.values)
            return self._search(state, sid)
        if kind is None and size is None:
            about_one = bool(positions or state.focus or cues.has(lower, cues.IT))
            if parsed is not None and parsed.intent == "question" and about_one and state.shown:
                return self._attribute_answer(lower, positions, state, sid)
            return None
        if kind == "price" and not (positions or state.focus or state.shown):
            return None
        target = self._pick(positions, state) if positions else ([state.focus] if state.focus else state.shown[:1])
        if not target:
            text = "您问的是哪一件商品？先搜一下，或告诉我第几个。" if state.language == "zh" else "Which product do you mean? Search first, or tell me which one (\"the second\")."
            return self._reply(state, sid, text, "ask")
        product = self.services.store.get_many(target[:1], replica=True).get(target[0])
        if product is None:
            return self._reply(state, sid, say.not_carried(target[0], state.language), "not_carried")
        state.focus = product.id
        item = say.ref(product)
        lang = state.language
        if kind == "price":
            text = f"「{product.title}」的价格是 {say.money(product.price, product.currency)}。" if lang == "zh" else f"\"{product.title}\" costs {say.money(product.price, product.currency)}."
            return self._reply(state, sid, text, "answer", products=[item])
        if kind == "material":
            value = next((v for k, v in product.attributes.items() if k.lower() in ("material", "fabric", "composition") and v), None)
            if value is None:
                found = [w for w in MATERIAL_WORDS if re.search(rf"\b{w}\b", f"{product.title} {product.description}".lower())]
                value = ", ".join(found) if found else None
            if value is None:
                return self._reply(state, sid, say.not_listed("材质" if lang == "zh" else "material", product.title, lang), "answer", products=[item], offer=True)
            text = f"「{product.title}」的材质：{value}（来自商品资料）。" if lang == "zh" else f"\"{product.title}\" is listed as: {value}."
            return self._reply(state, sid, text, "answer", products=[item])
        if kind in ("fit", "reviews"):
            try:
                summary = self.services.review_summary(product.id)
            except UnknownProduct:
                what = ("尺码评价" if kind == "fit" else "评价") if lang == "zh" else ("fit (no reviews yet)" if kind == "fit" else "reviews (none yet)")
                return self._reply(state, sid, say.not_listed(what, product.title, lang), "answer", products=[item], offer=True)
            numbers = [summary.reviews, summary.positive, summary.negative]  # type: ignore[attr-defined]
            numbers += [n for a in summary.aspects for n in (a.reviews, a.positive, a.negative)]  # type: ignore[attr-defined]
            if kind == "fit":
                fit = summary.fit  # type: ignore[attr-defined]
                numbers += [float(n) for n in re.findall(r"\d+", fit or "")]
                if not fit:
                    return self._reply(state, sid, say.not_listed("尺码反馈" if lang == "zh" else "fit", product.title, lang), "answer", products=[item], offer=True)
                text = f"根据评价：{fit}（共 {summary.reviews} 条评价）。" if lang == "zh" else f"From the reviews: {fit} ({summary.reviews} reviews in all)."  # type: ignore[attr-defined]
            else:
                text = (f"「{product.title}」共 {summary.reviews} 条评价，{summary.positive} 条好评。" if lang == "zh"  # type: ignore[attr-defined]
                        else f"\"{product.title}\": {summary.positive} of {summary.reviews} reviews are positive. {summary.headline()}.")  # type: ignore[attr-defined]
            return self._reply(state, sid, text, "answer", products=[item], numbers=numbers)
        # a size question
        sizes = next((v for k, v in product.attributes.items() if k.lower() in ("size", "sizes") and v), None)
        asked = [float(size)] if str(size).replace(".", "", 1).isdigit() else []  # the shopper's own number, echoed
        if sizes is None:
            return self._reply(state, sid, say.not_listed(f"{size} 码库存" if lang == "zh" else f"size {size} availability", product.title, lang),
                               "answer", products=[item], offer=True, numbers=asked)
        listed = [s.strip().upper() for s in re.split(r"[,/;| ]+", sizes) if s.strip()]
        sizes = ", ".join(listed)  # "36, 37, 38": each size a number of its own, never one long figure
        numbers = [float(s) for s in listed if re.fullmatch(r"\d+(?:\.\d+)?", s)]
        if str(size) in listed:
            text = f"有的，「{product.title}」有 {size} 码（在售尺码：{sizes}）。" if lang == "zh" else f"Yes, \"{product.title}\" comes in size {size} (listed sizes: {sizes})."
        else:
            text = f"「{product.title}」没有 {size} 码，在售尺码：{sizes}。" if lang == "zh" else f"\"{product.title}\" is not listed in size {size}; listed sizes: {sizes}."
        numbers += asked
        return self._reply(state, sid, text, "answer", products=[item], numbers=numbers)

    def _attribute_answer(self, question: str, positions: list[int], state: DialogueState, sid: str) -> Reply:
        """Any other question about one product: the listed attribute that answers it, or "not listed"."""
        target = self._pick(positions, state) if positions else ([state.focus] if state.focus else state.shown[:1])
        product = self.services.store.get_many(target[:1], replica=True).get(target[0]) if target else None
        if product is None:
            return self._reply(state, sid, "您问的是哪一件？" if state.language == "zh" else "Which product do you mean?", "ask")
        state.focus = product.id
        item = say.ref(product)
        listed = [(name, value) for name, value in product.attributes.items() if value]
        if product.brand:
            listed.append(("brand", product.brand))
        selector = AttributeSelector(self.services.searcher().text_encoder)
        best = selector.best(question, [f"{name}: {value}" for name, value in listed])
        if best is None:
            return self._reply(state, sid, say.not_listed("", product.title, state.language), "answer", products=[item], offer=True)
        name, value = listed[best[0]]
        text = f"「{product.title}」的{name}：{value}（商品资料）。" if state.language == "zh" else f"\"{product.title}\" lists {name}: {value}."
        reply = self._reply(state, sid, text, "answer", products=[item])
        reply.facts["quoted_titles"] = [value]
        return reply

    def _policy(self, text: str, state: DialogueState, sid: str) -> Reply:
        found = self.policy.answer(text, state.language) if self.policy is not None else None
        if found is None:
            return self._handover(state, sid, "policy_unknown")
        section = found.section
        reply = self._reply(state, sid, say.policy_text(found.sentences, section.heading, section.doc, state.language), "policy")
        reply.citations = [{"doc": section.doc, "section": section.heading}]
        reply.facts["quoted"] = list(found.sentences)
        reply.facts["score"] = round(found.score, 4)
        return reply

    def _handover(self, state: DialogueState, sid: str, reason: str) -> Reply:
        state.handover = True
        reply = self._reply(state, sid, say.handover_text(reason, state.language), "handover")
        reply.handover = {"active": True, "reason": reason}
        return reply

    # -- helpers ---------------------------------------------------------------------------------------

    def _reply(self, state: DialogueState, sid: str, text: str, act: str, products: list[ProductRef] | None = None,
               numbers: list[float] | None = None, offer: bool = False) -> Reply:
        reply = Reply(session_id=sid, reply=text, language=state.language, act=act, state={}, products=products or [])
        reply.facts["numbers"] = list(numbers or [])
        reply.facts["predicted"] = self._predicted([p.id for p in reply.products])
        if offer:
            reply.handover = {"active": False, "reason": None, "offered": True}
        return reply

    def _predicted(self, ids: list[str]) -> dict[str, dict[str, str]]:
        predicted = self.services.searcher().predicted
        return {pid: {name: str(table[pid][0]) for name, table in predicted.items() if pid in table} for pid in ids}

    def _refs(self, ids: list[str]) -> list[ProductRef]:
        found = self.services.store.get_many(ids, replica=True)
        return [say.ref(found[i]) for i in ids if i in found]

    def _pick(self, positions: list[int], state: DialogueState) -> list[str]:
        out = []
        for position in positions:
            if -len(state.shown) <= position < len(state.shown):
                pid = state.shown[position]
                if pid not in out:
                    out.append(pid)
        return out

    def _attr(self, pid: str, name: str) -> str | None:
        return self.services.searcher().attributes.value_of(pid, name)

    def _query_text(self, state: DialogueState) -> str:
        parts = [v for name in ("colour", "gender", "type", "brand") for v in state.filters.get(name, [])[:3]]
        if state.words:
            parts.append(state.words)
        return " ".join(parts) or "products"

    def _describe(self, state: DialogueState) -> str:
        """What is being looked for, in the reply's language, from the state's own values."""
        zh = state.language == "zh"
        parts = []
        for name in ("colour", "gender", "brand", "type"):
            values = state.filters.get(name, [])
            if values:
                shown = "/".join(say.zh_value(v) if zh else v for v in values[:3])
                parts.append(shown)
        for name, values in state.exclusions.items():
            parts.append(("不要" if zh else "not ") + "/".join(say.zh_value(v) if zh else v for v in values[:3]))
        if state.words:
            parts.append(state.words)
        if not parts:
            return "商品" if zh else "products"
        return "".join(parts) if zh else " ".join(parts)

    def _absent(self, lower: str, parsed: ParsedQuery | None) -> str | None:
        """A colour or product word the shopper said that this catalog has no value for."""
        fields = {s.field for s in (parsed.slots if parsed else [])}
        surfaces = " ".join(s.text for s in (parsed.slots if parsed else []))
        if "colour" not in fields:
            colour = next((w for w in GENERIC_COLOURS if _said(w, lower) and w not in surfaces), None)
            if colour:
                return colour
        if "type" not in fields:
            kind = next((w for w in GENERIC_TYPES if _said(w, lower) and w not in surfaces), None)
            if kind:
                return kind
        return None

    def _section_text(self, doc: str, heading: str) -> str | None:
        if self.policy is None:
            return None
        return next((f"{s.heading}\n{s.text}" for s in self.policy.sections if s.doc == doc and s.heading == heading), None)

    def _load(self, session_id: str) -> tuple[DialogueState, list[dict[str, object]]]:
        found = self.services.store.load_session(session_id)
        if found is None:
            return DialogueState(), []
        try:
            return DialogueState.from_dict(json.loads(found[0])), json.loads(found[1])
        except (ValueError, TypeError) as exc:
            raise DaogouError(f"session {session_id!r} is damaged; start a new one") from exc


def parsed_words(parsed: ParsedQuery | None) -> str:
    """Content words of a turn that are not slots ("running", "party"), for ranking."""
    if parsed is None or _CJK.search(parsed.text):
        return ""
    taken = " ".join(s.text for s in parsed.slots).split()
    stop = {"i", "want", "a", "an", "the", "some", "for", "me", "show", "find", "looking", "need", "please", "buy", "to", "with", "in", "and",
            "or", "of", "something", "anything", "like", "would", "can", "you", "do", "have", "any", "is", "there", "are", "what", "about",
            "ok", "okay", "yes", "no", "now", "instead", "one", "ones", "them", "those", "these", "it", "get", "under", "over", "below", "above",
            "cheaper", "expensive", "more", "less", "similar", "compare", "other", "others", "another", "different", "show", "see", "want",
            "cheapest", "most", "least", "price", "prices", "hello", "thanks", "thank", "hi", "hey", "please", "just", "only", "also", "but"}
    words = [w for w in re.findall(r"[a-z]+", parsed.text.lower()) if w not in stop and w not in taken and len(w) > 2]
    return " ".join(words[:4])


def _said(word: str, lower: str) -> bool:
    if _CJK.search(word):
        return word in lower
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lower) is not None


def _language(text: str, previous: str) -> str:
    if _CJK.search(text):
        return "zh"
    if _LATIN.search(text):
        return "en"
    return previous


def _negations_kept(original: str, reworded: str) -> bool:
    """A rewording must keep every negation ("not", "no", "没有", "不") the template said."""
    for word in ("not", "no", "don't", "won't", "没有", "不", "无"):
        if (word in original.lower()) != (word in reworded.lower()):
            return False
    return True


def sections_from_store(rows: list[tuple[str, str, str]]) -> list[Section]:
    return [Section(doc, heading, text) for doc, heading, text in rows]
