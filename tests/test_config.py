from pathlib import Path

import pytest

from daogou.config import Settings, load_settings
from daogou.errors import ConfigError


def test_defaults_run_offline_with_sqlite_in_the_shop(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.text_model == "e5-small" and settings.image_model == "efficientnet-lite0"
    assert settings.resolved_store_url == f"sqlite:///{(tmp_path / 'catalog.db').resolve()}"


def test_file_round_trip_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(shop_dir=tmp_path, workers=3, store_url="postgresql://db/shop", tryon_rigs=False)
    (tmp_path / "daogou.toml").write_text(settings.to_toml())
    assert load_settings(tmp_path).workers == 3
    assert load_settings(tmp_path).tryon_rigs is False
    monkeypatch.setenv("DAOGOU_TRYON_RIGS", "yes")
    assert load_settings(tmp_path).tryon_rigs is True
    assert load_settings(tmp_path).store_url == "postgresql://db/shop"
    monkeypatch.setenv("DAOGOU_WORKERS", "1")
    assert load_settings(tmp_path).workers == 1


def test_bad_values_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAOGOU_WORKERS", "many")
    with pytest.raises(ConfigError, match="workers"):
        load_settings(tmp_path)
    monkeypatch.delenv("DAOGOU_WORKERS")
    monkeypatch.setenv("DAOGOU_TRYON_RIGS", "perhaps")
    with pytest.raises(ConfigError, match="tryon_rigs"):
        load_settings(tmp_path)


def test_unknown_and_broken_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "daogou.toml").write_text("[shop]\nwokers = 2\n")
    with pytest.raises(ConfigError, match="wokers"):
        load_settings(tmp_path)
    (tmp_path / "daogou.toml").write_text("[shop\n")
    with pytest.raises(ConfigError):
        load_settings(tmp_path)
