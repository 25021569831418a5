"""Hearing a phrase in a short encoder window, and the guard that sends it to the full one.

Whisper pads every input to 30 s; CTranslate2's encoder accepts shorter inputs, so a phrase
is encoded in a window of `max(min_window, speech + margin)` seconds. When the result looks
broken (no end of text, a loop, too repetitive, unsure, nothing where the VAD heard speech)
the phrase is decoded again in the full 30 s window.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import List, Optional

import numpy as np

from . import decoding
from .audio import SAMPLE_RATE
from .options import FULL_WINDOW, Request, Transcript, window_seconds

log = logging.getLogger("superwhisper2")


def hear_alone(request: Request, samples: np.ndarray) -> Transcript:
    """The phrase on its own (cut into pieces of under 30 s), in the shortest safe window."""
    texts: List[str] = []
    decoded: Optional[decoding.Decoded] = None
    windows: List[float] = []
    retried = False
    options, language = request.options, request.language
    for piece in split_long(samples):
        # each piece after the first is heard with the text before it (the timings stay shared)
        heard = replace(request, language=language, prompt=" ".join(p for p in (request.prompt, *texts) if p) or None)
        window = window_seconds(piece.size / SAMPLE_RATE, options)
        # A short window gets one greedy/beam pass: when unsure, the full window decides (cheaper
        # and steadier than sampling at higher temperatures in the wrong window).
        first = replace(options, temperature=options.temperature[:1]) if window < FULL_WINDOW else options
        decoded = decoding.decode(heard, piece, window, options=first)
        if window < FULL_WINDOW and decoding.looks_broken(decoded, options, request.span):
            log.info("short window (%.0f s) gave %r: decoding again with the full window", window, decoded.text[:80])
            retried = True
            window = FULL_WINDOW
            decoded = decoding.decode(heard, piece, window, stage="_retry")
        windows.append(window)
        request.encoded = heard.encoded
        language = language or decoded.language  # the first piece's language for the rest
        if decoded.text:
            texts.append(decoded.text)
    assert decoded is not None
    return Transcript(
        text=" ".join(texts), language=decoded.language, audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=decoded.language_probability, avg_logprob=decoded.avg_logprob,
        no_speech_prob=decoded.no_speech_prob, compression_ratio=decoded.compression_ratio,
        window_seconds=max(windows), temperature=decoded.temperature, full_window_retry=retried,
    )


def split_long(samples: np.ndarray, limit: float = FULL_WINDOW - 2.0) -> List[np.ndarray]:
    """Pieces short enough for one window, cut at the quietest 100 ms of each piece's last 5 s."""
    pieces: List[np.ndarray] = []
    limit_samples = int(limit * SAMPLE_RATE)
    hop = SAMPLE_RATE // 10
    while samples.size > limit_samples:
        search = samples[limit_samples - 5 * SAMPLE_RATE:limit_samples]
        frames = search[: search.size // hop * hop].reshape(-1, hop)
        quietest = int(np.argmin(np.einsum("ij,ij->i", frames, frames)))
        cut = limit_samples - 5 * SAMPLE_RATE + quietest * hop + hop // 2
        pieces.append(samples[:cut])
        samples = samples[cut:]
    pieces.append(samples)
    return pieces
