"""The shop's records: Product (and, for later layers, Review and Interaction), validated by pydantic.

Why pydantic: an importer turns each row into a model and a validation error becomes a per-line
report instead of a crash or a silently wrong value.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Product attributes that search and filters know by name. Others are kept as free attributes.
KNOWN_ATTRIBUTES = ("gender", "colour", "type", "category", "subcategory", "season", "usage", "year")


class Product(BaseModel):
    """One sellable item. `id` is the shop's own identifier, kept as a string (H&M ids have leading zeros)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    id: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=100_000)
    brand: str = Field(default="", max_length=200)
    price: float | None = Field(default=None, ge=0)
    currency: str = Field(default="", max_length=8)
    image_path: str = ""
    #: Content hash of the image file (filled by the importer); re-encoding is skipped when it is unchanged.
    image_hash: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_printable(cls, value: str) -> str:
        if any(ch in value for ch in "\n\r\t\x00/\\"):
            raise ValueError("id must not contain control characters or slashes")
        return value

    @field_validator("attributes")
    @classmethod
    def _clean_attributes(cls, value: dict[str, str]) -> dict[str, str]:
        return {str(k).strip(): str(v).strip() for k, v in value.items() if str(v).strip()}

    def passage(self) -> str:
        """The text that the text encoder and BM25 see: title, brand, then the attribute values.

        Why attributes too: a title like "Turtle Check Men Navy Blue Shirt" names the type, but many
        don't; the catalog's own attribute values make every product findable by them.
        """
        parts = [self.title]
        if self.brand and self.brand.lower() not in self.title.lower():
            parts.append(self.brand)
        extra = [v for k, v in self.attributes.items() if k in KNOWN_ATTRIBUTES and k != "year"]
        extra = [v for v in extra if v.lower() not in self.title.lower()]
        if extra:
            parts.append(", ".join(extra))
        if self.description:
            parts.append(self.description[:300])
        return ". ".join(parts)

    def content_hash(self) -> str:
        """Hash of every stored field, so a re-import can tell unchanged products and skip them."""
        payload = json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Review(BaseModel):
    """A customer review of a product (imported by the review layer)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    product_id: str = Field(min_length=1, max_length=128)
    text: str = Field(default="", max_length=100_000)
    rating: float | None = Field(default=None, ge=0, le=5)
    date: datetime | None = None


class Interaction(BaseModel):
    """A user event on a product: view, cart or purchase (used by recommendation)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    user_id: str = Field(min_length=1, max_length=128)
    product_id: str = Field(min_length=1, max_length=128)
    kind: str = Field(default="purchase", pattern="^(view|cart|purchase)$")
    timestamp: datetime
    price: float | None = Field(default=None, ge=0)
    extra: dict[str, Any] = Field(default_factory=dict)
