"""Search results as plain dataclasses: stable JSON for scripts, and the explanation of every hit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
    image_path: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    #: retriever name ("bm25", "text_vector", "image_vector") → Signal
    signals: dict[str, Signal] = field(default_factory=dict)
    #: query words found in the product's text
    matched_words: list[str] = field(default_factory=list)

    def explanation(self) -> str:
        """One line a shopper or a merchandiser can read: which signals found this product."""
        parts = []
        if self.matched_words:
            parts.append("words: " + ", ".join(self.matched_words))
        names = {"bm25": "keyword rank", "text_vector": "meaning match", "image_vector": "photo similarity"}
        for name, signal in self.signals.items():
            label = names.get(name, name)
            if name == "bm25":
                parts.append(f"{label} #{signal.rank}")
            else:
                parts.append(f"{label} {signal.score:.2f} (#{signal.rank})")
        return " · ".join(parts)


@dataclass
class SearchResult:
    """Hits plus what was searched and how long it took."""

    query: str
    mode: str
    hits: list[Hit]
    took_ms: float
    filters: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for hit, raw in zip(self.hits, data["hits"]):  # type: ignore[arg-type]
            raw["explanation"] = hit.explanation()
        return data
