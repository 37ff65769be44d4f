"""The fusion classifier: estimator API on synthetic data where each modality carries part of the answer,
bad input (a class seen once, empty text, missing photo), and the shop-level train/eval on the real slice."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from daogou.cli import app
from daogou.shop import Shop
from daogou.understand.classify import FusionClassifier, Modalities, mask_words, merge_rare


def _synthetic(n: int = 600, seed: int = 0) -> tuple[Modalities, np.ndarray]:
    """4 classes: the image tells {A,B} from {C,D}; the text tells {A,C} from {B,D}. Only both together are exact."""
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array(["A", "B", "C", "D"], dtype=object), n)
    image = rng.normal(size=(n, 8)) * 0.3
    text = rng.normal(size=(n, 6)) * 0.3
    image[:, 0] += np.where(np.isin(y, ["A", "B"]), 2.0, -2.0)
    text[:, 0] += np.where(np.isin(y, ["A", "C"]), 2.0, -2.0)
    return Modalities.build(image, text), y


@pytest.mark.parametrize("fusion, combine", [("feature", "weighted"), ("decision", "weighted"), ("decision", "stacking")])
def test_fusion_beats_each_modality(fusion: str, combine: str) -> None:
    X, y = _synthetic()
    train, test = np.arange(450), np.arange(450, 600)
    fused = FusionClassifier(fusion=fusion, combine=combine).fit(X.take(train), y[train])
    assert fused is not None and list(fused.classes_) == ["A", "B", "C", "D"]
    image = FusionClassifier(fusion="image").fit(X.take(train), y[train]).score(X.take(test), y[test])
    text = FusionClassifier(fusion="text").fit(X.take(train), y[train]).score(X.take(test), y[test])
    both = fused.score(X.take(test), y[test])
    assert image < 0.6 and text < 0.6 and both > 0.95
    proba = fused.predict_proba(X.take(test))
    assert proba.shape == (150, 4) and np.allclose(proba.sum(axis=1), 1, atol=1e-6)


def test_missing_photo_and_empty_text_fall_back_to_the_other_modality() -> None:
    X, y = _synthetic()
    model = FusionClassifier(fusion="decision").fit(X.take(np.arange(450)), y[:450])
    test = X.take(np.arange(450, 600))
    no_photo = Modalities.build(np.zeros_like(test.image), test.text)
    assert not no_photo.has_image.any()
    predicted = model.predict(no_photo)
    # text alone can only tell {A,C} from {B,D}: every prediction must respect that split
    truth = y[450:]
    assert np.mean(np.isin(predicted, ["A", "C"]) == np.isin(truth, ["A", "C"])) > 0.95
    feature = FusionClassifier(fusion="feature").fit(X.take(np.arange(450)), y[:450])
    assert feature.predict(Modalities.build(test.image, np.zeros_like(test.text))).shape == (150,)


def test_rare_classes_merge_and_bad_parameters() -> None:
    merged, rare = merge_rare(np.array(["a"] * 6 + ["b"] * 6 + ["once"], dtype=object), 5)
    assert rare == ["once"] and list(merged).count("other") == 1
    X, y = _synthetic(60)
    with pytest.raises(ValueError, match="fusion"):
        FusionClassifier(fusion="late").fit(X, y)
    with pytest.raises(ValueError, match="two classes"):
        FusionClassifier().fit(X, np.array(["A"] * 60, dtype=object))
    assert mask_words("Turtle Check Men Navy Blue Shirt", {"navy", "blue", "shirt"}) == "Turtle Check Men"


def test_train_and_eval_classify_on_the_real_slice(myntra_shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "shop"
    shutil.copytree(myntra_shop.path, path)
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "classify", str(path), "--target", "gender", "--variant", "image-only", "--variant", "feature-logreg", "--text", "masked"])
    assert result.exit_code == 0, result.output
    data = json.loads((path / "reports" / "classify_gender.json").read_text())
    assert {r["variant"] for r in data["rows"]} == {"image-only (masked)", "feature-logreg (masked)"}
    assert (path / "reports" / "classify_gender_confusion.png").exists()
    result = runner.invoke(app, ["train", "classify", str(path), "--target", "usage", "--fusion", "decision"])
    assert result.exit_code == 0, result.output
    card = json.loads((path / "models" / "classify-usage.json").read_text())
    assert card["metrics"]["accuracy"] > 0.5 and card["split"]["seed"] == 42
    result = runner.invoke(app, ["train", "classify", str(path), "--fusion", "late"])
    assert result.exit_code == 1 and "--fusion" in result.output
