"""Hearing a phrase together with the one before it, so a sentence cut by a pause reads as one.

The previous phrase's audio and this one's are decoded as one stretch, the previous text
forced as the start, so Whisper writes only what follows, punctuated as the whole sentence
calls for. Measured on the dev corpus (docs/BENCHMARKS.md): between unrelated sentences
Whisper may write the forced words again or skip words of the new phrase, so every result is
checked, and anything doubtful is heard alone instead. Off by default (user.whisper_join_pause).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Dict, Optional

import numpy as np

from . import decoding, guard
from .audio import SAMPLE_RATE
from .errors import ModelError
from .models import LoadedModel
from .options import DecodeOptions, Previous, Transcript, window_seconds
from .window import decode_window, encode, looks_broken

log = logging.getLogger("superwhisper2")

JOIN_MAX_SECONDS = 20.0  # the previous phrase and this one, heard together, fit one short window
SENTENCE_MARKS = ".,;:!?…"  # what may end a phrase and be corrected when the next one continues it
WORDS_PER_SECOND = 4.5  # more words than this per second of detected speech were not all said in this phrase
_LEADING_MARKS = re.compile(r"^\s*([.,;:!?…]*)\s*")


def continue_previous(model: LoadedModel, samples: np.ndarray, options: DecodeOptions, language: Optional[str],
                      context: Optional[str], previous: Previous, span: guard.SpeechSpan,
                      timings: Dict[str, float]) -> Optional[Transcript]:
    """This phrase heard after `previous`; None when that does not apply or looks wrong (the
    caller then hears the phrase alone)."""
    prefix = previous.text.strip().rstrip(SENTENCE_MARKS + " ")
    joined = np.concatenate([previous.samples, samples])
    if not prefix or joined.size > JOIN_MAX_SECONDS * SAMPLE_RATE:
        return None
    probability = 1.0
    if language is None:  # detected on this phrase's own audio: the previous one would sway it
        window = window_seconds(samples.size / SAMPLE_RATE, options)
        whisper = model.whisper
        encoded = encode(model, samples, window, timings, "_language")
        if whisper is None or model.whisper is not whisper:
            raise ModelError("the model was released while a phrase was waiting for it")
        with model.lock:
            language, probability = decoding.detect_language(whisper, encoded, options.languages, previous.language)
    if language != previous.language:
        return None  # another language: not the same sentence
    window = window_seconds(joined.size / SAMPLE_RATE, options)
    first = replace(options, temperature=options.temperature[:1])
    decoded = decode_window(model, joined, window, first, language, context, timings, "_joined", prefix,
                            samples.size / SAMPLE_RATE)
    mark = _LEADING_MARKS.match(decoded.text)
    assert mark is not None  # the pattern matches any text
    text = decoded.text[mark.end():]
    doubt = _doubt(decoded, text, prefix, options, span)
    if doubt:
        log.info("heard with the previous phrase, this gave %r (%s): hearing it alone", decoded.text[:80], doubt)
        return None
    return Transcript(
        text=text, language=language, audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=probability, avg_logprob=decoded.avg_logprob, no_speech_prob=decoded.no_speech_prob,
        compression_ratio=decoded.compression_ratio, window_seconds=window, temperature=decoded.temperature,
        boundary=mark.group(1),
    )


def _doubt(decoded: decoding.Decoded, text: str, prefix: str, options: DecodeOptions,
           span: guard.SpeechSpan) -> Optional[str]:
    """Why the continuation cannot be trusted, or None."""
    if looks_broken(decoded, options, span):
        return "broken"
    if decoded.glued:
        # Talon cuts phrases at pauses, not inside words; measured, this is Whisper bending a
        # short phrase ("whisper stop" after a French sentence) into the end of the previous one.
        return "glued to the last word"
    if not text:
        return "a mark alone"  # whether this phrase said anything is for it alone to tell
    if echoes(text, prefix):
        return "repeats the previous phrase"
    if len(text.split()) > max(4.0, WORDS_PER_SECOND * span.speech_seconds):
        # Whisper wrote the forced words again, then the new ones (measured between unrelated
        # commands: "Allume le bureau en rouge Allume la lumière dans la chambre Allume le
        # bureau en rouge"): more words than this phrase's speech can hold
        return "more words than were said"
    return None


def echoes(text: str, prefix: str, run: int = 3) -> bool:
    """Whisper wrote some of the forced words again: `run` of them in a row (all of them when
    fewer), anywhere in the continuation. Measured on the dev corpus, between unrelated commands:
    "Allume le bureau en rouge Allume la lumière dans la chambre…" after "Allume la lumière dans
    la chambre". It also sends some right continuations to be heard alone (commands that start
    like the one before): a second decode, never a wrong word."""
    said = guard.normalise(prefix).split()
    written = guard.normalise(text).split()
    size = min(run, len(said))
    if not size:
        return False
    grams = {tuple(said[i:i + size]) for i in range(len(said) - size + 1)}
    return any(tuple(written[i:i + size]) in grams for i in range(len(written) - size + 1))
