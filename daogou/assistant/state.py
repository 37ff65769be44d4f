"""The dialogue state: what the shopper wants so far, what was shown, what was asked — plain JSON-able data.

Why a typed state and not a transcript: every turn ("便宜点的", "换成蓝色", "not Nike", "the second one")
edits this state, and every reply is built from it plus the catalog. Field names match search's
(`filters`, `exclusions`, `price_range`), so the state is a search the shopper can see and edit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Fields a new product type keeps (they describe the shopper, not the product); the rest are reset.
PERSON_FIELDS = ("gender",)
#: At most this many clarifying questions per need (a need ends when the product type changes).
MAX_QUESTIONS = 2


@dataclass
class DialogueState:
    """One conversation's state; `to_dict` is what the API returns as `state` and what the store keeps."""

    language: str = "en"
    filters: dict[str, list[str]] = field(default_factory=dict)
    exclusions: dict[str, list[str]] = field(default_factory=dict)
    price_min: float | None = None
    price_max: float | None = None
    #: free words of the need that are not slots ("running", "party") kept for ranking
    words: str = ""
    #: product ids of the last list shown, in order (what "the second one" refers to)
    shown: list[str] = field(default_factory=list)
    #: the product the conversation is about ("it"), if any
    focus: str | None = None
    #: fields asked about in this need, and fields the shopper said do not matter
    asked: list[str] = field(default_factory=list)
    open_fields: list[str] = field(default_factory=list)
    #: the question waiting for an answer (a field), if any
    pending: str | None = None
    turns: int = 0
    handover: bool = False

    @property
    def price_range(self) -> list[float | None]:
        return [self.price_min, self.price_max]

    def has_need(self) -> bool:
        return bool(self.filters or self.words or self.price_min is not None or self.price_max is not None or self.exclusions)

    def set_values(self, field_name: str, values: list[str]) -> None:
        """Replace one field's accepted values ("换成蓝色" replaces the colour; it does not add to it)."""
        self.filters[field_name] = list(values)
        excluded = self.exclusions.get(field_name, [])
        self.exclusions[field_name] = [v for v in excluded if v not in values]
        if not self.exclusions[field_name]:
            self.exclusions.pop(field_name)
        if field_name == self.pending:
            self.pending = None

    def exclude(self, field_name: str, values: list[str]) -> None:
        current = self.exclusions.setdefault(field_name, [])
        current += [v for v in values if v not in current]
        kept = [v for v in self.filters.get(field_name, []) if v not in values]
        if kept:
            self.filters[field_name] = kept
        else:
            self.filters.pop(field_name, None)

    def new_need(self) -> None:
        """A new product type: drop what described the old product, keep what describes the shopper."""
        self.filters = {k: v for k, v in self.filters.items() if k in PERSON_FIELDS}
        self.exclusions = {}
        self.price_min = self.price_max = None
        self.words = ""
        self.asked, self.open_fields, self.pending = [], [], None
        self.focus = None

    def can_ask(self, field_name: str) -> bool:
        return (
            len(self.asked) < MAX_QUESTIONS
            and field_name not in self.asked
            and field_name not in self.open_fields
            and field_name not in self.filters
            and field_name not in self.exclusions
        )

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["price_range"] = self.price_range
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "DialogueState":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]
