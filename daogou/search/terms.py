"""Each product's folded words for the "mentions ..." part of explanations, packed by the attribute index's rows.

Why packed: the generation's terms file read as a dict held a million Python strings (two per product, ~470 B a
product, the largest part of a searcher's memory); one UTF-8 buffer with an offset per row costs the words' bytes
plus 8, and a hit's words are decoded only when it is explained.
"""

from __future__ import annotations

import numpy as np


class ProductTerms:
    """Folded words by product id, for the products of an attribute index (`rows`: id → row, as `AttributeIndex.ids`)."""

    def __init__(self, terms: dict[str, str], rows: dict[str, int]) -> None:
        size = len(rows)
        lengths = np.zeros(size + 1, dtype=np.int64)
        self._known = np.zeros(size, dtype=bool)
        chunks: list[bytes] = [b""] * size
        for pid, row in rows.items():
            words = terms.pop(pid, None)  # emptied as it goes: the dict's strings are freed while the buffer grows
            if words is not None:
                chunks[row] = words.encode("utf-8")
                lengths[row + 1] = len(chunks[row])
                self._known[row] = True
        self._offsets = np.cumsum(lengths)
        self._buffer = b"".join(chunks)
        self._rows = rows

    def __len__(self) -> int:
        return int(np.count_nonzero(self._known))

    def get(self, pid: str) -> set[str] | None:
        """The product's folded words; None for a product the generation has no words for (indexed before terms
        existed, or added since), which the caller segments itself."""
        row = self._rows.get(pid)
        if row is None or not self._known[row]:
            return None
        return set(self._buffer[self._offsets[row] : self._offsets[row + 1]].decode("utf-8").split())
