"""The recognise stage: a queued phrase's audio (and its context) to a `Transcript`.

It waits for the model, survives the model being swapped or CUDA failing under the phrase,
and keeps the phrase before for the next one to be heard with (user.whisper_join_pause). The
engine does the hearing; this module only decides what to give it. Worker thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .engine.errors import ModelError
from .engine.options import DecodeOptions, Previous, Transcript
from .engine.transcriber import transcribe
from .loader import ModelKeeper
from .phrases import Heard

CONTEXT_LOGPROB = -0.5  # a phrase Whisper was less sure of is kept out of the context: it would spread its errors


@dataclass(frozen=True)
class PreviousPhrase(Previous):
    """The phrase before, as the engine hears it again, and where it was said."""

    dictation: int = 0
    number: int = 0
    ended: float = 0.0  # time.perf_counter() when Talon handed it over
    hotwords: Optional[str] = None


class PhraseFailed(Exception):
    """The engine could not transcribe the phrase (kept for `whisper retry`)."""


class Context:
    """What the next phrase is heard with: the phrase before, and where the typed context starts."""

    def __init__(self) -> None:
        self.previous: Optional[PreviousPhrase] = None
        self.since = 0  # the first phrase whose text may be Whisper's context

    def previous_for(self, item: Heard, hotwords: Optional[str], join_pause: float) -> Optional[PreviousPhrase]:
        """The phrase to hear again with `item`: the last one typed, if it said this dictation's
        last words a short pause before."""
        previous = self.previous
        if previous is None or previous.dictation != item.dictation:
            return None
        if previous.hotwords != hotwords:  # the vocabulary changed: older text would fight it
            self.since = item.number
            self.previous = None
            return None
        pause = item.received - item.seconds - previous.ended
        return previous if 0 < join_pause and pause <= join_pause else None

    def remember(self, item: Heard, result: Transcript, hotwords: Optional[str]) -> None:
        """Keep this phrase for the next one, unless Whisper was unsure of it."""
        if result.avg_logprob < CONTEXT_LOGPROB:
            self.since = item.number + 1
            self.previous = None
            return
        self.previous = PreviousPhrase(item.samples, result.text, result.language, item.dictation, item.number,
                                       item.received, hotwords)

    def forget(self) -> None:
        self.previous = None


def recognise(keeper: ModelKeeper, item: Heard, decode: DecodeOptions, *, prompt: Optional[str],
              previous: Optional[PreviousPhrase], give_up: Callable[[], bool]) -> Optional[Transcript]:
    """The phrase's transcript; None when cancelled or exiting while waiting for the model.

    Raises PhraseFailed when the engine cannot transcribe it on the model it has.
    """
    while True:
        model = keeper.wait(give_up)
        if model is None:
            return None
        try:
            return transcribe(model, item.samples, decode, prompt=prompt, previous=previous)
        except Exception as error:  # AudioError, EngineError, a device fault, or a bug
            if keeper.lost(model):
                continue  # released or replaced under the phrase: it waits for the model that replaces it
            if not isinstance(error, ModelError) and keeper.cuda_failed(model, error):
                continue  # this phrase waits for the CPU model
            raise PhraseFailed(str(error)) from error


def hear_without_context(keeper: ModelKeeper, item: Heard, decode: DecodeOptions) -> Optional[Transcript]:
    """The phrase again with no context (to tell a command from dictated words); None on failure."""
    model = keeper.model
    if model is None:
        return None
    try:
        return transcribe(model, item.samples, decode)
    except Exception:  # the first result stands
        return None
