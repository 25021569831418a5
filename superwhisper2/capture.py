"""Phrase audio from Talon's `pre:phrase` event into the session's queue.

While dictating, every phrase is cancelled for Talon (so no command fires on dictated
speech) and its samples go to Whisper, except the stop words when Talon's grammar matched
them: those run as the commands they are. The hook is registered at import (as community
plugins do) and the previous one is unregistered first, so a reload never leaves two.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from talon import speech_system

from . import session as sessions
from .engine.guard import normalise

log = logging.getLogger("superwhisper2")

# dictation.talon's commands: when Talon's grammar matched one, Talon runs it (a test keeps this in sync)
COMMAND_WORDS = {"whisper stop", "whisper cancel", "whisper undo", "whisper paste last",
                 "whisper language french", "whisper language english", "whisper language auto"}


def on_pre_phrase(phrase: Dict[str, Any]) -> None:
    """Talon's speech thread (likely): cancel the phrase for Talon and queue its audio."""
    session = sessions.current()
    if not session.listening:
        return
    words = " ".join(str(word) for word in phrase.get("phrase") or [])
    if normalise(words) in COMMAND_WORDS:
        return  # Talon runs user.whisper_stop / user.whisper_cancel itself
    _cancel(phrase)
    samples = phrase.get("samples")
    if samples is None:
        _no_audio(session)
        return
    session.heard(samples)


def _cancel(phrase: Dict[str, Any]) -> None:
    """community plugin/cancel: empty words and sequence mean Talon does nothing."""
    phrase["phrase"] = []
    parsed = phrase.get("parsed")
    if parsed is not None and hasattr(parsed, "_sequence"):
        parsed._sequence = []


def _no_audio(session: Any) -> None:
    from . import microphone

    microphone.phrases_without_audio(session)


def _install() -> None:
    holder = sessions.runtime()
    previous = getattr(holder, "hook", None)
    if previous is not None:
        try:
            speech_system.unregister("pre:phrase", previous)
        except Exception:  # Talon already dropped it with the old file
            pass
    speech_system.register("pre:phrase", on_pre_phrase)
    holder.hook = on_pre_phrase


_install()
