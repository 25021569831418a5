"""Typing phrases into the focused application, in order, joined as one text.

Main thread only. Text waits while the hotkey's modifiers may still be held (typing then
would send Win+Shift+letters, talonvoice/talon#675), and a cancelled dictation types nothing.

A phrase's closing mark ("." "," "?"...) is held back until the next phrase shows whether the
sentence goes on: that phrase, heard together with this one, brings the mark that belongs
there ("Americans," + "ask not" instead of "Americans." + "Ask not"). What we typed is never
deleted for this, since the cursor may have moved; the held mark is typed with the next
phrase, when dictation stops, or after `close_after` seconds with nothing heard.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, List, Optional, Tuple

from talon import actions, cron

from .engine.text import join
from .runtime import register

CONTEXT_CHARS = 200  # the end of what this dictation typed, given to Whisper as its prompt
UNDO_DEPTH = 20
_CLOSING_MARK = re.compile(r"[ \u00a0\u202f]*[.,;:!?…]+$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”»)\]]*\s*$")

ANY_HELD = -1  # Phrase.after for a mark said on its own ("virgule"): it replaces whichever mark is held

Done = Callable[[str, Optional[BaseException]], None]


@dataclass
class Phrase:
    """Text the session asks to type."""

    dictation: int
    number: int  # the phrase's place in Talon's order
    text: str
    done: Done
    french: bool = False
    boundary: Optional[str] = None  # the mark ending phrase `after` (heard with this one); None: heard alone
    after: int = 0
    hold: bool = False  # hold this phrase's closing mark back for the next phrase to decide
    undo: Optional[Callable[[], Any]] = None  # not text: undo the last phrase (this is called if none)


@dataclass
class Piece:
    """What we typed for one phrase: undo presses exactly `len(typed)` backspaces."""

    dictation: int
    number: int
    typed: str
    replaced: Optional[Tuple[int, str]] = None  # the held mark (phrase, mark) its boundary replaced


@register
class Typist:
    """Keeps what each dictation typed, and types new phrases after it."""

    def __init__(self) -> None:
        self.dictation = 0
        self.tail = ""  # end of what the current dictation typed
        self.hold_until = 0.0
        self.queue: Deque[Phrase] = deque()
        self.pieces: List[Piece] = []  # what we typed, phrase by phrase, newest last
        self.held: Optional[Tuple[int, str]] = None  # (phrase, mark) not typed yet
        self.close_after = 3.0
        self.busy: Callable[[], bool] = lambda: False  # a phrase is waiting for Whisper
        self.job: Any = None
        self.close_job: Any = None

    def new_dictation(self, dictation: int) -> None:
        self.close()
        self.dictation = dictation
        self.tail = ""

    def hold(self, seconds: float) -> None:
        """Type nothing for `seconds` (the hotkey went down)."""
        self.hold_until = max(self.hold_until, time.monotonic() + seconds)

    def hold_for(self, seconds: float) -> None:
        """Type nothing for exactly `seconds` from now (the hotkey came up: a longer hold ends)."""
        self.hold_until = time.monotonic() + seconds
        cron.cancel(self.job)
        self.job = None
        if self.queue:
            self._flush()

    def request_undo(self, nothing: Callable[[], Any]) -> None:
        """Undo the last phrase once what is queued before it is typed; `nothing()` if there is none."""
        self.queue.append(Phrase(self.dictation, -1, "", lambda typed, error: None, undo=nothing))
        self._flush()

    def context(self, dictation: int, since: int = 0, before: Optional[int] = None,
                chars: int = CONTEXT_CHARS) -> Optional[str]:
        """The end of what dictation `dictation` typed from phrase `since` on, stopping before
        phrase `before`, for Whisper's prompt (read by the worker); None when `chars` is 0."""
        if chars <= 0:
            return None
        held = self.held
        text = "".join(
            piece.typed + (held[1] if held and held[0] == piece.number else "")
            for piece in list(self.pieces)
            if piece.dictation == dictation and piece.number >= since and (before is None or piece.number < before)
        )
        return text.strip()[-chars:] or None

    def pending(self) -> int:
        return len(self.queue)

    def cancel(self, dictation: int) -> None:
        self.queue = deque(item for item in self.queue if item.dictation != dictation)

    def type(self, phrase: Phrase) -> None:
        """Type `phrase` after everything queued before it; `phrase.done(typed, error)` follows."""
        self.queue.append(phrase)
        self._flush()

    def close(self) -> None:
        """Type the held mark now (the pause was long), or as soon as the hotkey's modifiers are up."""
        cron.cancel(self.close_job)
        self.close_job = None
        wait = self.hold_until - time.monotonic()
        if wait > 0 and self.held is not None:
            self.close_job = cron.after(f"{int(wait * 1000) + 1}ms", self.close)
            return
        held, self.held = self.held, None
        if held is None:
            return
        try:
            actions.insert(held[1])
        except Exception:  # the phrase itself is in the history; a lost mark is not worth an alarm
            return
        self.tail += held[1]
        if self.pieces and self.pieces[-1].number == held[0]:
            self.pieces[-1].typed += held[1]

    def _flush(self) -> None:
        wait = self.hold_until - time.monotonic()
        if wait > 0:
            if self.job is None:
                self.job = cron.after(f"{int(wait * 1000) + 1}ms", self._resume)
            return
        while self.queue:
            phrase = self.queue.popleft()
            if phrase.undo is not None:
                if not self.undo():
                    phrase.undo()
                continue
            current = phrase.dictation == self.dictation
            replaced = self._take_held(phrase) if current else None
            if replaced is None:
                self.close()
            typed = self._compose(phrase, current, replaced is not None)
            held = None
            if phrase.hold and current:
                mark = _CLOSING_MARK.search(typed)
                if mark and mark.start() > 0:
                    typed, held = typed[: mark.start()], (phrase.number, typed[mark.start():])
            if typed:
                try:
                    actions.insert(typed)
                except Exception as error:  # the text is in the history: report, keep going
                    phrase.done("", error)
                    continue
                self.pieces = (self.pieces + [Piece(phrase.dictation, phrase.number, typed, replaced)])[-UNDO_DEPTH:]
                if current:
                    self.tail = (self.tail + typed)[-1000:]
            if held is not None:
                self.held = held
                self._close_later()
            phrase.done(typed, None)

    def _take_held(self, phrase: Phrase) -> Optional[Tuple[int, str]]:
        """The held mark this phrase's boundary replaces, if it is still held."""
        if phrase.boundary is None or self.held is None or phrase.after not in (self.held[0], ANY_HELD):
            return None
        held, self.held = self.held, None
        cron.cancel(self.close_job)
        self.close_job = None
        return held

    def _compose(self, phrase: Phrase, current: bool, joined: bool) -> str:
        """What to insert for `phrase` after what this dictation typed."""
        before = self.tail if current else ""
        text = phrase.text
        if joined:  # the mark that ends the previous phrase, then this one (join spaces and cleans)
            return join(before, (phrase.boundary or "") + " " + text, phrase.french)
        if phrase.boundary is not None and _SENTENCE_END.search(before):
            text = text.lstrip()
            text = text[:1].upper() + text[1:]  # written to go on a sentence that has ended after all
        return join(before, text, phrase.french)

    def close_when_quiet(self) -> None:
        """Dictation stops: type the held mark once the phrases still waiting for Whisper are typed."""
        if self.held is not None:
            self._close_if_quiet()

    def _close_later(self) -> None:
        cron.cancel(self.close_job)
        self.close_job = cron.after(f"{max(1, int(self.close_after * 1000))}ms", self._close_if_quiet)

    def _close_if_quiet(self) -> None:
        cron.cancel(self.close_job)
        self.close_job = None
        if self.held is not None and (self.busy() or self.queue):
            self.close_job = cron.after("250ms", self._close_if_quiet)  # the next phrase is on its way
        else:
            self.close()

    def undo(self) -> bool:
        """Remove the last phrase we typed with backspaces; False when there was none."""
        if not self.pieces:
            return False
        last = self.pieces.pop()
        if self.held is not None and self.held[0] == last.number:
            self.held = None  # never typed: nothing to remove
        if last.typed:
            actions.key(f"backspace:{len(last.typed)}")
        self.tail = self.tail[: -len(last.typed)] if last.typed and self.tail.endswith(last.typed) else ""
        if last.replaced is not None and self.pieces and self.pieces[-1].number == last.replaced[0]:
            self.held = last.replaced  # the phrase before ends as it did: its mark waits again
            self._close_later()
        return True

    def _resume(self) -> None:
        self.job = None
        self._flush()
