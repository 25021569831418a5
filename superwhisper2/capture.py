"""The capture stage: Talon's `pre:phrase` event → one phrase of audio (`Heard`) in the queue.

It runs on Talon's one thread (TALON_FACTS, sure), so it only copies and queues. While
dictating, every phrase is cancelled for Talon (so no command fires on dictated speech) and its
samples, copied once into float32 16 kHz mono (Talon may reuse its buffer), go to Whisper.
Talon's stop words are honoured: alone, Talon runs them; at the end of an utterance ("…et voilà
whisper stop"), the words before are typed and then the command runs, whether Talon chained the
commands or not. The hook is registered at import (as community plugins do) and the previous
one unregistered first, so a reload never leaves two.

Phrases without audio: Talon also hands over phrases it rejected (a cough, typing), possibly
without samples (TALON_FACTS, likely). Those are nothing heard. Only phrases whose words Talon
recognised yet came without samples, three in a row, show that Talon gives no audio at
all: then the microphone fallback reads it itself, and Talon's samples are ignored from then on.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

import numpy as np

from talon import speech_system

from . import microphone, status
from .engine.audio import SAMPLE_RATE, load_audio
from .engine.errors import AudioError
from .engine.guard import normalise
from .interpret import COMMANDS, trailing_words
from .phrases import Heard
from .holder import holder, session
from .runtime import backlog_seconds, on_main

log = logging.getLogger("superwhisper2")

# dictation.talon's commands: when Talon's grammar matched one, Talon runs it (a test keeps this in sync)
TALON_ONLY = ("whisper paste last", "whisper language french", "whisper language english", "whisper language auto")
COMMAND_WORDS = set(COMMANDS) | set(TALON_ONLY)


def on_pre_phrase(phrase: Dict[str, Any]) -> None:
    """Talon's thread: cancel the phrase for Talon and queue its audio."""
    current = session()
    late = not current.listening and began_before_stop(phrase.get("_ts"), holder().stopped_at)
    if not current.listening and not late:
        return
    words: List[Any] = list(phrase.get("phrase") or [])
    if normalise(" ".join(str(word) for word in words)) in COMMAND_WORDS:
        return  # Talon runs user.whisper_stop / user.whisper_cancel itself
    _cancel(phrase)
    if late:
        holder().stopped_at = None  # one phrase was in flight at most
        log.info("superwhisper2: a phrase begun before dictation stopped is still dictation")
    start, command = trailing_words(words, COMMANDS)
    action = COMMANDS[command] if command else None
    samples = phrase.get("samples")
    source = microphone.source()
    if source.running or _no_samples(samples):  # no audio of Talon's to queue
        if not source.running and words and not late:  # recognised words without audio: Talon gives none
            source.without_audio(lambda: microphone.open_fallback(hand_over, _no_audio))
        elif not words:
            log.debug("superwhisper2: a rejected phrase without audio: nothing heard")
        if action:
            on_main(lambda: current.command(action))
        return
    source.with_audio()
    dictation = current.dictation
    if action is None:
        hand_over(capture_audio(samples), rejected=not words, dictation=dictation)
        return
    if action != "cancel":  # the words before the command are typed; "undo" then removes them, as Talon would
        hand_over(_before(capture_audio(samples), words, start, phrase.get("_ts")),
                  then="undo" if action == "undo" else None, dictation=dictation)
    if action != "undo":
        on_main(lambda: current.command(action))  # stop listening now; what was heard is still typed


def hand_over(samples: np.ndarray, then: Optional[str] = None, rejected: bool = False,
              dictation: Optional[int] = None) -> None:
    """Queue a phrase's audio for `dictation` (default: the one listening) for the worker and
    return at once (Talon's thread, or cubeb's)."""
    kept, current = holder(), session()
    if dictation is None and not current.listening:
        return  # the microphone's last frames, after dictation stopped
    kept.heard += 1
    kept.last_heard = time.monotonic()
    number = current.dictation if dictation is None else dictation
    heard = Heard(samples, time.perf_counter(), number, kept.heard, then, rejected)
    options = current.settings.options
    if options and backlog_seconds(kept.queue) + heard.seconds > options.plugin.max_backlog:
        on_main(current.backlog_full)
    on_main(current.update_state)
    kept.queue.put(heard)  # last: the worker wakes and would compete for Talon's thread's GIL


def began_before_stop(began: Any, stopped_at: Optional[float]) -> bool:
    """Whether a phrase Talon hands over after dictation stopped began before: the user pressed
    the hotkey while still speaking, so it is dictation, not commands for Talon. Needs Talon's
    `_ts`, the phrase's start on the perf-counter clock (TALON_FACTS: likely); without it, or on
    another clock, the phrase is Talon's, as it is for any phrase after a stop."""
    if stopped_at is None or isinstance(began, bool) or not isinstance(began, (int, float)):
        return False
    return 0.0 <= stopped_at - began <= microphone.MAX_PHRASE_SECONDS


def _no_samples(samples: Any) -> bool:
    """No audio: no samples at all, or an empty sequence of them (a rejected phrase may bring either)."""
    try:
        return samples is None or len(samples) == 0
    except TypeError:  # not a sized sequence: the engine says what it is
        return False


def capture_audio(samples: Any) -> np.ndarray:
    """Talon's samples as our own float32 16 kHz mono array (converted once, here). Audio that
    cannot be converted is kept as given (a copy) for the engine to refuse by name; encoded audio
    (bytes) is left for the worker to decode, never on Talon's thread."""
    if isinstance(samples, (bytes, bytearray, str)):
        return bytes(samples) if not isinstance(samples, str) else samples  # type: ignore[return-value]
    try:
        audio = load_audio(samples, max_seconds=float("inf"))
    except AudioError:
        try:
            return np.array(samples, copy=True)
        except Exception:  # not even a sequence: nothing to keep; the engine says it is empty
            log.warning("superwhisper2: phrase samples of type %s could not be read", type(samples).__name__)
            return np.zeros(0, dtype=np.float32)
    if audio is samples or audio.base is not None:
        audio = audio.copy()  # a view of Talon's buffer, which it may refill with the next phrase
    return audio


def _before(audio: np.ndarray, words: List[Any], start: int, ts: Optional[float]) -> np.ndarray:
    """The audio before word `start` (the stop words), where Talon's word times say where that is;
    all of it otherwise (the stop words Whisper hears at the end are dropped from its text)."""
    try:
        cut = int((float(words[start].start) - float(ts)) * SAMPLE_RATE)  # type: ignore[arg-type]
    except (AttributeError, TypeError, ValueError, IndexError):
        return audio
    return audio[:cut] if 0 < cut < audio.size else audio


def _no_audio(reason: str) -> None:
    """Main thread: Talon gives no audio, and neither does the microphone."""
    status.notify("No audio for Whisper", f"Talon's phrases carry no audio and its microphone stream "
                  f"(talon.lib.cubeb) is unavailable ({reason}). Dictation stopped.")
    session().stop()


def _cancel(phrase: Dict[str, Any]) -> None:
    """community plugin/cancel: empty words and sequence mean Talon does nothing."""
    phrase["phrase"] = []
    parsed = phrase.get("parsed")
    if parsed is not None and hasattr(parsed, "_sequence"):
        parsed._sequence = []


def _install() -> None:
    kept = holder()
    previous = kept.hook
    if previous is not None:
        try:
            speech_system.unregister("pre:phrase", previous)
        except Exception:  # Talon already dropped it with the old file
            pass
    speech_system.register("pre:phrase", on_pre_phrase)
    kept.hook = on_pre_phrase


_install()
