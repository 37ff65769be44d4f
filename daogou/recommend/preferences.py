"""Shopper preferences (colours, sizes, genders, types, price band) as filters, and price sensitivity learned from history.

Why both: an explicit "I only wear black, under 50" is a hard rule; a history of buying in one price
range is a soft signal — products in that band are boosted, not the only ones shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from daogou.catalog.schema import Interaction
from daogou.index.attributes import AttributeIndex
from daogou.index.engine_attributes import EngineAttributes
from daogou.recommend.models import Scored

PRICE_BOOST = 1.25


@dataclass
class Preferences:
    """Explicit preferences: attribute → accepted values (colour, gender, type, size...), and a price band."""

    attributes: dict[str, list[str]] = field(default_factory=dict)
    price_band: tuple[float, float] | None = None

    def active(self) -> bool:
        return bool(self.attributes) or self.price_band is not None


def user_price_band(history: Sequence[Interaction]) -> tuple[float, float] | None:
    """The 10th–90th percentile of what the user paid (needs 3+ priced purchases)."""
    prices = sorted(e.price for e in history if e.price is not None)
    if len(prices) < 3:
        return None
    return prices[int(0.1 * (len(prices) - 1))], prices[int(round(0.9 * (len(prices) - 1)))]


def apply_preferences(recs: list[Scored], prefs: Preferences, attributes: AttributeIndex | EngineAttributes, band: tuple[float, float] | None) -> list[Scored]:
    """Drop what breaks an explicit preference; boost what falls in the price band (explicit or learned)."""
    out = []
    attributes.prefetch(rec.item for rec in recs)
    for rec in recs:
        if any(
            (attributes.value_of(rec.item, name) or "").lower() not in {v.lower() for v in values} for name, values in prefs.attributes.items()
        ):
            continue
        price = attributes.price_of(rec.item)
        if prefs.price_band is not None and (price is None or not prefs.price_band[0] <= price <= prefs.price_band[1]):
            continue
        if band is not None and price is not None and band[0] <= price <= band[1]:
            rec = replace(rec, score=rec.score * PRICE_BOOST, extras=[*rec.extras, "price_range"])
        out.append(rec)
    return sorted(out, key=lambda r: -r.score)
