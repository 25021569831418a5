"""One phrase of audio in, its text out: the engine's single entry point.

A phrase flows one way: audio (engine/audio.py) → speech gate (guard.py; on CUDA it runs beside
the features and the encoder, its answer applied after) → heard with the previous phrase
(joined.py) or alone in a short window (window.py) → decoder passes (decoding.py) → gates on
the result (here). The language is detected from the same encoder output (faster-whisper
1.2.1 would encode twice), restricted to the user's languages.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

import numpy as np

from . import guard, verdict
from .audio import SAMPLE_RATE, load_audio
from .decoding import compression_ratio
from .errors import ModelError
from .joined import continue_previous
from .models import LoadedModel
from .options import FULL_WINDOW, DecodeOptions, Previous, Request, Transcript, gate_beside
from .window import hear_alone

log = logging.getLogger("superwhisper2")

__all__ = ["DecodeOptions", "Previous", "Transcript", "FULL_WINDOW", "transcribe"]


def transcribe(model: LoadedModel, audio: Any, options: DecodeOptions = DecodeOptions(), *,
               prompt: Optional[str] = None, previous: Optional[Previous] = None) -> Transcript:
    """Transcribe one phrase. `prompt` is text already typed before it (context); with
    `previous`, the phrase before it is heard again with it (see joined.py), and `prompt` must
    then end before that phrase's text.

    Raises AudioError for unusable audio and ModelError when the model cannot run.
    """
    started = time.perf_counter()
    samples = load_audio(audio, max_seconds=options.max_seconds)  # no copy for Talon's float32
    audio_seconds = samples.size / SAMPLE_RATE
    request = Request(model, options, _fixed_language(model, options.language), prompt, previous,
                      guard.SpeechSpan(0, samples.size, audio_seconds))
    beside: Optional[guard.GateBeside] = None
    vad = options.vad and options.gates
    if vad and previous is None and gate_beside(options, model.device):
        if guard.rms_dbfs(samples) < options.gate.energy_floor_dbfs:
            return _no_speech(request, samples, started)
        beside = guard.GateBeside(samples, options.gate)
    elif vad:
        with request.timed("vad"):
            # where the speech ends matters only to trimming and to hearing a phrase with the last one
            request.span = guard.find_speech(samples, options.gate, exact=options.trim_silence or previous is not None)
        if request.span.empty:
            return _no_speech(request, samples, started)
        if options.trim_silence:
            samples = samples[request.span.start:request.span.end]
    result = _hear(request, samples)
    if beside is not None:
        request.span = beside.result(request.timings)
        if request.span.empty:  # decoded for nothing: a few GPU milliseconds, never typed
            return _no_speech(request, samples, started)
    result.audio_seconds = audio_seconds
    result.speech_seconds = request.span.speech_seconds
    _judge(result, request)
    request.timings["total"] = time.perf_counter() - started
    result.timings, result.work = request.timings, request.work
    return result


def _hear(request: Request, samples: np.ndarray) -> Transcript:
    """With the phrase before when it is given and that works, else alone."""
    if request.previous is not None and not request.options.word_timestamps:
        try:
            joined = continue_previous(request, samples, request.previous)
            if joined is not None:
                return joined
        except ModelError:
            raise  # the model went away: the caller waits for the next one
        except Exception as error:  # heard alone below, where a real device fault is raised again
            log.warning("hearing the phrase with the previous one failed (%s: %s): hearing it alone",
                        type(error).__name__, error)
    if request.options.word_timestamps:
        return _transcribe_with_faster_whisper(request, samples)
    return hear_alone(request, samples)


def _no_speech(request: Request, samples: np.ndarray, started: float) -> Transcript:
    request.timings["total"] = time.perf_counter() - started
    return Transcript("", request.language or "", samples.size / SAMPLE_RATE, dropped="no speech",
                      timings=request.timings, work=request.work)


def _fixed_language(model: LoadedModel, language: Optional[str]) -> Optional[str]:
    if not model.multilingual:
        return "en"
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    return language.strip().lower()


def _judge(result: Transcript, request: Request) -> None:
    """Keep what Whisper wrote in `heard`; empty `text` with the reason when it is not speech to type."""
    result.heard = result.text
    reason = verdict.judge(result, request) if request.options.gates else (None if result.text else "empty")
    request.encoded = None  # the encoder output is not kept past the phrase
    if reason:
        result.dropped, result.boundary, result.text = reason, None, ""  # the phrase before ends as it was
        if result.heard:
            log.info("refused %r (%s): no-speech %.2f, log-prob %.2f", result.heard, reason,
                     result.no_speech_prob, result.avg_logprob)


def _transcribe_with_faster_whisper(request: Request, samples: np.ndarray) -> Transcript:
    """Word timestamps need faster-whisper's alignment: use its own (full-window) path."""
    options = request.options
    initial = " ".join(part for part in (options.initial_prompt, request.prompt) if part) or None
    with request.model.lock, request.timed("decoder"):
        segments, info = request.model.running().transcribe(
            samples, language=request.language, beam_size=options.beam_size, best_of=options.best_of,
            patience=options.patience, length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            temperature=list(options.temperature), compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold, no_speech_threshold=options.no_speech_threshold,
            initial_prompt=initial, hotwords=options.hotwords, word_timestamps=True,
            prepend_punctuations=options.prepend_punctuations, append_punctuations=options.append_punctuations,
            condition_on_previous_text=False, without_timestamps=False,
        )
        segments = list(segments)
    text = " ".join(segment.text.strip() for segment in segments).strip()
    logprob = float(np.mean([s.avg_logprob for s in segments])) if segments else 0.0
    return Transcript(
        text=text, language=info.language, audio_seconds=samples.size / SAMPLE_RATE,
        language_probability=float(info.language_probability), avg_logprob=logprob,
        no_speech_prob=max((s.no_speech_prob for s in segments), default=0.0),
        compression_ratio=compression_ratio(text), window_seconds=FULL_WINDOW,
    )
