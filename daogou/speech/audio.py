"""Recordings in, 16 kHz mono samples out: the one door for untrusted audio.

Why PyAV: it ships FFmpeg inside its wheel, so the formats browsers record (webm/opus, ogg, mp4/AAC)
decode with no system ffmpeg. Why the checks: an upload is hostile until decoded; a 10-minute file,
a JPEG sent as audio/wav or a truncated header must each get a clear refusal within the time budget,
never a 500 and never minutes of decoding.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from daogou.errors import BadQuery

RATE = 16_000
#: Longest utterance accepted: a search or a chat turn, not a voicemail.
MAX_SECONDS = 30.0
#: Bytes of the largest upload: 30 s of 48 kHz stereo 16-bit WAV is 5.8 MB; 96 kHz stereo fits too.
MAX_AUDIO_BYTES = 12 * 1024 * 1024
#: Quieter than this (RMS of full scale) is silence whatever the voice detector thinks.
SILENCE_RMS = 0.003


class AudioRefused(BadQuery):
    """An upload that is not a usable recording; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class NothingHeard(BadQuery):
    """A readable recording with no speech in it (silence, noise, music)."""


@dataclass(frozen=True)
class Speech:
    """The speaking part of a recording."""

    samples: np.ndarray  # float32, 16 kHz mono, trimmed to the speech (with a little silence each side)
    seconds: float  # of the whole recording
    speaking_s: float = 0.0  # from the first word's start to the last word's end
    #: where in `samples` the first pause of at least PAUSE_S falls (0: none): "Nike | 黑色运动鞋"
    first_pause: int = 0


def decode(data: bytes, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Decode any recording FFmpeg reads into float32 16 kHz mono; refuse what is too long or not audio."""
    import av  # noqa: PLC0415 - heavy, and only voice needs it

    if not data:
        raise AudioRefused("the recording is empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioRefused(f"the recording is larger than {MAX_AUDIO_BYTES // (1024 * 1024)} MB", 413)
    limit = int(max_seconds * RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioRefused("not a recording: the file has no sound in it", 415)
            if container.duration is not None and container.duration / av.time_base > max_seconds + 1:
                raise AudioRefused(f"the recording is longer than {max_seconds:.0f} s; say a shorter query", 413)
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit + RATE:  # the header lied or had no duration: stop decoding now
                    raise AudioRefused(f"the recording is longer than {max_seconds:.0f} s; say a shorter query", 413)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioRefused:
        raise
    except (av.error.FFmpegError, ValueError, IndexError, OSError) as exc:
        raise AudioRefused(f"not a readable recording ({exc.__class__.__name__}); send WAV, WebM, Ogg, MP3 or M4A", 415) from None
    if not chunks:
        raise AudioRefused("the recording has no samples", 400)
    return (np.concatenate(chunks).astype(np.float32) / 32768.0)[: limit + RATE]


#: A pause this long between words may be where the language changes ("Nike | 黑色运动鞋").
PAUSE_S = 0.1


class SpeechFinder:
    """Silero voice activity detection (the model ships inside faster-whisper): finds where someone speaks.

    Why: Whisper, given silence or music, invents sentences ("谢谢观看"); and trimming the silence
    around a query shortens the window the encoder has to read.
    """

    def __init__(self, pad_s: float = 0.3) -> None:
        self.pad_s = pad_s

    def find(self, samples: np.ndarray, pauses: bool = True) -> Speech:
        """The speech in `samples`, padded; NothingHeard when there is none. `pauses`: also look for the first pause
        (a second voice-activity pass, only worth it for a recogniser that can detect each part's language)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps  # noqa: PLC0415

        seconds = samples.size / RATE
        if samples.size < RATE // 4 or float(np.sqrt(np.mean(samples**2))) < SILENCE_RMS:
            raise NothingHeard("didn't catch that: the recording is silent or too short")
        spans = get_speech_timestamps(samples, VadOptions(min_speech_duration_ms=150, speech_pad_ms=200))
        if not spans:
            raise NothingHeard("didn't catch that: no speech in the recording")
        pad = int(self.pad_s * RATE)
        start, end = max(0, spans[0]["start"] - pad), min(samples.size, spans[-1]["end"] + pad)
        speaking = (spans[-1]["end"] - spans[0]["start"]) / RATE - 0.4  # get_speech_timestamps pads 0.2 s each side
        trimmed = samples[start:end]
        return Speech(trimmed, seconds, max(speaking, 0.0), self._first_pause(trimmed) if pauses else 0)

    @staticmethod
    def _first_pause(samples: np.ndarray) -> int:
        """The middle of the first short pause between words (where a shopper switches language), or 0."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps  # noqa: PLC0415

        words = get_speech_timestamps(samples, VadOptions(min_speech_duration_ms=150, min_silence_duration_ms=int(PAUSE_S * 1000), speech_pad_ms=30))
        if len(words) < 2:
            return 0
        return (words[0]["end"] + words[1]["start"]) // 2
