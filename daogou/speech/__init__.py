"""Voice: speak to search and to the assistant, in Mandarin and English, offline.

One service object (`VoiceService`) turns a recording into the words a shopper meant:
audio.py decodes and vets the upload, recognizer.py runs speech-to-text (Whisper base, bundled),
vocabulary.py gathers the shop's own words, correction.py repairs Mandarin homophones against them
and normalise.py makes the text read like a typed query (simplified script, digits, prices).
"""

from daogou.speech.audio import AudioRefused, NothingHeard
from daogou.speech.recognizer import Recognition, SpeechToText, WhisperRecognizer
from daogou.speech.service import Transcript, VoiceService
from daogou.speech.vocabulary import ShopWords

__all__ = ["AudioRefused", "NothingHeard", "Recognition", "ShopWords", "SpeechToText", "Transcript", "VoiceService", "WhisperRecognizer"]
