"""The demo: find the public Myntra catalog on this machine, build a shop from it, run a few searches.

Why a finder and not a download: daogou never reaches the network on its own. The data is looked up
in DAOGOU_DATA_DIR, then ../shared/data beside the working directory or the source tree; if it is
not there, the error says where to get it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from daogou.errors import DaogouError

MYNTRA = "fashion_product_images_small_subset"
MYNTRA_CSV = "styles_subset.csv"
DEMO_QUERIES = ("red dress for women", "黑色男士运动鞋", "blue denim jeans for men", "leather wallet", "白色T恤")
#: Short conversations the demo holds with the guide, one in each language.
DEMO_CONVERSATIONS = (
    ("I want sweatshirts", "for women", "not black", "compare the first and the second", "what is your return policy?"),
    ("我想买运动鞋", "男款", "换成白色", "运费多少钱？", "转人工"),
)
#: Example policy documents for the demo shop (a real shop imports its own with `daogou import-docs`).
DEMO_POLICIES = Path(__file__).resolve().parent / "policies"

WHERE_TO_GET = (
    "The demo needs the public Myntra 'Fashion Product Images (Small)' catalog (Kaggle: "
    "paramaggarwal/fashion-product-images-small). Put a folder with styles_subset.csv (columns id, gender, "
    "masterCategory, subCategory, articleType, baseColour, season, year, usage, productDisplayName, image_path) "
    "and images/<id>.jpg under $DAOGOU_DATA_DIR/" + MYNTRA + ", or run from a checkout that has ../shared/data."
)


def data_roots() -> list[Path]:
    """Where shared data may live, most specific first."""
    roots = []
    if os.environ.get("DAOGOU_DATA_DIR"):
        roots.append(Path(os.environ["DAOGOU_DATA_DIR"]))
    roots.append(Path.cwd().parent / "shared" / "data")
    roots.append(Path.cwd() / "shared" / "data")
    roots.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    return roots


def find_dataset(name: str) -> Path:
    """The directory of a shared data set, or a DaogouError saying where to get it."""
    for root in data_roots():
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise DaogouError(f"data set {name!r} not found (looked in {', '.join(str(r) for r in data_roots())}). " + WHERE_TO_GET)


@dataclass
class DemoSource:
    csv: Path
    preset: str = "myntra"


def demo_source() -> DemoSource:
    folder = find_dataset(MYNTRA)
    csv = folder / MYNTRA_CSV
    if not csv.exists():
        raise DaogouError(f"{csv} is missing. " + WHERE_TO_GET)
    return DemoSource(csv=csv)
