"""Hearing a phrase in a short encoder window, and the guard that sends it to the full one.

Whisper pads every input to 30 s; CTranslate2's encoder accepts shorter inputs, so a phrase
is encoded in a window of `max(min_window, speech + margin)` seconds. When the result looks
broken (no end of text, a loop, too repetitive, unsure, nothing where the VAD heard speech)
the phrase is decoded again in the full 30 s window.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Dict, List, Optional

import numpy as np

from . import decoding, guard
from .audio import SAMPLE_RATE
from .errors import ModelError
from .models import LoadedModel
from .options import FULL_WINDOW, DecodeOptions, Transcript, window_seconds

log = logging.getLogger("superwhisper2")


def hear_alone(model: LoadedModel, samples: np.ndarray, options: DecodeOptions, language: Optional[str],
               prompt: Optional[str], span: guard.SpeechSpan, timings: Dict[str, float]) -> Transcript:
    """The phrase on its own (cut into pieces of under 30 s), in the shortest safe window."""
    texts: List[str] = []
    decoded: Optional[decoding.Decoded] = None
    windows: List[float] = []
    retried = False
    for piece in split_long(samples):
        context = " ".join(part for part in (prompt, *texts) if part) or None
        window = window_seconds(piece.size / SAMPLE_RATE, options)
        # A short window gets one greedy/beam pass: when unsure, the full window decides (cheaper
        # and steadier than sampling at higher temperatures in the wrong window).
        first = replace(options, temperature=options.temperature[:1]) if window < FULL_WINDOW else options
        decoded = decode_window(model, piece, window, first, language, context, timings)
        if window < FULL_WINDOW and looks_broken(decoded, options, span):
            log.info("short window (%.0f s) gave %r: decoding again with the full window", window, decoded.text[:80])
            retried = True
            window = FULL_WINDOW
            decoded = decode_window(model, piece, window, options, language, context, timings, "_retry")
        windows.append(window)
        language = language or decoded.language  # keep the first piece's language for the rest
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


def encode(model: LoadedModel, samples: np.ndarray, window: float, timings: Dict[str, float], suffix: str = "") -> Any:
    """The encoder output for `samples` in a window of `window` seconds."""
    import ctranslate2

    whisper = model.whisper
    if whisper is None:
        raise ModelError("the model was released while a phrase was waiting for it")
    tick = time.perf_counter()
    features = whisper.feature_extractor(samples)[:, :-1]  # the last frame is padding (as faster-whisper)
    frames = int(window * 100)
    if features.shape[-1] < frames:
        features = np.pad(features, ((0, 0), (0, frames - features.shape[-1])))
    features = np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)
    add(timings, "features" + suffix, time.perf_counter() - tick)
    with model.lock:
        tick = time.perf_counter()
        encoded = whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)
        add(timings, "encoder" + suffix, time.perf_counter() - tick)
    return encoded


def decode_window(model: LoadedModel, samples: np.ndarray, window: float, options: DecodeOptions,
                  language: Optional[str], context: Optional[str], timings: Dict[str, float], suffix: str = "",
                  prefix: str = "", new_seconds: Optional[float] = None) -> decoding.Decoded:
    """Encode and decode `samples`; with `prefix`, the text must start with it and only what
    follows (`new_seconds` of the audio, at its end) is returned."""
    whisper = model.whisper
    encoded = encode(model, samples, window, timings, suffix)
    if whisper is None or model.whisper is not whisper:
        raise ModelError("the model was released while a phrase was waiting for it")
    with model.lock:
        language_probability = 1.0
        if language is None:
            tick = time.perf_counter()
            language, language_probability = decoding.detect_language(
                whisper, encoded, options.languages, options.preferred_language)
            add(timings, "language" + suffix, time.perf_counter() - tick)
        tick = time.perf_counter()
        tokens = decoding.tokenizer(whisper, language)
        prompt = decoding.prompt(tokens, options, context)
        forced = tokens.encode(" " + prefix) if prefix else []
        seconds = samples.size / SAMPLE_RATE if new_seconds is None else new_seconds
        wanted = 16 + int(12 * seconds)  # generous for speech; a loop stops early
        decoded = decoding.generate_with_fallback(whisper, encoded, prompt, tokens, options, wanted, forced)
        add(timings, "decoder" + suffix, time.perf_counter() - tick)
    decoded.language = language
    decoded.language_probability = language_probability
    return decoded


def add(timings: Dict[str, float], stage: str, seconds: float) -> None:
    timings[stage] = timings.get(stage, 0.0) + seconds


def looks_broken(decoded: decoding.Decoded, options: DecodeOptions, span: guard.SpeechSpan) -> bool:
    """Signs that a short window misled the decoder, so the full window should decide."""
    if decoded.hit_limit or guard.repeats_itself(decoded.tokens) or guard.is_repeated_block(decoded.tokens):
        return True
    if options.compression_ratio_threshold is not None and decoded.compression_ratio > options.compression_ratio_threshold:
        return True
    if decoding.unsure(decoded.avg_logprob, options) and not decoding.silent(decoded.no_speech_prob, options):
        return True  # unsure: garbage at the end of a cut window looks like this
    return not decoded.text and span.speech_seconds >= 0.5
