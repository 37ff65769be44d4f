"""The shop's indexes: which encoders feed them, whether trained alignment heads apply, building a new generation.

Why its own object: indexing is asked for by `daogou index`, by deletes and by every training command, and each
needs the same three answers (the encoders' names, the alignment heads that match them, a complete generation or
none). The facade (`Shop`) only delegates here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

from daogou.catalog.store import CatalogStore
from daogou.config import Settings
from daogou.index import backends
from daogou.index.builder import GenerationBuilder
from daogou.index.generations import Generations
from daogou.models.align import AlignmentHeads


class IndexService:
    """Builds index generations of one shop from its store and names the live one."""

    def __init__(
        self,
        store: CatalogStore,
        settings: Settings,
        models_dir: Path,
        generations: Generations,
        positive_proba: Callable[[list[str]], list[float]],
    ) -> None:
        self.store = store
        self.settings = settings
        self.models_dir = models_dir
        self.generations = generations
        self.positive_proba = positive_proba

    def inputs(self) -> dict[str, str]:
        """The encoders every derived index and trained head depends on (a head trained on others is refused)."""
        return {"image": self.settings.image_model, "colour": self.settings.colour_model, "text": self.settings.text_model}

    def alignment(self) -> tuple[AlignmentHeads, str] | None:
        """The trained alignment heads and their index tag, or None if absent or trained on other encoders."""
        if not (self.models_dir / "align.pt").exists():
            return None
        heads, card = AlignmentHeads.load(self.models_dir)
        if card.get("inputs") != self.inputs():
            warnings.warn(f"alignment heads in {self.models_dir} were trained on {card.get('inputs')}; run `daogou train align` again", stacklevel=2)
            return None
        return heads, f"align-{card['weights_sha256_16']}"

    def rebuild(self) -> dict[str, int]:
        """Build a new generation from the store and switch to it; a failed build leaves the live one as it was.
        Searchers see the switch by the live generation's name (search/live.py)."""
        generations = self.generations
        live = generations.current() if generations.current_name() else None
        folder = generations.begin()

        def release(pruned: Path, kept: list[Path]) -> None:  # what the generation built on (live) keeps its collections too
            backends.prune(self.settings, pruned, [*kept, live] if live is not None else kept)

        try:
            builder = GenerationBuilder(self.store, self.settings, self.models_dir, self.alignment(), self.inputs(), self.positive_proba, live)
            indexed = builder.build(folder)
        except BaseException:
            generations.abandon(folder, release)
            raise
        generations.commit(folder, release)
        return indexed

    def live_stamp(self) -> tuple[object, ...]:
        """The live generation's name (one small read), so a server sees another process's re-index."""
        name = self.generations.current_name()
        if name:
            return (name,)
        legacy = self.settings.shop_dir / "index" / "text.json"  # a shop indexed before generations existed
        return (legacy.stat().st_mtime if legacy.exists() else 0.0,)
