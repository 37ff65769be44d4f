"""Encode a catalog: reader → mapper (on a distributor) → writer, per space, with a progress bar."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from daogou.catalog.store import CatalogStore
from daogou.pipeline.cluster import RayDistributor
from daogou.pipeline.distributors import make_distributor
from daogou.pipeline.mapper import encode_batch
from daogou.pipeline.reader import read_batches
from daogou.pipeline.writer import VectorWriter


@dataclass
class EncodeReport:
    """Per space: how many items were encoded now, and which failed (id, reason)."""

    encoded: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)


def encode_catalog(
    store: CatalogStore,
    models: dict[str, str],
    workers: int = 2,
    batch_size: int = 32,
    show_progress: bool = True,
    ray: str | None = None,
) -> EncodeReport:
    """Bring every space's vectors up to date with the catalog; only changed or new items are encoded.

    `models` maps space ("text", "image") to a model spec. `ray`: a Ray address ("auto", "local",
    "ray://head:10001") to encode on Ray tasks instead of this machine's process pool.
    """
    report = EncodeReport()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
    )
    cluster = RayDistributor(ray) if ray else None  # one connection for every space: joining takes seconds
    try:
        with progress:
            for space, model in models.items():
                total, batches = read_batches(store, space, model, batch_size, ship_files=cluster is not None)
                report.encoded[space] = 0
                if total == 0:
                    continue
                task = progress.add_task(f"encode {space:5s} ({model})", total=total, rate="")
                writer = VectorWriter(store)
                distributor = cluster or make_distributor(workers, total)
                try:
                    for encoded in distributor.map(encode_batch, batches):
                        writer.write(encoded)
                        progress.advance(task, len(encoded.batch.ids))
                        elapsed = progress.tasks[task].elapsed or 0.0
                        if elapsed:
                            progress.update(task, rate=f"{progress.tasks[task].completed / elapsed:.1f}/s")
                finally:
                    if distributor is not cluster:
                        distributor.close()
                report.encoded[space] = writer.written
                seen = {pid for pid, _ in report.failures}
                report.failures.extend(f for f in writer.failures if f[0] not in seen)  # one line per product, not per space
    finally:
        if cluster is not None:
            cluster.close()
    return report
