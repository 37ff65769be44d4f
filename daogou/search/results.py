"""Search results as plain dataclasses: stable JSON for scripts, and the explanation of every hit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from daogou.understand.lexicon import STOPWORDS
from daogou.understand.names import zh_value
from daogou.understand.vocabulary import normalise


@dataclass
class Signal:
    """One retriever's opinion of a hit: its rank there (1-based) and its raw score."""

    rank: int
    score: float


@dataclass
class Hit:
    """A product in a result list, with why it is there."""

    id: str
    title: str
    score: float
    price: float | None = None
    currency: str = ""
    image_path: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    #: retriever name ("bm25", "text_vector", "image_vector") → Signal
    signals: dict[str, Signal] = field(default_factory=dict)
    #: query words found in the product's text
    matched_words: list[str] = field(default_factory=list)
    #: filters this product satisfies, as "field=value"
    matched_slots: list[str] = field(default_factory=list)
    #: fields whose value was predicted from the photo (not in the catalog) → confidence
    predicted: dict[str, float] = field(default_factory=dict)
    #: set on close matches shown after the exact ones: the understood slots this product does not meet
    close_match: list[str] = field(default_factory=list)
    #: lower bound of the share of positive reviews (None: no reviews)
    review_quality: float | None = None
    #: matched fields whose value is only in the family of the one the shopper said ("pink" → Light Pink)
    family_slots: list[str] = field(default_factory=list)

    def explanation(self, lang: str = "en") -> str:
        """Why this product, in the shopper's words and language: "Black · Men · Sports Shoes · looks like your photo".

        Only what the shopper asked for and the product has (its own values, translated), a family match said as
        such, a predicted value said as predicted, and a photo likeness; ranks and scores are for `debug` only.
        """
        words = SHOPPER_WORDING.get(lang, SHOPPER_WORDING["en"])
        parts = []
        if self.close_match:
            parts.append(words["close"].format(fields="、".join(words.get(f, f) for f in self.close_match) if lang == "zh" else ", ".join(self.close_match)))
        matched = dict(slot.split("=", 1) for slot in self.matched_slots)
        for name in sorted(matched, key=lambda n: SLOT_ORDER.index(n) if n in SLOT_ORDER else len(SLOT_ORDER)):
            value = zh_value(matched[name]) if lang == "zh" else matched[name]
            if name in self.predicted:
                value = words["predicted"].format(value=value)
            elif name in self.family_slots:
                value = words["family"].format(value=value)
            parts.append(value)
        photo = self.signals.get("image_vector")
        if photo is not None and photo.rank <= 10:
            parts.append(words["photo"])
        named = {w for value in matched.values() for w in normalise(value).split()}
        extra = [w for w in self.matched_words if normalise(w) not in named and w not in STOPWORDS]
        if extra:  # words the shopper typed that the product's text has, beyond the values above
            parts.append(words["words"].format(words=", ".join(extra)))
        if not parts and self.signals:
            parts.append(words["meaning"])
        return " · ".join(parts)

    def debug(self, lang: str = "en") -> str:
        """The ranking behind the hit for a merchandiser's debug view: slots, words, each retriever's rank and score."""
        words = WORDING.get(lang, WORDING["en"])
        parts = []
        if self.close_match:
            parts.append(words["close"].format(fields=", ".join(self.close_match)))
        slots = []
        for slot in self.matched_slots:
            name = slot.split("=", 1)[0]
            slots.append(words["predicted"].format(slot=slot, confidence=self.predicted[name]) if name in self.predicted else slot)
        if slots:
            parts.append(words["matches"].format(slots=", ".join(slots)))
        if self.matched_words:
            parts.append(words["words"].format(words=", ".join(self.matched_words)))
        for name, signal in self.signals.items():
            label = words.get(name, name)
            if name in ("bm25", "hybrid"):  # a rank: BM25 scores and fused reciprocal ranks mean nothing to a reader
                parts.append(f"{label} #{signal.rank}")
            else:
                parts.append(f"{label} {signal.score:.2f} (#{signal.rank})")
        return " · ".join(parts)

    def explanations(self) -> dict[str, str]:
        """The explanation in every storefront language."""
        return {lang: self.explanation(lang) for lang in WORDING}

    def to_dict(self) -> dict[str, object]:
        """The hit as JSON-ready data with its explanations (each computed once).

        Written out field by field: `dataclasses.asdict` deep-copies recursively and was a fifth of a cached
        search's server CPU (24 hits)."""
        data: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "price": self.price,
            "currency": self.currency,
            "image_path": self.image_path,
            "attributes": dict(self.attributes),
            "signals": {name: {"rank": s.rank, "score": s.score} for name, s in self.signals.items()},
            "matched_words": list(self.matched_words),
            "matched_slots": list(self.matched_slots),
            "predicted": dict(self.predicted),
            "close_match": list(self.close_match),
            "review_quality": self.review_quality,
            "family_slots": list(self.family_slots),
        }
        data["explanations"] = self.explanations()
        data["explanation"] = data["explanations"]["en"]  # type: ignore[index]
        data["debug"] = self.debug()
        return data


