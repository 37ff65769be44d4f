"""A self-attentive sequential recommender (SASRec family): the next item from the order of the last N items.

Why: with purchase order and no timestamps (Amazon's leave-one-out sets) "what comes next" is the signal, and
a causal Transformer over the item sequence is the standard strong model. Trained with full softmax
cross-entropy over every item at every position (not SASRec's original one sampled negative per step: the
full loss is what lets the plain architecture match the contrastive variants of the published tables), with
early stopping on the validation item. scikit-learn style: hyper-parameters in __init__, fit → self, learned
state ends in "_". Item ids are 1..n_items; 0 is padding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from daogou.evaluate.sequential import full_ranking


class _SASRec(nn.Module):
    def __init__(self, n_items: int, max_len: int, dim: int, layers: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.positions = nn.Embedding(max_len, dim)
        self.dropout = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=dim, dropout=dropout, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        mask = torch.triu(torch.ones(max_len, max_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal", mask, persistent=False)
        nn.init.normal_(self.items.weight, std=dim**-0.5)
        with torch.no_grad():
            self.items.weight[0].zero_()

    def forward(self, seqs: torch.Tensor) -> torch.Tensor:
        """(batch, max_len) item ids, left-padded → (batch, max_len, dim) states; state t predicts item t+1."""
        length = seqs.shape[1]
        x = self.items(seqs) * math.sqrt(self.items.embedding_dim) + self.positions.weight[:length]
        x = self.dropout(x) * (seqs > 0).unsqueeze(-1)
        x = self.encoder(x, mask=self.causal[:length, :length], src_key_padding_mask=None, is_causal=True)
        return self.norm(x)


def _left_pad(seq: Sequence[int], length: int) -> list[int]:
    seq = list(seq)[-length:]
    return [0] * (length - len(seq)) + seq


class SASRecRecommender:
    """Next-item model over item-id sequences. `fit(train, valid)`; `scores(histories)`; `recommend(history, k)`."""

    def __init__(self, max_len: int = 50, dim: int = 64, layers: int = 2, heads: int = 2, dropout: float = 0.5,
                 lr: float = 1e-3, batch_size: int = 256, epochs: int = 200, patience: int = 5, eval_every: int = 2,
                 seed: int = 42, threads: int = 2) -> None:
        self.max_len = max_len
        self.dim = dim
        self.layers = layers
        self.heads = heads
        self.dropout = dropout
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.eval_every = eval_every
        self.seed = seed
        self.threads = threads

    def fit(self, train: Sequence[Sequence[int]], n_items: int, valid: Sequence[tuple[Sequence[int], int]] = (),
            progress: Callable[[dict[str, float]], None] | None = None) -> "SASRecRecommender":
        """Train on `train` sequences (each predicts its own next items); stop when NDCG@20 on `valid`
        (history, held-out next item) has not improved for `patience` evaluations, keeping the best weights."""
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self._fit(train, n_items, valid, progress)
        finally:  # training's thread count must not leak into serving, which runs one thread per process
            torch.set_num_threads(previous)

    def _fit(self, train: Sequence[Sequence[int]], n_items: int, valid: Sequence[tuple[Sequence[int], int]],
             progress: Callable[[dict[str, float]], None] | None) -> "SASRecRecommender":
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.n_items_ = n_items
        self.model_ = _SASRec(n_items, self.max_len, self.dim, self.layers, self.heads, self.dropout)
        optimiser = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        inputs = np.array([_left_pad(s[:-1], self.max_len) for s in train if len(s) > 1], dtype=np.int64)
        targets = np.array([_left_pad(s[1:], self.max_len) for s in train if len(s) > 1], dtype=np.int64)
        best, best_state, stale = -1.0, None, 0
        self.history_: list[dict[str, float]] = []
        started = time.perf_counter()
        for epoch in range(1, self.epochs + 1):
            self.model_.train()
            order = rng.permutation(len(inputs))
            total, steps = 0.0, 0
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                seqs, nexts = torch.from_numpy(inputs[batch]), torch.from_numpy(targets[batch])
                states = self.model_(seqs)
                where = nexts > 0  # only real positions: most of a short sequence is padding
                logits = states[where] @ self.model_.items.weight.T
                loss = nn.functional.cross_entropy(logits, nexts[where])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach())
                steps += 1
            record = {"epoch": epoch, "loss": total / max(steps, 1), "seconds": time.perf_counter() - started}
            if valid and epoch % self.eval_every == 0:
                record["valid_ndcg20"] = full_ranking(self.scores, valid, ks=(20,))["ndcg@20"]
                if record["valid_ndcg20"] > best:
                    best, stale = record["valid_ndcg20"], 0
                    best_state = {k: v.detach().clone() for k, v in self.model_.state_dict().items()}
                else:
                    stale += 1
            self.history_.append(record)
            if progress:
                progress(record)
            if stale >= self.patience:
                break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.best_valid_ = best
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def load_state(self, state: dict[str, torch.Tensor], n_items: int) -> "SASRecRecommender":
        """Weights saved from a fitted model (same hyper-parameters), ready to score without training."""
        self.n_items_ = n_items
        self.model_ = _SASRec(n_items, self.max_len, self.dim, self.layers, self.heads, self.dropout)
        self.model_.load_state_dict(state)
        self.model_.eval()
        self.history_ = []
        self.fit_seconds_ = 0.0
        return self

    @torch.no_grad()
    def scores(self, histories: Sequence[Sequence[int]]) -> np.ndarray:
        """Scores of every item id (column 0 is padding, -inf) after each history."""
        self.model_.eval()
        out = np.empty((len(histories), self.n_items_ + 1), dtype=np.float32)
        for start in range(0, len(histories), 512):
            chunk = histories[start : start + 512]
            seqs = torch.tensor([_left_pad(h, self.max_len) for h in chunk], dtype=torch.long)
            last = self.model_(seqs)[:, -1]
            out[start : start + len(chunk)] = (last @ self.model_.items.weight.T).numpy()
        out[:, 0] = -np.inf
        return out

    def recommend(self, history: Sequence[int], k: int = 10, exclude_seen: bool = True) -> list[tuple[int, float]]:
        """The k likeliest next items after `history` (items already in it left out)."""
        row = self.scores([history])[0]
        if exclude_seen:
            row[[i for i in history if 0 < i <= self.n_items_]] = -np.inf
        top = np.argpartition(-row, min(k, row.size - 1))[:k]
        top = top[np.argsort(-row[top])]
        return [(int(i), float(row[i])) for i in top if np.isfinite(row[i])]
