"""Per-product review summaries: overall sentiment, aspects with counts, fit direction, and the sentences behind them.

Why extractive: a shopper must be able to trust "fit runs small (23 of 41 reviews)"; every claim links
to review sentences that say it, and nothing is generated. The quality signal for ranking is the
lower bound of a 95 % Wilson interval on the share of positive reviews, so 3 glowing reviews do not
outrank 300 mostly good ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from daogou.catalog.schema import Review
from daogou.understand.aspects import ASPECTS, extract


@dataclass
class AspectSummary:
    aspect: str
    reviews: int
    positive: int
    negative: int
    positive_examples: list[str] = field(default_factory=list)
    negative_examples: list[str] = field(default_factory=list)


@dataclass
class ReviewSummary:
    product_id: str
    reviews: int
    positive: int
    negative: int
    mean_rating: float | None
    quality: float  # Wilson lower bound of the positive share
    fit: str | None  # "fit runs small (23 of 41 reviews)"
    aspects: list[AspectSummary] = field(default_factory=list)

    def headline(self) -> str:
        parts = [f"{self.positive} of {self.reviews} reviews positive"]
        if self.fit:
            parts.append(self.fit)
        for a in self.aspects[:3]:
            side = "praised" if a.positive >= a.negative else "criticised"
            parts.append(f"{a.aspect} {side} ({max(a.positive, a.negative)} of {a.reviews})")
        return "; ".join(parts)


def wilson_lower(positive: int, total: int, z: float = 1.96) -> float:
    if total == 0:
        return 0.0
    p = positive / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - margin) / (1 + z * z / total)


def count_positive(reviews: Sequence[Review], positive_proba: Callable[[list[str]], Sequence[float]]) -> int:
    """Positive reviews: a rating of 4–5 or 1–2 decides; otherwise (no rating, or 3) the sentiment model does."""
    undecided = [r.text for r in reviews if r.rating is None or r.rating == 3]
    scores = iter(positive_proba(undecided)) if undecided else iter(())
    positive = 0
    for review in reviews:
        if review.rating is None or review.rating == 3:
            positive += next(scores) >= 0.5
        else:
            positive += review.rating >= 4
    return positive


def summarise(product_id: str, reviews: Sequence[Review], positive_proba: Callable[[list[str]], Sequence[float]], examples: int = 2) -> ReviewSummary:
    """Summarise a product's reviews: overall polarity, aspects with counts and supporting sentences, fit direction."""
    texts = [r.text for r in reviews]
    positive = count_positive(reviews, positive_proba)
    negative = len(reviews) - positive
    found = extract(texts, positive_proba)
    aspects = []
    directions = {"small": 0, "large": 0, "true": 0}
    fit_reviews = 0
    for name in ASPECTS:
        pos_examples: list[tuple[float, str]] = []
        neg_examples: list[tuple[float, str]] = []
        mentioned = pos = neg = 0
        for review in found:
            mentions = [m for m in review.mentions if m.aspect == name]
            if not mentions:
                continue
            mentioned += 1
            best = max(mentions, key=lambda m: m.confidence)
            if best.polarity == "positive":
                pos += 1
                pos_examples.append((best.confidence, best.sentence))
            else:
                neg += 1
                neg_examples.append((best.confidence, best.sentence))
            if name == "size/fit":
                fit_reviews += 1
                for d in {m.direction for m in mentions if m.direction}:
                    directions[d] += 1
        if mentioned:
            aspects.append(AspectSummary(name, mentioned, pos, neg,
                                         [s for _, s in sorted(pos_examples, reverse=True)[:examples]],
                                         [s for _, s in sorted(neg_examples, reverse=True)[:examples]]))
    aspects.sort(key=lambda a: -a.reviews)
    fit = None
    if fit_reviews:
        direction, count = max(directions.items(), key=lambda kv: kv[1])
        if count:
            label = {"small": "fit runs small", "large": "fit runs large", "true": "true to size"}[direction]
            fit = f"{label} ({count} of {fit_reviews} reviews mentioning fit)"
    ratings = [r.rating for r in reviews if r.rating is not None]
    return ReviewSummary(
        product_id=product_id,
        reviews=len(reviews),
        positive=positive,
        negative=negative,
        mean_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        quality=round(wilson_lower(positive, len(reviews)), 4),
        fit=fit,
        aspects=aspects,
    )
