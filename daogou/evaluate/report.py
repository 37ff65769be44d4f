"""Evaluation reports: the figures as JSON, a Markdown table and a bar-chart PNG, written side by side.

Why all three: JSON for scripts and CI history, Markdown for the release notes, a plot for people.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from daogou import atomic


def markdown_table(rows: Sequence[Mapping[str, object]]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def bar_chart(path: Path, rows: Sequence[Mapping[str, object]], metrics: Sequence[str], title: str) -> None:
    """Grouped bars: one group per metric, one bar per row (variant)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(min(14, max(6, 0.5 * len(metrics) * max(1, len(rows)))), 4.5))
    width = 0.8 / max(1, len(rows))
    for i, row in enumerate(rows):
        values = [float(row.get(m) or 0) for m in metrics]
        positions = [j + i * width for j in range(len(metrics))]
        bars = ax.bar(positions, values, width, label=str(row.get("variant", i)))
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([j + width * (len(rows) - 1) / 2 for j in range(len(metrics))], metrics)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic.write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)


def write_report(out_dir: Path, name: str, data: Mapping[str, object], rows: Sequence[Mapping[str, object]], metrics: Sequence[str], title: str) -> dict[str, str]:
    """Write NAME.json, NAME.md and NAME.png into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: str(out_dir / f"{name}.{kind}") for kind in ("json", "md", "png")}
    atomic.write_text(Path(paths["json"]), json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    atomic.write_text(Path(paths["md"]), f"# {title}\n\n" + markdown_table(rows))
    bar_chart(Path(paths["png"]), rows, metrics, title)
    return paths


def confusion_png(path: Path, y_true: Sequence[str], y_pred: Sequence[str], title: str, top: int = 25) -> None:
    """Row-normalised confusion matrix of the `top` most frequent true classes (all classes would be unreadable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from collections import Counter

    labels = [label for label, _ in Counter(y_true).most_common(top)]
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)))
    for truth, guess in zip(y_true, y_pred):
        if truth in index and guess in index:
            matrix[index[truth], index[guess]] += 1
    matrix = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
    size = max(5, 0.32 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    atomic.write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
