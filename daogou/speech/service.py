"""VoiceService: a recording in, the words the shopper meant out (then searched or chatted like typed words).

Why one service: the API, the CLI and the assistant all need the same steps in the same order:
vet and decode → find the speech → recognise with the shop's words as the prompt → normalise →
repair Mandarin homophones by pinyin. The model loads once per process, on the first recording.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from daogou.speech.audio import RATE, NothingHeard, Speech, SpeechFinder, decode
from daogou.speech.correction import BrandSpeller, Correction, PinyinCorrector
from daogou.speech.normalise import normalise
from daogou.speech.recognizer import LANGUAGES, Recognition, SpeechToText, WhisperRecognizer
from daogou.speech.vocabulary import ShopWords
from daogou.understand.lexicon import EN_SYNONYMS

#: Whisper's own "this was not speech" rule: likely silence and an unsure hypothesis together.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
_WORDLESS = re.compile(r"^[\W_♪♫]*$")
#: How much a whole transcript made of the shop's words is worth against the beam's own scores (mean
#: log-probability per token) when choosing among its hypotheses (chosen on the dev clips; 0.25-1 all gave the same).
FIT_WEIGHT = 0.5
#: Slower than this (Chinese characters or English words per second of speech) a transcript has lost words:
#: a list of words as the prompt sometimes makes Whisper stop after the first one ("灰色T恤" → "灰色").
MIN_RATE = {"zh": 2.5, "en": 1.2}
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Transcript:
    """What was heard and what will be searched for."""

    text: str  # normalised and corrected: what the shop acts on (the shopper may edit it)
    heard: str  # the recogniser's own words
    language: str
    corrections: list[Correction] = field(default_factory=list)
    seconds: float = 0.0  # length of the recording
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class VoiceService:
    """Speech to shop words. `words` gives the current catalog's words (re-read when the catalog changes)."""

    def __init__(self, words: Callable[[], ShopWords], recognizer: SpeechToText | None = None, bias: bool = True) -> None:
        self.words = words
        self.recognizer = recognizer or WhisperRecognizer()
        self.bias = bias
        self.finder = SpeechFinder()
        self._correctors: tuple[ShopWords, PinyinCorrector, BrandSpeller] | None = None

    def _correct(self, words: ShopWords, text: str, language: str) -> tuple[str, list[Correction]]:
        """Brands by spelling (any language: "Rangler 男士衬衫"), then Mandarin homophones by pinyin."""
        if self._correctors is None or self._correctors[0] is not words:
            known = {w for value in words.en for w in value.split()} | set(EN_SYNONYMS) | {w for phrases in EN_SYNONYMS.values() for p in phrases for w in p.split()}
            self._correctors = (words, PinyinCorrector(words.zh), BrandSpeller(words.brands, known))
        text, fixes = self._correctors[2].correct(text)
        if language == "zh":
            text, more = self._correctors[1].correct(text)
            fixes += more
        return text, fixes

    def _fittest(self, words: ShopWords, heard: Recognition) -> Recognition:
        """Of the beam's Mandarin hypotheses, the one whose repaired words are most the shop's, weighed with its score.

        Why: the beam often holds the right words one place down ("白色 T恤" first, "灰色 T恤" second), and
        the shop's vocabulary is what tells them apart; the repair runs first so a homophone counts as its word.
        The hypotheses decoded without the prompt compete too: a sentence that is not a query keeps its own words."""
        scored = [(heard.text, heard.avg_logprob), *heard.alternatives, *heard.unprompted]

        def fit(candidate: tuple[str, float]) -> float:
            repaired, _ = self._correct(words, normalise(candidate[0], "zh"), "zh")
            return candidate[1] + FIT_WEIGHT * self._correctors[1].coverage(repaired)  # type: ignore[index]

        best = max(scored, key=fit)
        return heard if best[0] == heard.text else replace(heard, text=best[0], avg_logprob=best[1])

    def _mixed(self, speech: Speech, heard: Recognition, words: ShopWords | None) -> Recognition:
        """A brand said in one language before words in the other ("Nike | 黑色运动鞋"): each part in its own.

        Why: Whisper base decodes an utterance in one language; an English brand before Mandarin words comes out
        as English nonsense ("Nike he is in the hospital") or a Chinese sound-alike ("胡闹"). When the words before
        the first pause are in the other language, both parts are decoded apart and joined. Costs one encoder pass
        for an utterance with a pause, two more when its language changes; none without a pause."""
        detect = getattr(self.recognizer, "detect", None)
        if detect is None or not speech.first_pause or speech.samples.size - speech.first_pause < RATE // 4:
            return heard
        head_language = detect(speech.samples[: speech.first_pause])
        tail_language = heard.language
        if head_language == heard.language == "en":  # "Levis | 男士T恤" heard as English: is the rest Mandarin?
            tail_language = detect(speech.samples[speech.first_pause :])
        if head_language == tail_language:
            return heard
        prompts = words.prompts if words is not None else None
        head = self.recognizer.transcribe(speech.samples[: speech.first_pause], head_language, None)  # a bare brand: no list to continue
        tail = self.recognizer.transcribe(speech.samples[speech.first_pause :], tail_language, prompts)
        if not head.text.strip():
            return heard
        chinese = next((part for part in (head, tail) if part.language == "zh"), tail)
        return Recognition(f"{head.text.strip()} {tail.text.strip()}", chinese.language, min(head.avg_logprob, tail.avg_logprob),
                           max(head.no_speech_prob, tail.no_speech_prob))

    def transcribe(self, data: bytes, language: str | None = None) -> Transcript:
        """Transcribe one recording; `language` "zh"/"en" skips detection (the page's locale, when known)."""
        started = time.perf_counter()
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        speech = self.finder.find(decode(data), pauses=hasattr(self.recognizer, "detect"))
        words = self.words() if self.bias else None
        heard = self.recognizer.transcribe(speech.samples, language, words.prompts if words is not None else None)
        heard = self._mixed(speech, heard, words)
        if words is not None and heard.language == "zh" and (heard.alternatives or heard.unprompted):
            heard = self._fittest(words, heard)
        text = normalise(heard.text, heard.language)
        if words is not None and _length(text, heard.language) < MIN_RATE.get(heard.language, 1.0) * max(speech.speaking_s, 0.5):
            if heard.unprompted:  # the same window, no prompt: already decoded
                plain = replace(heard, text=heard.unprompted[0][0], avg_logprob=heard.unprompted[0][1])
            else:
                plain = self.recognizer.transcribe(speech.samples, heard.language, None)
            plain_text = normalise(plain.text, heard.language)
            if _length(plain_text, heard.language) * 0.7 > _length(text, heard.language):
                heard, text = plain, plain_text
        if _WORDLESS.match(heard.text) or (heard.no_speech_prob > NO_SPEECH_PROB and heard.avg_logprob < LOW_LOGPROB):
            raise NothingHeard("didn't catch that: please say it again, closer to the microphone")
        fixes: list[Correction] = []
        if words is not None:
            text, fixes = self._correct(words, text, heard.language)
        took = (time.perf_counter() - started) * 1000
        return Transcript(text, heard.text, heard.language, fixes, round(speech.seconds, 2), round(took, 1))


def _length(text: str, language: str) -> int:
    """Characters (Chinese) or words (English) in a normalised transcript."""
    return len(_HAN.findall(text)) + len(_HAN.sub(" ", text).split()) if language == "zh" else len(text.split())
