"""Review files → validated Review records (product id, text, rating, date), bad rows reported by line.

Why presets: the public English clothing reviews keep the product in "Clothing ID" and split the text
into a title and a body; a mapping joins them so every shop's export can be read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from daogou.catalog.importers import RowError, raw_rows
from daogou.catalog.schema import Review
from daogou.errors import ImportFailed


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


@dataclass
class ReviewsRead:
    reviews: list[Review] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_reviews(path: Path | str, mapping: ReviewMapping) -> ReviewsRead:
    """Read a reviews file. A row without product id is skipped; an empty text is kept only when it has a rating."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    out = ReviewsRead()
    try:
        for line, row in raw_rows(path, mapping.encoding):
            if isinstance(row, Exception):
                out.errors.append(RowError(str(path), line, str(row)))
                continue
            text = ". ".join(str(row.get(c) or "").strip() for c in mapping.text if str(row.get(c) or "").strip())
            rating_raw = str(row.get(mapping.rating) or "").strip() if mapping.rating else ""
            date_raw = str(row.get(mapping.date) or "").strip() if mapping.date else ""
            try:
                review = Review(
                    product_id=str(row.get(mapping.product) or "").strip(),
                    text=text,
                    rating=float(rating_raw) if rating_raw else None,
                    date=datetime.fromisoformat(date_raw) if date_raw else None,
                )
            except ValidationError as exc:
                first = exc.errors()[0]
                out.errors.append(RowError(str(path), line, f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg')}"))
                continue
            except ValueError as exc:
                out.errors.append(RowError(str(path), line, str(exc)))
                continue
            if not review.text and review.rating is None:
                out.errors.append(RowError(str(path), line, "neither text nor rating"))
                continue
            out.reviews.append(review)
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not {mapping.encoding} text ({exc.reason})") from exc
    return out