#: The order a shopper reads a product's values in: "Black · Men · Sports Shoes".
SLOT_ORDER = ("colour", "gender", "type", "subcategory", "brand", "pattern", "category")
#: Shopper-facing wording of an explanation.
SHOPPER_WORDING: dict[str, dict[str, str]] = {
    "en": {"close": "close match (differs in {fields})", "predicted": "{value} (predicted from the photo)", "family": "{value} (same family)",
           "photo": "looks like your photo", "words": "mentions {words}", "meaning": "related to your search"},
    "zh": {"close": "相近商品（{fields}不同）", "predicted": "{value}（由图片识别）", "family": "{value}（同系列）", "photo": "和你的图片相似",
           "words": "提到 {words}", "meaning": "与搜索内容相关", "colour": "颜色", "type": "品类", "gender": "性别", "brand": "品牌", "price": "价格"},
}


#: The words of an explanation per language; retriever names map to what they mean to a shopper.
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "close": "close match (differs in {fields})",
        "predicted": "{slot} (predicted from photo, {confidence:.2f})",
        "matches": "matches {slots}",
        "words": "words: {words}",
        "bm25": "keyword rank",
        "hybrid": "keyword + meaning rank (fused in Milvus)",
        "text_vector": "meaning match",
        "image_vector": "photo similarity",
        "aligned_image": "looks like the words",
        "aligned_text": "described like the photo",
    },
    "zh": {
        "close": "相近商品（{fields}不同）",
        "predicted": "{slot}（由图片预测，{confidence:.2f}）",
        "matches": "符合 {slots}",
        "words": "命中词：{words}",
        "bm25": "关键词排名",
        "hybrid": "关键词+语义排名（Milvus 融合）",
        "text_vector": "语义匹配",
        "image_vector": "图片相似度",
        "aligned_image": "外观符合描述",
        "aligned_text": "描述符合图片",
    },
}


@dataclass
class SearchResult:
    """Hits plus what was searched and how long it took."""

    query: str
    mode: str
    hits: list[Hit]
    took_ms: float
    filters: dict[str, list[str]] = field(default_factory=dict)
    exclusions: dict[str, list[str]] = field(default_factory=dict)
    price_range: list[float | None] = field(default_factory=lambda: [None, None])
    #: the parsed query (intent, slots, chips) when understanding was on
    understood: dict[str, object] | None = None
    #: constraints taken from the photo, e.g. {"type": "Shirts (from the photo)"}
    inferred: dict[str, str] = field(default_factory=dict)
    #: understood slots dropped because together they matched nothing
    relaxed: list[str] = field(default_factory=list)
    facets: dict[str, object] = field(default_factory=dict)
    #: CPU time this search took on its thread (ms): the cost that travels between machines, unlike took_ms
    cpu_ms: float = 0.0

    def to_dict(self, hit_json: Callable[[Hit], dict[str, object]] | None = None) -> dict[str, object]:
        """JSON-ready data; `hit_json` shapes each hit (the API swaps the photo path for a URL)."""
        data = asdict(replace(self, hits=[]))
        data["hits"] = [hit_json(h) if hit_json else h.to_dict() for h in self.hits]
        return data
