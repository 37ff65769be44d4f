"""The offline pack encodes for real; other models load from a local directory (a tiny one built here)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daogou.errors import ModelUnavailable
from daogou.models.image import letterbox
from daogou.models.protocols import ImageEncoder, TextEncoder
from daogou.models.registry import image_encoder, text_encoder


def test_e5_is_multilingual_and_normalised() -> None:
    enc = text_encoder("e5-small")
    assert isinstance(enc, TextEncoder) and enc.dim == 384
    q = enc.encode_queries(["黑色男士运动鞋", "red dress"])
    p = enc.encode_passages(["Nike Men Black Running Shoes", "Women Red Floral Dress", "Steel analogue watch"])
    assert q.dtype == np.float32 and np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-4)
    sims = q @ p.T
    assert sims[0].argmax() == 0 and sims[1].argmax() == 1
    assert enc.encode_passages([]).shape == (0, 384)
    assert text_encoder("e5-small") is enc  # loaded once per process


def test_efficientnet_features_and_classes(myntra_dir: Path) -> None:
    enc = image_encoder("efficientnet-lite0")
    assert isinstance(enc, ImageEncoder) and enc.dim == 1280
    shirt = Image.open(myntra_dir / "images" / "15970.jpg")
    watch = Image.open(myntra_dir / "images" / "17429.jpg")
    vectors = enc.encode_images([shirt, watch, shirt.transpose(Image.FLIP_LEFT_RIGHT)])
    assert vectors.shape == (3, 1280) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]
    classes = enc.classify([watch])[0]  # type: ignore[attr-defined]
    # ImageNet: 826 stopwatch, 531 digital watch, 892 wall clock, 409 analog clock
    assert classes.argmax() in {826, 531, 892, 409, 635}


def test_photo_features_on_onnxruntime_equal_torchs(myntra_dir: Path) -> None:
    from daogou.models.image import EfficientNetLite0Encoder

    fast = image_encoder("efficientnet-lite0")
    assert fast._session is not None  # type: ignore[attr-defined]  # the converted network is what runs
    photos = [Image.open(myntra_dir / "images" / name) for name in ("15970.jpg", "17429.jpg", "10000.jpg")]
    reference = EfficientNetLite0Encoder(runtime="torch").encode_images(photos)
    assert ((fast.encode_images(photos) * reference).sum(1) > 0.9999).all()


def test_letterbox_keeps_aspect_and_flattens_transparency() -> None:
    rgba = Image.new("RGBA", (100, 50), (255, 0, 0, 0))
    out = letterbox(rgba, 64)
    assert out.size == (64, 64) and out.mode == "RGB"
    assert out.getpixel((32, 2)) == (255, 255, 255)  # padding


def _tiny_text_model(path: Path) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "red", "dress", "shoe", "black", "blue", "shirt"]
    (path / "vocab.txt").write_text("\n".join(vocab))
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(config).save_pretrained(path)
    return path


def _tiny_image_model(path: Path) -> Path:
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    config = ViTConfig(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    ViTModel(config).save_pretrained(path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(path)
    return path


def test_local_transformers_directories_load_through_the_registry(tmp_path: Path) -> None:
    text_dir = _tiny_text_model(tmp_path / "text")
    image_dir = _tiny_image_model(tmp_path / "image")
    text = text_encoder(str(text_dir))
    assert text.dim == 16 and text.name == str(text_dir)
    vectors = text.encode_queries(["red dress", "black shoe"])
    assert vectors.shape == (2, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    image = image_encoder(str(image_dir))
    out = image.encode_images([Image.new("RGB", (50, 80), "red"), Image.new("RGBA", (20, 20))])
    assert out.shape == (2, 16)


def test_unknown_models_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="unknown text model"):
        text_encoder("no-such-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailable, match="cannot load image model"):
        image_encoder(str(tmp_path / "empty"))
