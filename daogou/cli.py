"""The `daogou` command line (Typer): init, import, index, search, demo.

Why thin: every command is a call on the Shop facade plus printing; errors the user can act on
(DaogouError) are printed as one red line with exit code 1, never as a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from daogou import atomic
from daogou.catalog.importers import parse_mapping
from daogou.errors import DaogouError
from daogou.search.results import SearchResult
from daogou.speech import Transcript
from daogou.shop import ImportReport, RecordsReport, Shop

if TYPE_CHECKING:
    from daogou.tryon.service import LookResult

app = typer.Typer(help="daogou 导购 — a self-hosted multimodal AI shopping guide.", no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., object])


def friendly(fn: F) -> F:
    """Turn DaogouError into a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except DaogouError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted; everything committed so far is kept — run the command again to resume[/yellow]")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


ShopDir = Annotated[Path, typer.Argument(help="The shop directory.")]


@app.command()
@friendly
def init(shop: ShopDir, store_url: Annotated[str, typer.Option(help="SQLAlchemy URL; default: SQLite in the shop")] = "") -> None:
    """Create a new shop directory."""
    overrides = {"store_url": store_url} if store_url else {}
    Shop.init(shop, **overrides).close()
    console.print(f"created shop in [bold]{shop}[/bold]; next: daogou import {shop} CATALOG.csv --preset ...")


def _print_import(report: ImportReport) -> None:
    console.print(
        f"{report.source}: [green]{report.added} added[/green], {report.updated} updated, {report.unchanged} unchanged, "
        f"[yellow]{len(report.errors)} skipped[/yellow]"
        + (f", {report.without_image} without photo" if report.without_image else "")
        + f" ({report.seconds:.1f} s)"
    )
    for error in report.errors[:20]:
        err.print(f"  skipped {error}")
    if len(report.errors) > 20:
        err.print(f"  ... and {len(report.errors) - 20} more skipped rows")


