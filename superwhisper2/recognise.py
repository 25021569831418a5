"""The recognise stage: a queued phrase's audio (and its context) to a `Transcript`.

It waits for the model, survives the model being swapped or CUDA failing under the phrase,
and remembers the phrase for the next one to be heard with (user.whisper_join_pause). The
engine does the hearing; this module only decides what to give it. Worker thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .engine.errors import ModelError
from .engine.options import DecodeOptions, Previous, Transcript
from .engine.transcriber import transcribe
from .loader import ModelKeeper

CONTEXT_LOGPROB = -0.5  # a phrase Whisper was less sure of is kept out of the context: it would spread its errors


@dataclass
class Heard:
    """One phrase of audio waiting for Whisper: float32 16 kHz mono, converted once at capture."""

    samples: np.ndarray
    received: float  # time.perf_counter() when Talon handed it over
    dictation: int
    seconds: float = 0.0
    number: int = 0  # in the order Talon heard them
    after: int = 0  # the phrase it was heard together with (0: heard alone)
    then: Optional[str] = None  # a command Talon heard at the end of the utterance, run once this is typed


@dataclass
class Spoken:
    """The last phrase typed, as the next one needs it to be heard together with it."""

    dictation: int
    number: int
    ended: float
    previous: Previous
    hotwords: Optional[str]


@dataclass
class Failed:
    """A phrase the engine could not transcribe, kept for `whisper retry`."""

    heard: Heard
    error: str


class PhraseFailed(Exception):
    """The engine could not transcribe the phrase (kept for `whisper retry`)."""


class Memory:
    """What the next phrase is heard with: the last phrase, and where the context starts."""

    def __init__(self) -> None:
        self.spoken: Optional[Spoken] = None
        self.context_since = 0  # the first phrase whose text may be Whisper's context

    def previous_for(self, item: Heard, decode: DecodeOptions, join_pause: float) -> Optional[Spoken]:
        """The phrase to hear again with `item`: the last one typed, if it said this dictation's
        last words a short pause before."""
        spoken = self.spoken
        if spoken is None or spoken.dictation != item.dictation:
            return None
        if spoken.hotwords != decode.hotwords:  # the vocabulary changed: older text would fight it
            self.context_since = item.number
            self.spoken = None
            return None
        pause = item.received - item.seconds - spoken.ended
        return spoken if 0 < join_pause and pause <= join_pause else None

    def remember(self, item: Heard, result: Transcript, hotwords: Optional[str]) -> None:
        """Keep this phrase for the next one, unless Whisper was unsure of it."""
        if result.avg_logprob < CONTEXT_LOGPROB:
            self.context_since = item.number + 1
            self.spoken = None
            return
        self.spoken = Spoken(item.dictation, item.number, item.received,
                             Previous(item.samples, result.text, result.language), hotwords)

    def forget(self) -> None:
        self.spoken = None


def recognise(keeper: ModelKeeper, item: Heard, decode: DecodeOptions, prompt: Optional[str],
              spoken: Optional[Spoken], give_up: Callable[[], bool],
              busy: Callable[[bool], Any] = lambda on: None) -> Optional[Transcript]:
    """The phrase's transcript; None when cancelled or exiting while waiting for the model.

    Raises PhraseFailed when the engine cannot transcribe it on the model it has.
    """
    while True:
        if not keeper.wait(give_up):
            return None
        model = keeper.model
        if model is None:
            continue
        try:
            busy(True)
            return transcribe(model, item.samples, decode, prompt=prompt, previous=spoken.previous if spoken else None)
        except Exception as error:  # AudioError, EngineError, a device fault, or a bug
            if keeper.replaced(model):
                # released or replaced under the phrase (ctranslate2 then says "No model replica is
                # available"): wait for the model that replaced it
                continue
            if not isinstance(error, ModelError) and keeper.cuda_failed(model, error):
                continue  # this phrase waits for the CPU model
            raise PhraseFailed(str(error)) from error
        finally:
            busy(False)


def hear_without_context(keeper: ModelKeeper, item: Heard, decode: DecodeOptions) -> Optional[Transcript]:
    """The phrase again with no context (to tell a command from dictated words); None on failure."""
    model = keeper.model
    if model is None:
        return None
    try:
        return transcribe(model, item.samples, decode)
    except Exception:  # the first result stands
        return None
