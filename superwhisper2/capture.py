"""The capture stage: Talon's `pre:phrase` event → one phrase of audio in the session's queue.

While dictating, every phrase is cancelled for Talon (so no command fires on dictated
speech) and its samples, copied once into float32 16 kHz mono (Talon may reuse its buffer),
go to Whisper. Talon's stop words are honoured: alone, Talon runs them; at the end of an
utterance ("…et voilà whisper stop"), the words before are typed and then the command runs,
whether Talon chained the commands or not. The hook is registered at import (as community
plugins do) and the previous one unregistered first, so a reload never leaves two.

Phrases without audio: whether Talon attaches samples to every phrase is not known. One such
phrase (a cough Talon rejected) is skipped and logged; only when phrases keep arriving without
audio does the microphone fallback start, and from then on Talon's samples are ignored: never
two sources at once.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

import numpy as np

from talon import speech_system

from . import microphone
from .engine.audio import SAMPLE_RATE, load_audio
from .engine.errors import AudioError
from .engine.guard import normalise
from .interpret import trailing_words
from .runtime import on_main, runtime, session

log = logging.getLogger("superwhisper2")

# dictation.talon's commands: when Talon's grammar matched one, Talon runs it (a test keeps this in sync)
TALON_COMMANDS = {"whisper stop": "stop", "whisper cancel": "cancel", "whisper undo": "undo",
                  "whisper paste last": None, "whisper language french": None,
                  "whisper language english": None, "whisper language auto": None}
COMMAND_WORDS = set(TALON_COMMANDS)
AT_THE_END = {phrase: command for phrase, command in TALON_COMMANDS.items() if command}
NO_AUDIO_LIMIT = 3  # phrases in a row without audio before the microphone fallback starts


def on_pre_phrase(phrase: Dict[str, Any]) -> None:
    """Talon's speech thread (likely): cancel the phrase for Talon and queue its audio."""
    current = session()
    if not current.listening:
        return
    words: List[Any] = list(phrase.get("phrase") or [])
    if normalise(" ".join(str(word) for word in words)) in COMMAND_WORDS:
        return  # Talon runs user.whisper_stop / user.whisper_cancel itself
    _cancel(phrase)
    start, command = trailing_words(words, AT_THE_END)
    source = microphone.state()
    samples = phrase.get("samples")
    if source.running or samples is None:  # no audio of Talon's to queue
        if not source.running:  # (once the microphone fallback runs, it is the one source)
            _no_audio(current)
        if command:
            on_main(lambda: current.command(AT_THE_END[command]))
        return
    source.phrases_without_audio = 0
    if not command:
        current.heard(capture_audio(samples))
        return
    action = AT_THE_END[command]
    if action != "cancel":  # the words before the command are typed; "undo" then removes them, as Talon would
        current.heard(_before(capture_audio(samples), words, start, phrase.get("_ts")),
                      then="undo" if action == "undo" else None)
    if action != "undo":
        on_main(lambda: current.command(action))  # stop listening now; what was heard is still typed


def capture_audio(samples: Any) -> np.ndarray:
    """Talon's samples as our own float32 16 kHz mono array (converted once, here). Audio that
    cannot be converted is kept as given (a copy) for the engine to refuse by name."""
    try:
        audio = load_audio(samples, max_seconds=float("inf"))
    except AudioError:
        return np.array(samples, copy=True)
    if isinstance(samples, np.ndarray) and np.shares_memory(audio, samples):
        audio = audio.copy()  # Talon may refill its buffer with the next phrase
    return audio


def _before(audio: np.ndarray, words: List[Any], start: int, ts: Optional[float]) -> np.ndarray:
    """The audio before word `start` (the stop words), where Talon's word times say where that is;
    all of it otherwise (the stop words Whisper hears at the end are dropped from its text)."""
    try:
        cut = int((float(words[start].start) - float(ts)) * SAMPLE_RATE)  # type: ignore[arg-type]
    except (AttributeError, TypeError, ValueError, IndexError):
        return audio
    return audio[:cut] if 0 < cut < audio.size else audio


def _cancel(phrase: Dict[str, Any]) -> None:
    """community plugin/cancel: empty words and sequence mean Talon does nothing."""
    phrase["phrase"] = []
    parsed = phrase.get("parsed")
    if parsed is not None and hasattr(parsed, "_sequence"):
        parsed._sequence = []


def _no_audio(current: Any) -> None:
    source = microphone.state()
    source.phrases_without_audio += 1
    log.warning("superwhisper2: a phrase came without audio (%d in a row): skipped", source.phrases_without_audio)
    if source.phrases_without_audio >= NO_AUDIO_LIMIT:
        microphone.open_fallback(current.heard, lambda reason: on_main(lambda: current.no_audio(reason)))


def _install() -> None:
    holder = runtime()
    previous = getattr(holder, "hook", None)
    if previous is not None:
        try:
            speech_system.unregister("pre:phrase", previous)
        except Exception:  # Talon already dropped it with the old file
            pass
    speech_system.register("pre:phrase", on_pre_phrase)
    holder.hook = on_pre_phrase


_install()
