"""Catalog-trained image↔text alignment: two heads mapping image features and text embeddings into one space.

Why: no CLIP-like joint model ships in any package here, so a text query cannot be compared with a
photo directly. Each shop has thousands of (photo, title) pairs, though; contrastive heads (InfoNCE,
as in CLIP) trained on them in seconds on a CPU let words find products by their photos (products with
poor titles) and photos find text-only products. The heads follow scikit-learn's estimator style.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from daogou import atomic
from daogou.models.protocols import normalise


#: Weight of the colour histogram beside the image features on the image side of the heads.
COLOUR_WEIGHT = 3.0


def image_side(image_vectors: np.ndarray, colour_vectors: np.ndarray | None) -> np.ndarray:
    """The image head's input: ImageNet features, plus colour features when the shop has them.

    Why colour: titles name colours and ImageNet features barely see them. On a Myntra validation split
    (767 pairs) adding the colour histogram lifted text→image R@1 from 0.42 to 0.50 and R@10 from 0.87 to 0.89.
    """
    if colour_vectors is None:
        return np.ascontiguousarray(image_vectors, dtype=np.float32)
    return np.ascontiguousarray(np.hstack([image_vectors, colour_vectors * COLOUR_WEIGHT]), dtype=np.float32)


@dataclass
class RetrievalScores:
    """Recall@K of text→image retrieval among a set of pairs (row i of each side belongs together)."""

    recall: dict[int, float]
    mrr: float
    pairs: int


def pair_retrieval(text_side: np.ndarray, image_side: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> RetrievalScores:
    """For each text row, the rank of its own image among all image rows (ties counted pessimistically)."""
    scores = text_side @ image_side.T
    own = np.diag(scores)
    ranks = (scores > own[:, None]).sum(axis=1) + 1
    return RetrievalScores({k: float(np.mean(ranks <= k)) for k in ks}, float(np.mean(1.0 / ranks)), len(ranks))


class AlignmentHeads:
    """Linear (or one-hidden-layer) heads trained with symmetric InfoNCE on matched (image, text) rows."""

    def __init__(
        self,
        out_dim: int = 384,
        hidden: int = 0,
        epochs: int = 40,
        batch_size: int = 512,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        temperature: float = 0.07,
        seed: int = 0,
    ) -> None:
        self.out_dim = out_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.seed = seed

    def _head(self, torch, d_in: int):  # type: ignore[no-untyped-def]
        nn = torch.nn
        if self.hidden:
            return nn.Sequential(nn.Linear(d_in, self.hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(self.hidden, self.out_dim))
        return nn.Linear(d_in, self.out_dim)

    def fit(self, image_vectors: np.ndarray, text_vectors: np.ndarray) -> "AlignmentHeads":
        """Train on rows that belong together (row i of each matrix is one product).

        Defaults chosen on a validation split of Myntra (767 pairs, R@10): linear 384-d heads at temperature
        0.07 (0.85) beat a 1024-unit hidden layer (0.81) and more epochs (0.81) in a quarter of the time.
        """
        import torch

        if len(image_vectors) != len(text_vectors) or len(image_vectors) < 2:
            raise ValueError("alignment needs at least two matched (image, text) rows")
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        x_img = torch.from_numpy(np.ascontiguousarray(image_vectors, dtype=np.float32))
        x_txt = torch.from_numpy(np.ascontiguousarray(text_vectors, dtype=np.float32))
        self.image_dim_, self.text_dim_ = x_img.shape[1], x_txt.shape[1]
        image_head, text_head = self._head(torch, self.image_dim_), self._head(torch, self.text_dim_)
        params = list(image_head.parameters()) + list(text_head.parameters())
        optimiser = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        steps = self.epochs * max(1, -(-len(x_img) // self.batch_size))
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=self.lr, total_steps=steps)
        self.loss_curve_: list[float] = []
        image_head.train(), text_head.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(x_img))
            epoch_loss = 0.0
            for start in range(0, len(order), self.batch_size):
                idx = torch.from_numpy(order[start : start + self.batch_size])
                if len(idx) < 2:
                    continue
                a = torch.nn.functional.normalize(image_head(x_img[idx]), dim=1)
                b = torch.nn.functional.normalize(text_head(x_txt[idx]), dim=1)
                logits = a @ b.T / self.temperature
                target = torch.arange(len(idx))
                loss = (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)) / 2
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                epoch_loss += float(loss.detach()) * len(idx)
            self.loss_curve_.append(epoch_loss / len(order))
        image_head.eval(), text_head.eval()
        self.image_head_, self.text_head_ = image_head, text_head
        return self

    def _apply(self, head, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
        import torch

        if len(x) == 0:
            return np.zeros((0, self.out_dim), dtype=np.float32)
        with torch.inference_mode():
            return normalise(head(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy())

    def transform_images(self, image_vectors: np.ndarray) -> np.ndarray:
        return self._apply(self.image_head_, image_vectors)

    def transform_texts(self, text_vectors: np.ndarray) -> np.ndarray:
        return self._apply(self.text_head_, text_vectors)

    # -- files --------------------------------------------------------------------------------------

    def save(self, directory: Path, card: dict[str, object]) -> str:
        """Save weights and a model card (data, split, metrics); returns the weights' content hash."""
        import torch

        buffer = io.BytesIO()
        torch.save(
            {
                "params": {k: getattr(self, k) for k in ("out_dim", "hidden", "epochs", "batch_size", "lr", "weight_decay", "temperature", "seed")},
                "dims": [self.image_dim_, self.text_dim_],
                "image_head": self.image_head_.state_dict(),
                "text_head": self.text_head_.state_dict(),
            },
            buffer,
        )
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:16]
        atomic.write_bytes(directory / "align.pt", data)
        atomic.write_text(directory / "align.json", json.dumps({**card, "weights_sha256_16": digest}, indent=2, ensure_ascii=False))
        return digest

    @classmethod
    def load(cls, directory: Path) -> tuple["AlignmentHeads", dict[str, object]]:
        import torch

        state = torch.load(directory / "align.pt", map_location="cpu", weights_only=True)
        heads = cls(**state["params"])
        heads.image_dim_, heads.text_dim_ = state["dims"]
        heads.image_head_, heads.text_head_ = heads._head(torch, heads.image_dim_), heads._head(torch, heads.text_dim_)
        heads.image_head_.load_state_dict(state["image_head"])
        heads.text_head_.load_state_dict(state["text_head"])
        heads.image_head_.eval(), heads.text_head_.eval()
        card = json.loads((directory / "align.json").read_text(encoding="utf-8"))
        return heads, card
