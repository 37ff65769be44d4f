"""One Settings object per shop, read from the shop's daogou.toml and then from DAOGOU_* variables.

Why a file in the shop directory: a shop is moved or backed up as one folder, and the models that built
its indexes must travel with it (index files refuse to be read by other models).
Environment variables win over the file so an operator can point a shop at PostgreSQL or change
worker counts without editing it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from daogou import atomic
from daogou.errors import ConfigError

CONFIG_NAME = "daogou.toml"


@dataclass
class Settings:
    """Everything that may differ between shops. Defaults run fully offline on one machine."""

    shop_dir: Path = field(default_factory=lambda: Path("."))
    #: SQLAlchemy URL of the catalog store; empty means a SQLite file inside the shop directory.
    store_url: str = ""
    #: A read replica of the store (SQLAlchemy URL): the hits' product rows and reviews are read there. Empty: none.
    store_read_url: str = ""
    #: Text encoder: a registry name (offline pack), a local directory or a hub id.
    text_model: str = "e5-small"
    #: Image encoder: a registry name (offline pack), a local directory or a hub id.
    image_model: str = "efficientnet-lite0"
    #: Colour features of product photos (feeds the colour head that fills missing colours).
    colour_model: str = "colour-hist-v1"
    #: Worker processes for batch encoding (each runs its models on one thread).
    workers: int = 2
    #: Items per encoding batch.
    batch_size: int = 32
    #: Where vector indexes live: empty = FAISS files in the shop's index folder (embedded default); a PostgreSQL URL
    #: (postgresql+psycopg://...) = pgvector tables there; milvus://host:19530 = Milvus collections; one table or
    #: collection per space and index generation (BM25 stays in the folder unless lexical_url is set).
    vector_url: str = ""
    #: Where the BM25 index lives: empty = a tantivy folder in the generation (embedded default); milvus://host:19530
    #: = a Milvus ≥ 2.5 collection per generation (with vector_url there too, no index file is on the serving machine).
    lexical_url: str = ""
    #: Scale-out serving: each index generation is also published into the store (needs vector_url and lexical_url
    #: on engines and a shared store_url), and servers read the live generation from there: no index file on their disk.
    index_in_store: bool = False
    #: Scale-out serving of a catalog too big for every API process to hold its attribute index (~600 B a product):
    #: filters, facets and attribute values are answered by the Milvus text collection (needs vector_url on Milvus).
    attributes_in_engine: bool = False
    #: With lexical_url on Milvus ≥ 2.5: the BM25 collection also holds the text vectors (and each product's terms
    #: and price), and a text query's BM25 and text-vector lists are fused by Milvus's hybrid_search (RRF, k = 60),
    #: one request instead of two. Held-out quality as daogou's own fusion, but equal BM25 scores are ranked in
    #: Milvus's order rather than by id, so the lists differ (docs/scale-out.md, "Fusion in Milvus").
    engine_fusion: bool = False
    #: Above this many vectors the index is HNSW; below, exact (flat) search is fast enough.
    hnsw_threshold: int = 50_000
    #: Above this many vectors the index is IVF with 8-bit codes (an HNSW build of a million photos' vectors
    #: takes too long on a small machine); its candidates are re-scored exactly.
    ivf_threshold: int = 400_000
    #: A filter matching at most this share of products is answered exactly over the subset.
    exact_filter_fraction: float = 0.05
    #: RRF weight of the text → aligned-image retriever (words finding products by their photos).
    aligned_weight: float = 1.0
    #: Candidates each retriever contributes before fusion.
    candidates: int = 100
    #: From this many products up, a text search runs BM25 on a second thread while it encodes the query and
    #: searches the vectors (at 1M, BM25 and the vector spaces each take ~5-8 ms); 0 never does.
    parallel_lexical_min: int = 200_000
    #: Searches, photo searches and chat turns one server process runs at once (more wait their turn, fairly
    #: between clients); on a 2-core machine more than a few only interleave on the GIL.
    search_slots: int = 4
    #: Whole text results kept per index generation (least recently used go first); 0 turns the result cache off.
    search_cache: int = 2048
    #: Folders (comma-separated) an admin upload over REST may take photos from; empty: none.
    photo_roots: str = ""
    #: Optional OpenAI-compatible endpoint (llama.cpp server, Ollama, vLLM) that may reword finished assistant
    #: replies; every id, price, number and negation must survive or the template reply is sent. Empty: off.
    llm_url: str = ""
    llm_model: str = "default"
    #: Speech-to-text model for voice search: "whisper-base" (bundled in pip packages), a local CTranslate2
    #: Whisper folder, or a hub id ("large-v3") for users who have the weights.
    speech_model: str = "whisper-base"
    #: Seconds of audio the speech encoder reads at least (30 = Whisper's own window; shorter is faster).
    speech_window_s: float = 15.0
    #: Most training epochs of the sequential recommender (`daogou train recommend`; it stops early on validation);
    #: 0 leaves the sequential model out.
    sequential_epochs: int = 200
    #: CPU threads the sequential recommender trains with.
    sequential_threads: int = 2
    #: Make try-on rigs for every wearable product at index time; off, each is made on its first request
    #: (a catalog of a million products need not wait for rigs nobody may ask for).
    tryon_rigs: bool = True
    #: Host names the server answers to (comma-separated; "*" for any). Add the shop's domain when serving publicly.
    allowed_hosts: str = "localhost,127.0.0.1,::1,[::1]"

    @property
    def resolved_store_url(self) -> str:
        """The store URL to connect to: the configured one, or the shop's own SQLite file."""
        if self.store_url:
            return self.store_url
        return f"sqlite:///{(self.shop_dir / 'catalog.db').resolve()}"

    def to_toml(self) -> str:
        """Serialise the settings that belong in daogou.toml (everything but the shop path)."""
        lines = ["# daogou shop settings; DAOGOU_<NAME> environment variables override these.", "[shop]"]
        for key, value in asdict(self).items():
            if key == "shop_dir":
                continue
            if isinstance(value, str):
                lines.append(f'{key} = "{value}"')
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f"{key} = {value}")
        return "\n".join(lines) + "\n"


