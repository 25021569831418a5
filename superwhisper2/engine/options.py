"""What the engine is asked to do with a phrase, and what it gives back: plain values, and the
one `Request` a phrase travels through the engine as."""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Tuple

import numpy as np

from . import guard

if TYPE_CHECKING:  # models imports nothing of this module; the annotation only
    from .models import LoadedModel

FULL_WINDOW = 30.0  # seconds: the window Whisper was trained on


@dataclass(frozen=True)
class DecodeOptions:
    """Every decoding knob, with defaults measured on the dev corpus (docs/BENCHMARKS.md)."""

    language: Optional[str] = "fr"  # None or "auto": detect, within `languages` when given
    languages: Tuple[str, ...] = ()
    preferred_language: Optional[str] = None  # when detecting: kept unless another wins clearly
    beam_size: int = 5
    best_of: int = 5  # candidates when sampling at a temperature above 0
    patience: float = 1.0
    length_penalty: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    temperature: Tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: Optional[float] = 2.4
    log_prob_threshold: Optional[float] = -1.0
    no_speech_threshold: Optional[float] = 0.6
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None
    prepend_punctuations: str = "\"'“¿([{-"
    append_punctuations: str = "\"'.。,，!！?？:：”)]}、"
    word_timestamps: bool = False  # uses faster-whisper's own (full-window) path when on
    suppress_blank: bool = True
    # Shortest encoder window in seconds; 0 is the full window (docs/BENCHMARKS.md: shorter
    # windows lost words on the dev corpus).
    min_window: float = 0.0
    window_margin: float = 1.0  # silence after the speech: without it the decoder may loop
    vad: bool = True
    # Refuse what is not speech to type (verdict.py); off for "whisper retry", which types what Whisper hears.
    gates: bool = True
    # How much of Whisper's language probability the dictation's language(s) must get when Whisper
    # suspects no speech (verdict.py; 0 = never asked). Measured on the dev corpus: docs/BENCHMARKS.md.
    speech_threshold: float = 0.04
    trim_silence: bool = False  # cutting the silence before speech costs accuracy (docs/BENCHMARKS.md)
    gate: guard.GateOptions = guard.GateOptions()
    max_seconds: float = 120.0


@dataclass(frozen=True)
class Previous:
    """The phrase before this one, heard again with it so that a sentence cut by a pause reads as one."""

    samples: np.ndarray
    text: str  # what Whisper wrote for it
    language: str


@dataclass
class Transcript:
    """What Whisper heard in one phrase, and what it cost."""

    text: str  # what to type ("" when refused)
    language: str
    audio_seconds: float
    language_probability: float = 1.0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    speech_seconds: float = 0.0
    window_seconds: float = 0.0
    temperature: float = 0.0
    full_window_retry: bool = False
    dropped: Optional[str] = None  # why nothing is typed ("no speech", "repeats 'ha' 3 times"...)
    heard: str = ""  # what Whisper wrote, typed or refused
    # Heard together with the previous phrase: the punctuation that phrase should end with
    # ("" for none); `text` is then only what follows it. None when heard alone.
    boundary: Optional[str] = None
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"
    work: Dict[str, int] = field(default_factory=dict)  # the decoding work done (Request.work)

    @property
    def decodes(self) -> int:
        """How many times the decoder ran for this phrase (1 in the common case)."""
        return sum(1 for stage in self.timings if stage.startswith("decoder"))

    def figures(self) -> Dict[str, Any]:
        """What the log, the benchmark and the evaluation keep of this phrase."""
        return {"language": self.language, "heard": self.heard or self.text, "dropped": self.dropped,
                "window_seconds": self.window_seconds, "full_window_retry": self.full_window_retry,
                "decodes": self.decodes, "work": dict(self.work), "avg_logprob": round(self.avg_logprob, 3),
                "no_speech_prob": round(self.no_speech_prob, 3),
                "stages_ms": {stage: round(seconds * 1000, 1) for stage, seconds in self.timings.items()}}


@dataclass
class Request:
    """One phrase on its way through the engine: what to hear it with, and what it cost."""

    model: "LoadedModel"
    options: DecodeOptions
    language: Optional[str]  # fixed, or None: detected within options.languages
    prompt: Optional[str] = None  # text typed before the phrase (context)
    previous: Optional[Previous] = None  # the phrase before, heard again with this one
    span: guard.SpeechSpan = guard.NO_SPEECH  # where the speech is, once the gate said
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per stage
    encoded: Any = None  # the encoder output of the pass whose text is kept (verdict.py asks it)
    work: Dict[str, int] = field(default_factory=dict)  # encoder passes, decoder passes and steps, fallbacks

    def count(self, what: str, amount: int = 1) -> None:
        self.work[what] = self.work.get(what, 0) + amount

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time the block takes to `stage`."""
        tick = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - tick


def min_window(options: DecodeOptions) -> float:
    """The window floor: the setting, or the full window."""
    return min(FULL_WINDOW, options.min_window) if options.min_window > 0 else FULL_WINDOW


def gate_beside(options: DecodeOptions, device: str) -> bool:
    """Run the speech gate beside the features and the encoder, not before them: on CUDA (the CPU
    has little else to do there), and only where nothing of the decode depends on where the
    speech is (the full window, no trimming)."""
    return device == "cuda" and options.vad and not options.trim_silence and min_window(options) >= FULL_WINDOW


def window_seconds(seconds: float, options: DecodeOptions) -> float:
    """The encoder window for `seconds` of audio."""
    window = max(min_window(options), math.ceil(seconds + options.window_margin))
    return min(FULL_WINDOW, float(window))
