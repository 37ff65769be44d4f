"""Keep the garbage collector off a searcher's long-lived objects.

Why: a searcher holds hundreds of thousands of Python objects for its whole life (714k tracked at 100k products:
ids, attribute tables, cached products). CPython's full (generation 2) collection walks every one of them, and it
runs whenever enough new objects survived: measured on the 100k-product shop, one such pause took 252 ms inside a
search that otherwise takes ~10 ms, and the pause grows with the catalog. `gc.freeze()` moves everything alive now
into a permanent generation that collections skip; reference counting still frees those objects when they are
dropped. Only their reference cycles would outlive them, so a searcher being replaced (a re-index) is first
unfrozen and collected.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what the previous searcher left (its cycles included), then freeze everything alive now."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
