"""Review files → validated Review records (product id, text, rating, date), bad rows reported by line.

Why presets: the public English clothing reviews keep the product in "Clothing ID" and split the text
into a title and a body; a mapping joins them so every shop's export can be read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daogou.catalog.importers import RowError, read_records
from daogou.catalog.presets import Row
from daogou.catalog.schema import Review


@dataclass(frozen=True)
class ReviewMapping:
    product: str
    text: tuple[str, ...]  # columns joined with ". " (e.g. title and body)
    rating: str = ""
    date: str = ""
    encoding: str = "utf-8-sig"


REVIEW_PRESETS: dict[str, ReviewMapping] = {
    "womens-clothing": ReviewMapping(product="Clothing ID", text=("Title", "Review Text"), rating="Rating"),
    "generic": ReviewMapping(product="product_id", text=("text",), rating="rating", date="date"),
}


def read_reviews(path: Path | str, mapping: ReviewMapping) -> tuple[list[Review], list[RowError]]:
    """Read a reviews file. A row without product id is skipped; an empty text is kept only when it has a rating."""

    def build(row: Row) -> Review:
        text = ". ".join(str(row.get(c) or "").strip() for c in mapping.text if str(row.get(c) or "").strip())
        rating_raw = str(row.get(mapping.rating) or "").strip() if mapping.rating else ""
        date_raw = str(row.get(mapping.date) or "").strip() if mapping.date else ""
        review = Review(
            product_id=str(row.get(mapping.product) or "").strip(),
            text=text,
            rating=float(rating_raw) if rating_raw else None,
            date=datetime.fromisoformat(date_raw) if date_raw else None,
        )
        if not review.text and review.rating is None:
            raise ValueError("neither text nor rating")
        return review

    return read_records(path, mapping.encoding, build)
