"""Whether what Whisper wrote for a phrase is speech to type: every refusal has a reason.

Songs, laughter, sneezes, a baby: Talon hands such sounds over as phrases, the speech gate lets
the loud ones through, and Whisper writes something. Decided on the dev corpus's 30 non-speech
recordings against its 85 speech ones (docs/BENCHMARKS.md), cheapest first:
- nothing written, or faster-whisper's own no-speech rule (unsure and silent), or sampling at the
  last fallback temperature on what may be silence, or a phrase Whisper is known to invent;
- a loop: the same words three times in a row ("ah ah ah", "c'est ça, c'est ça, c'est ça"), or a
  syllable said three times as one word ("hahaha"): no dictation says that;
- Whisper is sure nobody spoke (no-speech probability over the threshold), however sure of its words;
- Whisper suspects no speech (no-speech 0.07 or more) and hears another language than the
  dictation's: a song in Spanish, a sneeze read as English. Asked on the encoder output already
  computed: one decoder step, only for such phrases.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Dict, FrozenSet, List, Optional

from . import decoding
from .guard import SURE_SPEECH_SECONDS, normalise
from .options import Request, Transcript

_HALLUCINATIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hallucinations.json")
SUSPECT_NO_SPEECH = 0.07  # from this no-speech probability on, the language heard is asked
REPEATS = 3  # the same words this many times in a row are a loop
LONGEST_REPEAT = 6  # words in the longest repeated group looked for
LANGUAGE_NAMES = {"fr": "French", "en": "English", "de": "German", "es": "Spanish", "it": "Italian"}
_SYLLABLE_REPEAT = re.compile(r"(\w{1,3})\1{2,}")


def judge(result: Transcript, request: Request) -> Optional[str]:
    """Why `result` must not be typed, or None when it is speech to type."""
    options = request.options
    if not result.text:
        return "empty"
    is_unsure = decoding.unsure(result.avg_logprob, options)
    if is_unsure and decoding.silent(result.no_speech_prob, options):
        return "no speech"
    if is_unsure and result.temperature > 0 and decoding.silent(result.no_speech_prob, options, share=0.5):
        return "unsure after every fallback"  # sampling invents text on noise
    if is_known_hallucination(result.text) and (
            result.avg_logprob < -0.5 or result.no_speech_prob > 0.2 or result.speech_seconds < SURE_SPEECH_SECONDS):
        return "hallucination"
    loop = repeated(result.text)
    if loop:
        return f"repeats {loop!r} {REPEATS} times or more"
    if decoding.silent(result.no_speech_prob, options):
        return f"no speech (Whisper's no-speech probability {result.no_speech_prob:.2f})"
    if result.no_speech_prob >= SUSPECT_NO_SPEECH and options.speech_threshold > 0 and result.boundary is None:
        return _another_language(result, request)
    return None


def repeated(text: str) -> Optional[str]:
    """The words said `REPEATS` times in a row, or a syllable repeated as one word; None if neither."""
    words: List[str] = re.findall(r"\w+", text.lower())
    for word in words:
        if _SYLLABLE_REPEAT.fullmatch(word):
            return word
    for size in range(1, LONGEST_REPEAT + 1):
        for start in range(0, len(words) - size * REPEATS + 1):
            group = words[start:start + size]
            if all(words[start + k * size:start + (k + 1) * size] == group for k in range(1, REPEATS)):
                return " ".join(group)
    return None


def _another_language(result: Transcript, request: Request) -> Optional[str]:
    """Refused when the dictation's language(s) get less than `speech_threshold` of Whisper's
    language probability on this phrase (the encoder output of the pass that was kept)."""
    encoded, model = request.encoded, request.model
    if encoded is None or not model.multilingual:
        return None
    request.count("language_detections")
    with request.timed("verdict"), model.lock:
        probabilities: Dict[str, float] = dict(decoding.language_probabilities(model.running(), encoded))
    wanted = [request.language] if request.language else list(request.options.languages) or [result.language]
    share = sum(probabilities.get(code, 0.0) for code in wanted)
    if share >= request.options.speech_threshold:
        return None
    top = max(probabilities, key=probabilities.__getitem__)
    names = " or ".join(LANGUAGE_NAMES.get(code, code) for code in wanted)
    return (f"not {names}: Whisper hears {top} {probabilities[top]:.2f}, "
            f"{'+'.join(wanted)} {share:.3f}; no-speech {result.no_speech_prob:.2f}")


@functools.lru_cache(maxsize=1)
def known_hallucinations() -> FrozenSet[str]:
    """Every phrase of hallucinations.json, normalised, all languages together."""
    with open(_HALLUCINATIONS_FILE, encoding="utf-8") as handle:
        data = json.load(handle)
    return frozenset(normalise(p) for key, phrases in data.items() if not key.startswith("_") for p in phrases)


def is_known_hallucination(text: str) -> bool:
    """True when the whole text is a phrase Whisper is known to invent (or only punctuation)."""
    normalised = normalise(text)
    return not normalised or normalised in known_hallucinations()
