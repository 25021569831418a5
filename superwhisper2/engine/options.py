"""What the engine is asked to do with a phrase, and what it gives back: plain values."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np

from . import guard

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
    short_window: bool = True
    # Shortest encoder window in seconds; 0 is the full window. Measured on the dev corpus on two
    # CPUs and a GPU (docs/BENCHMARKS.md): a 15 s floor is 2-3x faster on the CPU but lost French
    # words on two of the three, and Talon's cut phrases lost words in both languages.
    min_window: float = 0.0
    window_margin: float = 1.0  # silence after the speech: without it the decoder may loop
    vad: bool = True
    trim_silence: bool = False  # cutting the silence before speech costs accuracy (measured)
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

    text: str
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
    dropped: Optional[str] = None  # why the text was dropped ("no speech", "hallucination"...)
    # Heard together with the previous phrase: the punctuation that phrase should end with
    # ("" for none); `text` is then only what follows it. None when heard alone.
    boundary: Optional[str] = None
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per stage, and "total"

    @property
    def decodes(self) -> int:
        """How many times the decoder ran for this phrase (1 in the common case)."""
        return sum(1 for stage in self.timings if stage.startswith("decoder"))

    @property
    def confidence(self) -> float:
        """exp(average log-probability per token): 1 is certain."""
        return math.exp(self.avg_logprob) if self.avg_logprob > -50 else 0.0


def min_window(options: DecodeOptions) -> float:
    """The window floor: the setting, or the full window."""
    return min(FULL_WINDOW, options.min_window) if options.min_window > 0 else FULL_WINDOW


def gate_beside(options: DecodeOptions, device: str) -> bool:
    """Run the speech gate beside the features and the encoder, not before them: on CUDA (the CPU
    has little else to do there), and only where nothing of the decode depends on where the
    speech is (the full window, no trimming)."""
    return (device == "cuda" and options.vad and not options.trim_silence
            and (not options.short_window or min_window(options) >= FULL_WINDOW))


def window_seconds(seconds: float, options: DecodeOptions) -> float:
    """The encoder window for `seconds` of audio."""
    if not options.short_window:
        return FULL_WINDOW
    window = max(min_window(options), math.ceil(seconds + options.window_margin))
    return min(FULL_WINDOW, float(window))
