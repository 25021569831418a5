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
from typing import Optional

import numpy as np

from . import decoding, guard
from .audio import SAMPLE_RATE
from .options import DecodeOptions, Previous, Request, Transcript, window_seconds
from .text import MARKS

log = logging.getLogger("superwhisper2")

JOIN_MAX_SECONDS = 20.0  # the previous phrase and this one, heard together, fit one short window
WORDS_PER_SECOND = 4.5  # more words than this per second of detected speech were not all said in this phrase
_LEADING_MARKS = re.compile(r"^\s*([" + re.escape(MARKS) + r"]*)\s*")


def continue_previous(request: Request, samples: np.ndarray, previous: Previous) -> Optional[Transcript]:
    """This phrase heard after `previous`; None when that does not apply or looks wrong (the
    caller then hears the phrase alone)."""
    options, language, probability = request.options, request.language, 1.0
    prefix = previous.text.strip().rstrip(MARKS + " ")
    joined = np.concatenate([previous.samples, samples])
    if not prefix or joined.size > JOIN_MAX_SECONDS * SAMPLE_RATE:
        return None
    if language is None:  # detected on this phrase's own audio: the previous one would sway it
        encoded = decoding.encode(request, samples, window_seconds(samples.size / SAMPLE_RATE, options), "_language")
        with request.model.lock:
            language, probability = decoding.detect_language(request.model.running(), encoded, options.languages,
                                                             previous.language)
    if language != previous.language:
        return None  # another language: not the same sentence
    window = window_seconds(joined.size / SAMPLE_RATE, options)
    decoded = decoding.decode(replace(request, language=language), joined, window,
                              options=replace(options, temperature=options.temperature[:1]), stage="_joined",
                              prefix=prefix, new_seconds=samples.size / SAMPLE_RATE)
    mark = _LEADING_MARKS.match(decoded.text)
    assert mark is not None  # the pattern matches any text
    text = decoded.text[mark.end():]
    doubt = _doubt(decoded, text, prefix, options, request.span)
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
    if decoding.looks_broken(decoded, options, span):
        return "broken"
    if decoded.glued:
        return "glued to the last word"  # Talon cuts at pauses, never inside a word
    if not text:
        return "a mark alone"  # whether this phrase said anything is for it alone to tell
    if echoes(text, prefix):
        return "repeats the previous phrase"
    if len(text.split()) > max(4.0, WORDS_PER_SECOND * span.speech_seconds):
        return "more words than were said"  # the forced words written again, then the new ones
    return None


def echoes(text: str, prefix: str, run: int = 3) -> bool:
    """Whisper wrote some of the forced words again: `run` of them in a row (all of them when
    fewer), anywhere in the continuation (between unrelated commands, docs/BENCHMARKS.md). A right
    continuation that starts like the phrase before is then heard alone: a second decode, never a
    wrong word."""
    said = guard.normalise(prefix).split()
    written = guard.normalise(text).split()
    size = min(run, len(said))
    if not size:
        return False
    grams = {tuple(said[i:i + size]) for i in range(len(said) - size + 1)}
    return any(tuple(written[i:i + size]) in grams for i in range(len(written) - size + 1))