def _coerce(name: str, raw: object, kind: type) -> object:
    """Convert a value from TOML or the environment to the field's type, with an error naming the field."""
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).strip().lower() in ("1", "true", "yes", "on"):
                return True
            if str(raw).strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)  # type: ignore[arg-type]
        if kind is float:
            return float(raw)  # type: ignore[arg-type]
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} must be {kind.__name__}, got {raw!r}") from exc


def load_settings(shop_dir: Path | str) -> Settings:
    """Read daogou.toml in `shop_dir` (if present) and apply DAOGOU_* overrides."""
    shop_dir = Path(shop_dir)
    values: dict[str, object] = {}
    path = shop_dir / CONFIG_NAME
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        values.update(data.get("shop", {}))
    types = {f.name: f.type for f in fields(Settings)}
    kinds = {"int": int, "float": float, "str": str, "bool": bool}
    settings = Settings(shop_dir=shop_dir)
    for name, type_name in types.items():
        if name == "shop_dir":
            continue
        env = os.environ.get(f"DAOGOU_{name.upper()}")
        raw = env if env is not None else values.get(name)
        if raw is None:
            continue
        setattr(settings, name, _coerce(name, raw, kinds.get(str(type_name), str)))
    unknown = set(values) - set(types)
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
    return settings


def update_settings_file(shop_dir: Path | str, **changes: object) -> None:
    """Change settings in the shop's daogou.toml, keeping the file's other values (environment overrides are not
    written: they belong to the process that set them)."""
    shop_dir = Path(shop_dir)
    path = shop_dir / CONFIG_NAME
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("shop", {}) if path.exists() else {}
    types = {f.name: f.type for f in fields(Settings)}
    kinds = {"int": int, "float": float, "str": str, "bool": bool}
    settings = Settings(shop_dir=shop_dir)
    for name, raw in {**data, **changes}.items():
        if name not in types or name == "shop_dir":
            raise ConfigError(f"unknown setting {name!r}")
        setattr(settings, name, _coerce(name, raw, kinds.get(str(types[name]), str)))
    atomic.write_text(path, settings.to_toml())