@app.command("import")
@friendly
def import_(
    shop: ShopDir,
    catalog: Annotated[Path, typer.Argument(help="CSV, TSV, JSONL or Parquet file")],
    preset: Annotated[str | None, typer.Option(help="myntra | hm | flipkart | amazon_s3rec (the *_item_textid.txt of the S3-Rec Amazon sets)")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN, e.g. title=name or attr.colour=Colour")] = None,
    encoding: Annotated[str | None, typer.Option(help="text encoding of the file, e.g. latin-1")] = None,
    limit: Annotated[int | None, typer.Option(help="import only the first N good rows")] = None,
    image_dir: Annotated[Path | None, typer.Option(help="folder relative photo paths are under (default: the catalog's folder)")] = None,
) -> None:
    """Import products; bad rows are reported with file and line and skipped."""
    mapping = parse_mapping(map_ or [])
    if encoding:
        mapping["encoding"] = encoding
    with Shop.open(shop) as s:
        _print_import(s.import_catalog(catalog, preset=preset, mapping=mapping, limit=limit, image_dir=image_dir))


@app.command()
@friendly
def delete(
    shop: ShopDir,
    product_ids: Annotated[list[str], typer.Argument(help="ids of the products to remove")],
) -> None:
    """Remove products from the catalog and the indexes; their behaviour and reviews are kept but no longer used."""
    with Shop.open(shop) as s:
        removed, unknown = s.delete_products(product_ids)
    console.print(f"removed {removed} product(s)" + (f"; not in the catalog: {', '.join(unknown)}" if unknown else ""))
    if unknown and not removed:
        raise typer.Exit(1)


@app.command()
@friendly
def backup(shop: ShopDir, archive: Annotated[Path, typer.Argument(help="the .tar.gz file to write")]) -> None:
    """Back up a shop while it may be serving: a consistent store snapshot, photos, models and the live index."""
    from daogou.backup import backup as make_backup

    report = make_backup(shop, archive)
    console.print(f"backed up {report.files} files ({report.bytes / 1e6:.1f} MB) to {report.path} in {report.seconds:.1f} s")


@app.command()
@friendly
def restore(
    archive: Annotated[Path, typer.Argument(help="a backup written by `daogou backup`")],
    shop: Annotated[Path, typer.Argument(help="a new, empty folder for the restored shop")],
) -> None:
    """Restore a backup into a new folder, verifying every file's checksum first."""
    from daogou.backup import restore as unpack

    files = unpack(archive, shop)
    with Shop.open(shop) as s:
        console.print(f"restored {files} files into {shop}: {s.store.count()} products")


@app.command()
@friendly
def migrate(
    shop: ShopDir,
    to: Annotated[str | None, typer.Option("--to", help="SQLAlchemy URL of an empty database (postgresql+psycopg://user@host/db), or 'sqlite' for the shop's own file")] = None,
    search: Annotated[str | None, typer.Option("--search", help="where the vector indexes go: a PostgreSQL URL (pgvector), milvus://host:19530 (Milvus), or 'embedded' for FAISS files")] = None,
    lexical: Annotated[str | None, typer.Option("--lexical", help="where the BM25 index goes: milvus://host:19530 (Milvus ≥ 2.5), or 'embedded' for tantivy files")] = None,
    queries: Annotated[int, typer.Option(help="searches compared before and after the move")] = 20,
) -> None:
    """Move the shop's store (SQLite ⇄ PostgreSQL), its vector indexes (FAISS ⇄ pgvector ⇄ Milvus) and/or its BM25 index
    (tantivy ⇄ Milvus); each move is verified by searches."""
    from rich.progress import Progress

    from daogou.relocate import move_lexical, move_store, move_vectors

    if to is None and search is None and lexical is None:
        raise DaogouError("say where to: --to for the store, --search for the vector indexes, --lexical for BM25")
    if to is not None:
        with Progress(console=err) as bar:
            task = bar.add_task("copying", total=None)
            report = move_store(shop, "" if to == "sqlite" else to, queries, lambda table, rows: bar.update(task, description=f"copying {table}: {rows} rows"))
        console.print(f"moved {report.rows.get('products', 0)} products to {report.target.split('@')[-1]}: "
                      f"{sum(report.rows.values())} rows, {report.same_results}/{report.queries} searches identical ({report.seconds:.1f} s)")
    if search is not None:
        moved = move_vectors(shop, "" if search == "embedded" else search, queries)
        console.print(f"moved vector indexes to {moved.target.split('@')[-1]}: {', '.join(f'{k} {v}' for k, v in moved.rows.items())}; "
                      f"{moved.same_results}/{moved.queries} searches identical, every top 3 the same, top-10 overlap {moved.overlap:.2f} "
                      f"({moved.seconds:.1f} s)")
    if lexical is not None:
        moved = move_lexical(shop, "" if lexical == "embedded" else lexical, queries)
        console.print(f"moved the BM25 index to {moved.target.split('@')[-1]}: {', '.join(f'{k} {v}' for k, v in moved.rows.items())} products; "
                      f"{moved.same_results}/{moved.queries} searches identical, every top 3 the same, top-10 overlap {moved.overlap:.2f} "
                      f"({moved.seconds:.1f} s)")


@app.command()
@friendly
def index(
    shop: ShopDir,
    workers: Annotated[int | None, typer.Option(help="encoding processes")] = None,
    ray: Annotated[str | None, typer.Option(help='encode on Ray: "auto" ($RAY_ADDRESS, a cluster on this machine, else a local Ray), "local", or an address such as ray://head:10001')] = None,
) -> None:
    """Encode new and changed products, then rebuild the search indexes."""
    with Shop.open(shop) as s:
        report = s.index(show_progress=True, workers=workers, ray=ray)
    encoded = ", ".join(f"{space} {n}" for space, n in report.encoded.items())
    indexed = ", ".join(f"{space} {n}" for space, n in report.indexed.items())
    console.print(f"encoded now: {encoded}; indexed: {indexed} ({report.seconds:.1f} s)")
    for pid, reason in report.failures[:20]:
        err.print(f"  not encoded {pid}: {reason}")


def _print_result(result: SearchResult, as_json: bool, transcript: Transcript | None = None) -> None:
    if as_json:
        data = result.to_dict()
        if transcript is not None:
            data.update(transcript=transcript.text, language=transcript.language, heard=transcript.heard)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if transcript is not None:
        fixed = "".join(f"  ({c.heard} → {c.meant})" for c in transcript.corrections)
        console.print(f"heard ({transcript.language}, {transcript.took_ms:.0f} ms): [bold]{transcript.text}[/bold]{fixed}")
    understood = ""
    if result.understood:
        chips = result.understood.get("chips") or []
        understood = "  [" + "; ".join(("not " if c["negated"] else "") + f"{c['field']}: {c['text']}" for c in chips) + "]" if chips else ""  # type: ignore[index,union-attr]
    extra = "".join(f"  {k}: {v}" for k, v in result.inferred.items())
    if result.relaxed:
        extra += f"  (nothing matched all of it; dropped: {', '.join(result.relaxed)})"
    table = Table(title=f"{result.mode} search: {result.query!r}{understood}{extra} — {len(result.hits)} hits in {result.took_ms:.0f} ms")
    for column in ("#", "id", "title", "why"):
        table.add_column(column)
    for rank, hit in enumerate(result.hits, start=1):
        table.add_row(str(rank), hit.id, hit.title, hit.explanation())
    console.print(table)


def _parse_filters(items: list[str] | None) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for item in items or []:
        if "=" not in item:
            raise DaogouError(f"--filter {item!r}: expected NAME=VALUE[,VALUE...]")
        name, values = item.split("=", 1)
        filters.setdefault(name.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    return filters


def _read_file(path: Path) -> bytes:
    """A small input file's bytes, or a one-line error (not a traceback) when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DaogouError(f"cannot read {path}: {exc.strerror or exc}") from None


@app.command()
@friendly
def search(
    shop: ShopDir,
    query: Annotated[str | None, typer.Argument(help="what to look for, in any language")] = None,
    image: Annotated[Path | None, typer.Option(help="a photo to search by")] = None,
    k: Annotated[int, typer.Option(help="number of results")] = 10,
    filter_: Annotated[list[str] | None, typer.Option("--filter", help="NAME=VALUE[,VALUE], e.g. gender=Men")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
    understand: Annotated[bool, typer.Option(help="turn colours, types, genders, prices... in the words into filters")] = True,
    voice: Annotated[Path | None, typer.Option(help="a recording of the query (wav, webm, ogg, mp3, m4a; at most 30 s)")] = None,
    lang: Annotated[str | None, typer.Option(help="language of the recording: zh or en (default: detected)")] = None,
    look: Annotated[Path | None, typer.Option(help="a photo of a dressed person: one row of products per thing worn")] = None,
) -> None:
    """Search the shop by words, by voice, by photo, or a photo plus words ("like this but in blue")."""
    with Shop.open(shop) as s:
        if look is not None:
            _print_look(s.shop_the_look(look, k=k), as_json)
            return
        transcript = None
        if voice is not None:
            if query:
                raise DaogouError("give the words or --voice, not both")
            if lang not in (None, "zh", "en"):
                raise DaogouError("--lang must be zh or en")
            transcript = s.voice.transcribe(_read_file(voice), lang)
            query = transcript.text
        _print_result(s.search(text=query, image=image, k=k, filters=_parse_filters(filter_), understand=understand), as_json, transcript)


def _print_look(found: LookResult, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if not found.look.person:
        console.print("no person in the photo: searched the whole photo")
    for row in found.rows:
        where = ", ".join(f"{k}: {'/'.join(v)}" for k, v in row.filters.items()) or "any kind"
        table = Table(title=f"{row.region.kind} {row.region.box} ({where})")
        for column in ("#", "id", "title"):
            table.add_column(column)
        for rank, hit in enumerate(row.result.hits, start=1):
            table.add_row(str(rank), hit.id, hit.title)
        console.print(table)


@app.command()
@friendly
def tryon(
    shop: ShopDir,
    product: Annotated[str | None, typer.Argument(help="the product id to try on")] = None,
    photo: Annotated[Path | None, typer.Argument(help="a photo of a person facing the camera (JPEG, PNG, WebP)")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="where to write the preview (PNG)")] = None,
    report: Annotated[bool, typer.Option(help="list which products can be tried on, by type, and why not")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """Try a top on a person's photo (a preview, 试穿预览), or report which products can be tried on."""
    with Shop.open(shop) as s:
        if report:
            table_data = s.tryon.report(s.store.iter_products())
            if as_json:
                print(json.dumps(table_data, ensure_ascii=False, indent=2))
                return
            table = Table(title="try-on eligibility by type")
            for column in ("type", "products", "eligible", "why not (most common)"):
                table.add_column(column)
            for kind, row in table_data.items():
                reasons = row["reasons"]
                top = next(iter(reasons.items()), None) if isinstance(reasons, dict) else None
                table.add_row(kind, str(row["products"]), str(row["eligible"]), f"{top[1]}× {top[0]}" if top else "")
            console.print(table)
            return
        if product is None or photo is None or out is None:
            raise DaogouError("give PRODUCT PHOTO -o OUT.png, or --report")
        result = s.tryon.try_on(s.product(product), photo)
        atomic.write_bytes(out, result.png)
        if as_json:
            print(json.dumps({"out": str(out), "stages_ms": result.stages_ms, "checks": result.checks, "label": result.label}, ensure_ascii=False))
            return
        console.print(f"{result.label}: wrote {out} in {result.stages_ms['total']:.0f} ms")


@app.command("import-docs")
@friendly
def import_docs(shop: ShopDir, documents: Annotated[list[Path], typer.Argument(help="policy documents: Markdown or text, zh or en")]) -> None:
    """Import the shop's policy documents (shipping, returns, warranty...); the assistant answers only from them."""
    with Shop.open(shop) as s:
        for path in documents:
            console.print(f"{path.name}: {s.import_docs(path)} sections")


def _print_turn(reply, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        print(json.dumps(reply.to_dict(), ensure_ascii=False))
        return
    console.print(f"[bold]导购[/bold] ({reply.act}): {reply.reply}")
    for row in reply.table or []:
        console.print(f"   {row['title']} | {row['price']} | {row['attributes']} | reviews: {row.get('reviews')}")
    for citation in reply.citations:
        console.print(f"   [dim]source: {citation['doc']} › {citation['section']}[/dim]")


@app.command()
@friendly
def chat(
    shop: ShopDir,
    script: Annotated[Path | None, typer.Option(help="a file with one user turn per line (no prompt)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per turn")] = False,
    session: Annotated[str | None, typer.Option(help="continue a stored session")] = None,
    lang: Annotated[str | None, typer.Option(help="reply language: zh or en (default: the shopper's)")] = None,
) -> None:
    """Talk to the shopping assistant: interactively, or one turn per line of --script."""
    with Shop.open(shop) as s:
        if script is not None:
            for line in script.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    reply = s.chat(line, session_id=session, language=lang)
                    session = reply.session_id
                    _print_turn(reply, as_json)
            return
        console.print("daogou 导购 — type your message, an empty line to quit")
        while True:
            try:
                line = input("> ").strip()
            except EOFError:
                break
            if not line:
                break
            reply = s.chat(line, session_id=session, language=lang)
            session = reply.session_id
            _print_turn(reply, as_json)


train_app = typer.Typer(help="Train the shop's own heads on its catalog (seeded split; figures on held-out products).")
app.add_typer(train_app, name="train")


def _train(shop: Path, what: str, **params: object) -> None:
    with Shop.open(shop) as s:
        report = s.train(what, **params)
    console.print(f"trained {report.name} on {report.train_items} {'events' if what == 'recommend' else 'examples'} in {report.seconds:.1f} s → {report.path}")
    for name, value in report.metrics.items():
        console.print(f"  {name}: {value}")


@train_app.command("align")
@friendly
def train_align(shop: ShopDir) -> None:
    """Image↔text alignment heads: words find products by their photos, photos find text-only products."""
    _train(shop, "align")


@train_app.command("colour")
@friendly
def train_colour(shop: ShopDir) -> None:
    """Photo → colour head: fills missing colours (marked as predicted) and reads a query photo's colour."""
    _train(shop, "colour")


def _print_records(report: RecordsReport, noun: str) -> None:
    """One line for an events or reviews import, then the skipped rows with file and line."""
    console.print(
        f"{report.source}: [green]{report.added} {noun} added[/green], {report.already_imported} already imported, "
        f"{report.unknown_products} naming products not in the catalog, [yellow]{len(report.errors)} skipped[/yellow]"
    )
    for error in report.errors[:20]:
        err.print(f"  skipped {error}")


@app.command("import-events")
@friendly
def import_events(
    shop: ShopDir,
    events: Annotated[Path, typer.Argument(help="CSV, TSV, JSONL or Parquet of views / carts / purchases")],
    preset: Annotated[str, typer.Option(help="hm | generic (user_id, product_id, timestamp, price, kind) | sequence (\"user item item ...\" per line, in order)")] = "generic",
    map_: Annotated[list[str] | None, typer.Option("--map", help="FIELD=COLUMN for user, product, timestamp, price, kind")] = None,
) -> None:
    """Import user behaviour; bad rows are reported with file and line; re-importing a file adds nothing."""
    mapping = parse_mapping(map_ or [])
    with Shop.open(shop) as s:
        report = s.import_events(events, preset=preset, mapping=mapping or None)
    _print_records(report, "events")


@app.command("import-reviews")
@friendly
def import_reviews(
    shop: ShopDir,
    reviews_file: Annotated[Path, typer.Argument(help="CSV, TSV, JSONL or Parquet of reviews")],
    preset: Annotated[str, typer.Option(help="womens-clothing | generic (product_id, text, rating, date)")] = "generic",
) -> None:
    """Import customer reviews; bad rows are reported with file and line."""
    with Shop.open(shop) as s:
        report = s.import_reviews(reviews_file, preset=preset)
    _print_records(report, "reviews")


@app.command()
@friendly
def reviews(
    shop: ShopDir,
    product: Annotated[str, typer.Argument(help="product id")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """What the reviews of one product say: sentiment, aspects with counts, fit, and the sentences behind them."""
    from dataclasses import asdict

    with Shop.open(shop) as s:
        summary = s.review_summary(product)
    if as_json:
        sys.stdout.write(json.dumps({**asdict(summary), "headline": summary.headline()}, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]{product}[/bold]: {summary.headline()}  (rating {summary.mean_rating}, quality {summary.quality})")
    for a in summary.aspects:
        console.print(f"  [bold]{a.aspect}[/bold]: {a.positive} positive, {a.negative} negative of {a.reviews}")
        for sentence in a.positive_examples:
            console.print(f"     + {sentence}")
        for sentence in a.negative_examples:
            console.print(f"     − {sentence}")


@app.command()
@friendly
def recommend(
    shop: ShopDir,
    user: Annotated[str, typer.Option(help="customer id")],
    k: Annotated[int, typer.Option(help="number of products")] = 12,
    prefer: Annotated[list[str] | None, typer.Option(help="NAME=VALUE[,VALUE]: only these, e.g. colour=Black")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """Personal recommendations (hybrid of popularity, category popularity, item-kNN, ALS, BPR and content), each with its reason."""
    from daogou.recommend.preferences import Preferences

    with Shop.open(shop) as s:
        recs, note = s.recommend(user, k, Preferences(attributes=_parse_filters(prefer)))
        titles = s.store.get_many([r.item for r in recs])
        words = s.explain(recs)
    if as_json:
        items = [
            {"id": r.item, "title": titles[r.item].title if r.item in titles else "", "score": round(r.score, 6), "reason": w["en"], "reasons": w, "reason_code": r.reason}
            for r, w in zip(recs, words)
        ]
        sys.stdout.write(json.dumps({"user": user, "note": note, "items": items}, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"for {user}" + (f" — {note}" if note else ""))
    for column in ("#", "id", "title", "why"):
        table.add_column(column)
    for rank, (r, w) in enumerate(zip(recs, words), start=1):
        table.add_row(str(rank), r.item, titles[r.item].title if r.item in titles else "", w["en"])
    console.print(table)


@app.command()
@friendly
def similar(shop: ShopDir, product: Annotated[str, typer.Argument(help="product id")], k: Annotated[int, typer.Option()] = 12) -> None:
    """Products that look and read like one product."""
    with Shop.open(shop) as s:
        hits = s.similar(product, k)
    table = Table(title=f"like {product}")
    for column in ("#", "id", "title", "why"):
        table.add_column(column)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(str(rank), hit.id, hit.title, hit.explanation())
    console.print(table)


@app.command()
@friendly
def demo(
    shop: Annotated[Path, typer.Argument(help="where to build the demo shop")] = Path("daogou-demo"),
    limit: Annotated[int, typer.Option(help="products to import (0 = all 9,583)")] = 2000,
    serve_after: Annotated[bool, typer.Option("--serve", help="then serve the storefront on http://127.0.0.1:8000")] = False,
) -> None:
    """Build a demo shop from the Myntra catalog in ../shared/data and run a few searches."""
    from daogou.demo import DEMO_CONVERSATIONS, DEMO_POLICIES, DEMO_QUERIES, demo_source

    source = demo_source()
    s = Shop.init(shop, exist_ok=True)
    with s:
        console.print(f"[bold]daogou demo[/bold]: shop in {shop}, catalog {source.csv}")
        _print_import(s.import_catalog(source.csv, preset=source.preset, limit=limit or None))
        report = s.index(show_progress=True)
        console.print(f"indexed {report.indexed} in {report.seconds:.1f} s")
        for what in ("align", "colour"):
            trained = s.train(what)
            console.print(f"trained {what} head in {trained.seconds:.1f} s: " + ", ".join(f"{k} {v}" for k, v in trained.metrics.items() if "test" in k))
        for query in DEMO_QUERIES:
            _print_result(s.search(query, k=5), as_json=False)
        photo = next((p for p in s.store.iter_products() if p.image_path), None)
        if photo is not None:
            console.print(f"[bold]photo search[/bold] with the photo of {photo.id} ({photo.title}):")
            _print_result(s.search(image=photo.image_path, k=5), as_json=False)
        for doc in sorted(DEMO_POLICIES.glob("*.md")):  # the demo shop's policies, so the guide can answer shop questions
            s.import_docs(doc)
        for turns in DEMO_CONVERSATIONS:
            console.print("[bold]a conversation with the guide[/bold]:")
            session = None
            for line in turns:
                console.print(f"[cyan]shopper[/cyan]: {line}")
                reply = s.chat(line, session_id=session)
                session = reply.session_id
                _print_turn(reply, as_json=False)
    console.print(f"try: daogou search {shop} \"black running shoes\" --k 10   or   daogou chat {shop}")
    if serve_after:
        serve(shop)


@app.command()
@friendly
def serve(
    shop: ShopDir,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes (each loads the models once; 1 per core)")] = 1,
) -> None:
    """Serve the REST API (docs at /docs) and the storefront page. Admin endpoints need DAOGOU_ADMIN_TOKEN."""
    import os

    import uvicorn

    from daogou.serve.app import create_app

    import logging

    opened = Shop.open(shop)  # fail here, with a clear message, if this is not a shop
    hosts = opened.settings.allowed_hosts
    opened.close()
    if host not in ("0.0.0.0", "::") and "DAOGOU_ALLOWED_HOSTS" not in os.environ and host not in hosts.split(","):
        os.environ["DAOGOU_ALLOWED_HOSTS"] = f"{hosts},{host}"  # the address it listens on is a name it answers to
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # one JSON line per request (daogou.requests)
    console.print(f"daogou serving {shop} at http://{host}:{port}/  (API docs: /docs) with {workers} process(es)")
    # Bounded connections (503 beyond), idle connections closed after 5 s, headers capped at 16 KB.
    # A connection must deliver its first request within 10 s (slow-header clients are cut off; serve/protocol.py).
    from daogou.serve.protocol import GuardedHttpToolsProtocol

    limits = {"limit_concurrency": 256, "timeout_keep_alive": 5, "log_level": "warning", "http": GuardedHttpToolsProtocol}
    if workers > 1:
        os.environ["DAOGOU_SHOP"] = str(shop.resolve())
        uvicorn.run("daogou.serve.app:app_from_environment", factory=True, host=host, port=port, workers=workers, **limits)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(shop), host=host, port=port, **limits)  # type: ignore[arg-type]


@train_app.command("sentiment")
@friendly
def train_sentiment_cmd(
    shop: ShopDir,
    data: Annotated[Path | None, typer.Option(help="a CSV of reviews: text + label (0/1) or rating (1-5)")] = None,
    public: Annotated[bool, typer.Option(help="also use the public review sets when ../shared/data has them")] = True,
) -> None:
    """Review sentiment (zh + en): on the shop's own rated reviews, a file you name, and the public sets where present.

    The model card (models/sentiment.json) lists which sources it was trained on."""
    with Shop.open(shop) as s:
        report = s.train("sentiment", data=str(data) if data else None, public=public)
    console.print(f"trained sentiment on {report.train_items} reviews in {report.seconds:.1f} s → {report.path}")
    for name, value in report.metrics.items():
        console.print(f"  {name}: {value}")


@train_app.command("recommend")
@friendly
def train_recommend(
    shop: ShopDir,
    blend_only: Annotated[bool, typer.Option(help="keep the trained sequential model; refit only the blend (after new behaviour)")] = False,
) -> None:
    """The sequential model (stops early on each user's last item), then the hybrid's blend weights, fitted on the
    last 3 weeks of behaviour (or each user's last item when events have no real times); rerun after big imports."""
    from rich.progress import Progress

    with Progress(console=err) as bar:
        task = bar.add_task("sequential model", total=None)

        def progress(record: dict[str, float]) -> None:
            valid = f", valid NDCG@20 {record['valid_ndcg20']:.4f}" if "valid_ndcg20" in record else ""
            bar.update(task, advance=1, description=f"sequential model: epoch {record['epoch']:.0f}, loss {record['loss']:.3f}{valid}")

        _train(shop, "recommend", progress=progress, sequential=not blend_only)


@train_app.command("classify")
@friendly
def train_classify(
    shop: ShopDir,
    target: Annotated[str, typer.Option(help="attribute to predict, e.g. type, colour, gender")] = "type",
    fusion: Annotated[str, typer.Option(help="feature | decision | image | text")] = "feature",
    combine: Annotated[str, typer.Option(help="decision fusion: weighted | stacking")] = "weighted",
    model: Annotated[str, typer.Option(help="logreg | mlp")] = "logreg",
) -> None:
    """Fused photo + text classifier; fills the attribute for products that lack it (marked as predicted)."""
    names = {"image": "image-only", "text": "text-only", "feature": f"feature-{model}", "decision": f"decision-{combine}"}
    if fusion not in names:
        raise DaogouError(f"--fusion must be one of {sorted(names)}")
    with Shop.open(shop) as s:
        report = s.train("classify", target=target, variant=names[fusion])
    console.print(f"trained {report.name} ({names[fusion]}) on {report.train_items} products in {report.seconds:.1f} s → {report.path}")
    for name, value in report.metrics.items():
        console.print(f"  test {name}: {value}")


def _print_rows(title: str, rows: list, columns: list[str]) -> None:  # type: ignore[type-arg]
    """An evaluation table: one row per variant, floats to 4 places."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(f"{row[c]:.4f}" if isinstance(row[c], float) else str(row[c]) for c in columns))
    console.print(table)


eval_app = typer.Typer(help="Measure quality on judged data; writes JSON, Markdown and a PNG plot.")
app.add_typer(eval_app, name="eval")


@eval_app.command("search")
@friendly
def eval_search(
    shop: ShopDir,
    qrels: Annotated[Path, typer.Option(help="TSV: query<TAB>product_id<TAB>grade")],
    variant: Annotated[list[str] | None, typer.Option(help="hybrid | hybrid-no-understanding | bm25 | vector | bm25+vector | aligned-image")] = None,
    threshold: Annotated[float, typer.Option(help="grade at or above which a product counts as relevant")] = 1.0,
    out: Annotated[Path | None, typer.Option(help="report folder (default: SHOP/reports)")] = None,
) -> None:
    """Recall@K, MRR, nDCG@K and P@K of search on judged queries, for one or more configurations."""
    from daogou.evaluate.qrels import read_qrels
    from daogou.evaluate.report import write_report
    from daogou.evaluate.search_eval import as_table, evaluate_search

    judgements = read_qrels(qrels)
    with Shop.open(shop) as s:
        try:
            results = evaluate_search(s, judgements, variant or ["hybrid"], threshold=threshold)
        except ValueError as exc:
            raise DaogouError(str(exc)) from exc
        columns = ["ndcg@10", "recall@10", "mrr", "p@10"]
        rows = as_table(results, columns)
        data = {"qrels": str(qrels), "threshold": threshold, "results": [{"variant": r.variant, **r.metrics, "latency_ms_p50": r.latency_ms_p50} for r in results]}
        paths = write_report(out or s.path / "reports", "search_eval", data, rows, columns, f"search quality on {qrels.name}")
    _print_rows(f"search quality — {len(judgements)} queries", rows, ["variant", *columns, "latency_ms_p50"])
    console.print(f"report: {paths['md']}  plot: {paths['png']}  figures: {paths['json']}")


@eval_app.command("recommend")
@friendly
def eval_recommend(
    shop: ShopDir,
    days: Annotated[int, typer.Option(help="the last DAYS of events are the test set")] = 7,
    origins: Annotated[int, typer.Option(min=1, max=52, help="repeat the split on this many consecutive test windows and pool them")] = 1,
    out: Annotated[Path | None, typer.Option(help="report folder (default: SHOP/reports)")] = None,
    protocol: Annotated[str, typer.Option(help="time: the last DAYS held out | loo: each user's last product held out, full ranking")] = "time",
) -> None:
    """Every recommender on a time split (Recall@12, MAP@12, nDCG@12, coverage, cold-start recall) or leave-one-out
    (HR and NDCG at 5/10/20 of each user's last product, the hybrid scored through the serving path)."""
    from daogou.evaluate.recommend_eval import evaluate_recommenders, rolling_evaluation
    from daogou.evaluate.report import write_report

    if protocol not in ("time", "loo"):
        raise DaogouError(f"--protocol must be time or loo, got {protocol!r}")
    if protocol == "loo":
        _eval_recommend_loo(shop, out)
        return
    with Shop.open(shop) as s:
        catalog = {p.id for p in s.store.iter_products()}
        events = s.store.load_interactions()
        if origins == 1:
            rows = evaluate_recommenders(events, catalog, s.recommender_factories(), days=days)
            data: dict[str, object] = {"days": days, "rows": rows}
            title = f"recommenders, last {days} days held out"
        else:
            rolling = rolling_evaluation(events, catalog, s.recommender_factories(), origins=origins, days=days)
            rows = rolling["rows"]
            data = {"days": days, "windows": origins, "rows": rows, "per_window": rolling["origins"]}
            title = f"recommenders, {origins} test windows of {days} days, pooled"
        columns = ["recall@12", "map@12", "ndcg@12", "coverage", "cold_start_recall@12"]
        paths = write_report(out or s.path / "reports", "recommend_eval", data, [{"variant": r["model"], **{c: r[c] for c in columns}} for r in rows], columns, title)
    _print_rows(f"{title} — {rows[0]['test_users'] if rows else 0} test users", rows, ["model", *columns, "fit_s"])
    console.print(f"report: {paths['md']}  plot: {paths['png']}")


def _eval_recommend_loo(shop: Path, out: Path | None) -> None:
    from rich.progress import Progress

    from daogou.evaluate.report import write_report

    with Shop.open(shop) as s, Progress(console=err) as bar:
        task = bar.add_task("sequential model", total=None)

        def progress(record: dict[str, float]) -> None:
            bar.update(task, advance=1, description=f"sequential model: epoch {record['epoch']:.0f}, loss {record['loss']:.3f}")

        result = s.recommendations.evaluate_loo(progress)
        rows = result["rows"]
        columns = ["hr@5", "ndcg@5", "hr@10", "ndcg@10", "hr@20", "ndcg@20"]
        title = "recommenders, each user's last product held out (full ranking)"
        paths = write_report(out or s.path / "reports", "recommend_loo", result, [{"variant": r["model"], **{c: r[c] for c in columns}} for r in rows], columns, title)  # type: ignore[union-attr]
    _print_rows(f"{title} — {result['test_users']} test users", rows, ["model", *columns, "latency_ms_p50"])  # type: ignore[arg-type]
    if "best_single" in result:
        console.print(f"hybrid vs best single ({result['best_single']}), NDCG@20: {result['hybrid_vs_best_single_ndcg@20']}")
    console.print(f"report: {paths['md']}  plot: {paths['png']}")


@eval_app.command("classify")
@friendly
def eval_classify(
    shop: ShopDir,
    target: Annotated[str, typer.Option(help="attribute to predict")] = "type",
    text: Annotated[list[str] | None, typer.Option(help="title | masked (title-less: type and colour words removed)")] = None,
    variant: Annotated[list[str] | None, typer.Option(help="image-only | text-only | feature-logreg | feature-mlp | decision-weighted | decision-stacking")] = None,
    out: Annotated[Path | None, typer.Option(help="report folder (default: SHOP/reports)")] = None,
) -> None:
    """Accuracy, macro/weighted P/R/F1 of each fusion variant on the fixed split; JSON, Markdown, bar chart, confusion matrix."""
    from daogou.classifying import VARIANTS, build_dataset, evaluate_classifier
    from daogou.evaluate.report import confusion_png, write_report

    chosen = variant or ["image-only", "text-only", "feature-logreg", "decision-weighted", "decision-stacking"]
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        raise DaogouError(f"unknown variants {unknown}; known: {sorted(VARIANTS)}")
    rows, best = [], None
    with Shop.open(shop) as s:
        folder = out or s.path / "reports"
        for mode in text or ["title", "masked"]:
            data = build_dataset(s.store, s.settings, s.models_dir / "cache", target, mode)
            for row in evaluate_classifier(data, chosen):
                figures = {"variant": f"{row['variant']} ({mode})", **{k: v for k, v in row.items() if not k.startswith("_") and k != "variant"}}
                rows.append(figures)
                if best is None or row["macro_f1"] > best[0]["macro_f1"]:  # type: ignore[operator]
                    best = (row, data, mode)
        columns = ["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall"]
        paths = write_report(folder, f"classify_{target}", {"target": target, "rows": rows}, rows, ["macro_f1", "weighted_f1", "accuracy"], f"classify {target}")
        if best is not None:
            row, data, mode = best
            confusion_png(folder / f"classify_{target}_confusion.png", list(data.y[row["_test"]]), list(row["_pred"]), f"{target}: {row['variant']} ({mode})")
    _print_rows(f"classify {target}", rows, ["variant", *columns, "fit_s", "predict_ms_per_item"])
    console.print(f"report: {paths['md']}  plot: {paths['png']}  confusion: {folder / f'classify_{target}_confusion.png'}")


if __name__ == "__main__":
    app()
