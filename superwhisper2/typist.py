"""Typing phrases into the focused application, in order, joined as one text.

Main thread only. Text waits while the hotkey's modifiers may still be held (typing then
would send Win+Shift+letters, talonvoice/talon#675), and a cancelled dictation types nothing.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

from talon import actions, cron

from .engine.text import join

CONTEXT_CHARS = 200  # the end of what this dictation typed, given to Whisper as its prompt
UNDO_DEPTH = 20

Done = Callable[[str, Optional[BaseException]], None]
Item = Tuple[int, str, Done, bool]  # dictation, text, done, French typography


class Typist:
    """Keeps what each dictation typed, and types new phrases after it."""

    def __init__(self, previous: Optional[Any] = None) -> None:
        self.dictation = 0
        self.tail = ""  # end of what the current dictation typed
        self.hold_until = 0.0
        self.queue: Deque[Item] = deque()
        self.pieces: List[str] = []  # what we typed, phrase by phrase, newest last (for undo)
        self.job: Any = None
        if previous is not None:
            for name in ("dictation", "tail", "hold_until", "queue", "pieces"):
                if hasattr(previous, name):
                    setattr(self, name, getattr(previous, name))

    def new_dictation(self, dictation: int) -> None:
        self.dictation = dictation
        self.tail = ""

    def hold(self, seconds: float) -> None:
        """Type nothing for `seconds` (the hotkey was just pressed)."""
        self.hold_until = max(self.hold_until, time.monotonic() + seconds)

    def context(self, dictation: int) -> Optional[str]:
        """What this dictation typed so far (its end), for Whisper's prompt; read by the worker."""
        return self.tail[-CONTEXT_CHARS:] or None if dictation == self.dictation else None

    def pending(self) -> int:
        return len(self.queue)

    def cancel(self, dictation: int) -> None:
        self.queue = deque(item for item in self.queue if item[0] != dictation)

    def type(self, dictation: int, text: str, done: Done, french: bool = False) -> None:
        """Type `text` after everything queued before it; `done(typed, error)` follows the insert."""
        self.queue.append((dictation, text, done, french))
        self._flush()

    def _flush(self) -> None:
        wait = self.hold_until - time.monotonic()
        if wait > 0:
            if self.job is None:
                self.job = cron.after(f"{int(wait * 1000) + 1}ms", self._resume)
            return
        while self.queue:
            dictation, text, done, french = self.queue.popleft()
            before = self.tail if dictation == self.dictation else ""
            typed = join(before, text, french)
            if typed:
                try:
                    actions.insert(typed)
                except Exception as error:  # the text is in the history: report, keep going
                    done("", error)
                    continue
                self.pieces = (self.pieces + [typed])[-UNDO_DEPTH:]
                if dictation == self.dictation:
                    self.tail = (self.tail + typed)[-1000:]
            done(typed, None)

    def undo(self) -> int:
        """Remove the last phrase we typed with backspaces; returns how many were pressed."""
        if not self.pieces:
            return 0
        last = self.pieces.pop()
        actions.key(f"backspace:{len(last)}")
        self.tail = self.tail[: -len(last)] if self.tail.endswith(last) else ""
        return len(last)

    def _resume(self) -> None:
        self.job = None
        self._flush()
