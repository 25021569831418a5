"""The values a phrase is handed on as, stage to stage (docs/ARCHITECTURE.md).

capture → `Heard` → queue → recognise → engine `Transcript` → interpret → `Meaning` →
pipeline → `Phrase` → typist → `Typed` → pipeline (history, figures). Plain values: no stage
reaches into another's state, and each is tested without Talon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .engine.audio import SAMPLE_RATE


@dataclass(frozen=True)
class Heard:
    """One phrase of audio waiting for Whisper: float32 16 kHz mono, converted once at capture."""

    samples: np.ndarray
    received: float  # time.perf_counter() when Talon handed it over
    dictation: int
    number: int  # in the order Talon heard them, over the whole session
    then: Optional[str] = None  # a command Talon heard at the end of the utterance, run once this is typed
    rejected: bool = False  # Talon's recogniser matched no words in it (noise, a cough, or speech it missed)
    retry: bool = False  # "whisper retry": typed whatever the gates say

    @property
    def seconds(self) -> float:
        return float(self.samples.size) / SAMPLE_RATE if hasattr(self.samples, "size") else 0.0


@dataclass(frozen=True)
class Meaning:
    """What the user meant by what Whisper heard."""

    text: str  # to type
    command: Optional[str] = None  # "stop", "cancel" or "undo", after `text` is typed
    mark_alone: bool = False  # the phrase was only a mark ("virgule"): it ends the phrase before
    breaks_sentence: bool = False  # a punctuation command: the next phrase starts afresh


@dataclass(frozen=True)
class Boundary:
    """The mark that ends the phrase before, as the phrase heard together with it decided."""

    mark: str  # "" for none
    after: Optional[int]  # the phrase it ends; None: whichever mark is held (a mark said on its own)


@dataclass(frozen=True)
class Typed:
    """What became of a phrase at the typist: the text inserted, or why none was."""

    text: str = ""
    error: Optional[BaseException] = None
    cancelled: bool = False  # its dictation was cancelled, or "whisper undo" took it before it was typed


@dataclass(frozen=True)
class Phrase:
    """Text to type, in Talon's order of phrases; `done` hears what became of it."""

    dictation: int
    number: int
    text: str
    done: Callable[[Typed], Any] = lambda typed: None
    french: bool = False
    boundary: Optional[Boundary] = None  # heard together with the phrase before: how that one ends
    hold_mark: bool = False  # hold this phrase's closing mark back for the next phrase to decide


@dataclass(frozen=True)
class Kept:
    """A phrase not typed, kept for "whisper retry": it failed, or the gates refused it."""

    heard: Heard
    reason: str
