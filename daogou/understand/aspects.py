"""What a review talks about — size/fit, quality, colour, price, comfort, material, delivery, service — and how it feels about each.

Why clauses: one review praises the colour and complains the size runs small; the polarity of each
aspect is the polarity of the clauses that mention it. Aspect words are a hand-written zh/en lexicon
(the product's own idea); clause polarity comes from the trained sentiment classifier. Fit also gets a
direction (runs small / large / true to size), the thing shoppers most want to know.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ASPECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "size/fit": {
        "en": ("size", "sizing", "sized", "fit", "fits", "fitted", "fitting", "tight", "loose", "snug", "baggy", "petite", "runs small", "runs large",
               "runs big", "too small", "too big", "too large", "too long", "too short", "length", "true to size", "tts", "roomy", "boxy"),
        "zh": ("尺码", "码数", "大小", "偏大", "偏小", "合身", "紧", "松", "宽松", "尺寸", "大了", "小了", "短了", "长了", "号"),
    },
    "quality": {
        "en": ("quality", "well made", "well-made", "poorly made", "cheaply made", "construction", "durable", "stitching", "seams", "seam", "fell apart",
               "ripped", "tore", "hole", "holes", "sturdy", "flimsy", "defect", "defective"),
        "zh": ("质量", "品质", "做工", "质感", "耐用", "结实", "破了", "开线", "瑕疵", "次品", "坏了", "正品", "假货"),
    },
    "colour": {
        "en": ("color", "colour", "colors", "colours", "shade", "faded", "fade", "vibrant", "hue", "print", "pattern"),
        "zh": ("颜色", "色差", "褪色", "掉色", "颜值", "花色", "色彩"),
    },
    "price/value": {
        "en": ("price", "value", "worth", "expensive", "overpriced", "pricey", "sale", "money", "cost", "bargain", "affordable", "cheap"),
        "zh": ("价格", "价钱", "性价比", "便宜", "贵", "值得", "划算", "实惠", "价位", "不值"),
    },
    "comfort": {
        "en": ("comfortable", "comfy", "comfort", "uncomfortable", "itchy", "scratchy", "cozy", "breathable"),
        "zh": ("舒服", "舒适", "柔软", "磨脚", "扎人", "透气", "不舒服", "闷"),
    },
    "material": {
        "en": ("fabric", "material", "cotton", "silk", "linen", "polyester", "wool", "rayon", "thin", "thick", "sheer", "see-through", "see through",
               "lining", "lined", "stretchy", "stretch", "knit"),
        "zh": ("面料", "材质", "布料", "纯棉", "棉", "薄", "厚", "透明", "起球", "料子", "真皮", "羊毛"),
    },
    "delivery": {
        "en": ("shipping", "delivery", "delivered", "arrived", "shipped", "package", "packaging", "came in", "took weeks"),
        "zh": ("物流", "快递", "发货", "送货", "到货", "包装", "配送", "速度快", "送到", "到了"),
    },
    "service": {
        "en": ("customer service", "return", "returned", "returning", "refund", "exchange", "seller", "store", "staff", "sales associate"),
        "zh": ("客服", "服务", "态度", "退货", "换货", "卖家", "商家", "售后", "退款"),
    },
}
SMALL = {"en": ("runs small", "too small", "too tight", "tight", "snug", "size up", "sized up", "order a size up", "too short"),
         "zh": ("偏小", "小了", "紧", "短了", "小一号", "买大一")}
LARGE = {"en": ("runs large", "runs big", "too big", "too large", "loose", "baggy", "size down", "sized down", "roomy", "too long", "oversized"),
         "zh": ("偏大", "大了", "松", "长了", "大一号", "买小一")}
TRUE = {"en": ("true to size", "tts", "fits perfectly", "fit perfectly", "perfect fit", "fits great", "fit is perfect"),
        "zh": ("合身", "正好", "刚好", "尺码标准", "尺码准")}

_CLAUSES = re.compile(r"[。！？!?；;\n]+|(?<=[a-z])\.\s+|,\s*but\s+|，|,\s+(?=(?:the|it|but|and|however)\b)", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass
class AspectMention:
    aspect: str
    polarity: str  # "positive" | "negative"
    confidence: float
    sentence: str
    direction: str | None = None  # size/fit only: "small" | "large" | "true"


@dataclass
class ReviewAspects:
    text: str
    mentions: list[AspectMention] = field(default_factory=list)

    def aspects(self) -> dict[str, str]:
        """aspect → the polarity of its most confident mention."""
        best: dict[str, AspectMention] = {}
        for m in self.mentions:
            if m.aspect not in best or m.confidence > best[m.aspect].confidence:
                best[m.aspect] = m
        return {a: m.polarity for a, m in best.items()}


def _has(clause: str, words: Sequence[str], chinese: bool) -> bool:
    if chinese:
        return any(w in clause for w in words)
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", clause) for w in words)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(text or "") if c and c.strip()]


def extract(texts: Sequence[str], positive_proba: Callable[[list[str]], Sequence[float]]) -> list[ReviewAspects]:
    """Aspects and their polarity for each review; `positive_proba` scores clauses (the trained sentiment model)."""
    found: list[ReviewAspects] = []
    pending: list[tuple[int, str, str, str | None]] = []
    for i, text in enumerate(texts):
        found.append(ReviewAspects(text or ""))
        for clause in clauses((text or "")[:4000]):
            chinese = bool(_CJK.search(clause))
            lang = "zh" if chinese else "en"
            low = clause if chinese else clause.lower()
            for aspect, words in ASPECTS.items():
                if _has(low, words[lang], chinese):
                    direction = None
                    if aspect == "size/fit":
                        if _has(low, TRUE[lang], chinese):
                            direction = "true"
                        elif _has(low, SMALL[lang], chinese):
                            direction = "small"
                        elif _has(low, LARGE[lang], chinese):
                            direction = "large"
                    pending.append((i, aspect, clause, direction))
    if pending:
        scores = positive_proba([clause for _, _, clause, _ in pending])
        for (i, aspect, clause, direction), p in zip(pending, scores):
            if direction in ("small", "large"):
                polarity, confidence = "negative", max(float(p), 1 - float(p))
            else:
                polarity, confidence = ("positive", float(p)) if p >= 0.5 else ("negative", 1 - float(p))
            found[i].mentions.append(AspectMention(aspect, polarity, round(confidence, 4), clause, direction))
    return found
