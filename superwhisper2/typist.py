"""Typing phrases into the focused application, in order, joined as one text.

Main thread only. Text waits while the hotkey's keys are down (typing then would send
Win+Shift+letters, talonvoice/talon#675), and a cancelled dictation types nothing.

A phrase's closing mark ("." "," "?"...) is held back until the next phrase shows whether the
sentence goes on: that phrase, heard together with this one, brings the mark that belongs
there ("Americans," + "ask not" instead of "Americans." + "Ask not"). What we typed is never
deleted for this, since the cursor may have moved; the held mark is typed with the next
phrase, when dictation stops, or after `close_after` seconds with nothing heard. It talks to
Talon only through a `Keyboard` (keys.py), so its rules are tested without Talon.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, List, Optional, Union

from .engine.text import MARKS, SENTENCE_ENDS, join
from .keys import Keyboard, Unplugged
from .phrases import Phrase, Typed
from .holder import register

UNDO_DEPTH = 20
KEYS_POLL = 0.03  # seconds between two looks at the hotkey's keys while they are down
_CLOSING_MARK = re.compile(r"[ \u00a0\u202f]*[" + re.escape(MARKS) + r"]+$")
_SENTENCE_END = re.compile(r"[" + re.escape(SENTENCE_ENDS) + r"][\"'”»)\]]*\s*$")


@dataclass(frozen=True)
class Undo:
    """"whisper undo": of the last phrase typed, in turn with the text queued before it; or of
    phrase `number`, not typed yet, dropped when it arrives."""

    nothing: Callable[[], Any]  # called when there is nothing to undo
    number: Optional[int] = None
    dictation: int = 0


@dataclass(frozen=True)
class HeldMark:
    """A closing mark not typed yet."""

    phrase: int
    mark: str


@dataclass
class Piece:
    """What we typed for one phrase: undo presses exactly `len(typed)` backspaces."""

    dictation: int
    number: int
    typed: str
    replaced: Optional[HeldMark] = None  # the held mark its boundary replaced


@register
class Typist:
    """Keeps what each dictation typed, and types new phrases after it."""

    def __init__(self, keyboard: Optional[Keyboard] = None, busy: Callable[[], bool] = lambda: False) -> None:
        self.keyboard: Keyboard = keyboard or Unplugged()
        self.dictation = 0
        self.tail = ""  # end of what the current dictation typed
        self.paused_until = 0.0
        self.until_keys_up = False  # the pause ends when the system says the hotkey's keys are up
        self.queue: Deque[Union[Phrase, Undo]] = deque()
        self.pieces: List[Piece] = []  # what we typed, phrase by phrase, newest last
        self.held: Optional[HeldMark] = None
        self.last_seen = 0  # the newest phrase that reached the typist (typed or not)
        self.pending_undo: Optional[Undo] = None
        self.close_after = 3.0
        self.busy = busy  # a phrase is on its way from Whisper
        self.job: Any = None
        self.close_job: Any = None

    def new_dictation(self, dictation: int) -> None:
        self.type_held_mark()
        self.pending_undo = None
        self.dictation = dictation
        self.tail = ""

    def resume_in(self, seconds: float) -> None:
        """Type again `seconds` from now (the hotkey came up: a longer pause ends sooner)."""
        self.paused_until = self.keyboard.now() + seconds
        self.keyboard.cancel(self.job)
        self.job = None
        if self.queue:
            self._flush()

    def type(self, phrase: Phrase) -> None:
        """Type `phrase` after everything queued before it; `phrase.done(Typed)` follows."""
        self.queue.append(phrase)
        self._flush()

    def undo_last(self, nothing: Callable[[], Any]) -> None:
        """Undo the last phrase typed once what is queued before it is typed; `nothing()` if none."""
        self.queue.append(Undo(nothing))
        self._flush()

    def undo_phrase(self, number: int, dictation: int, nothing: Callable[[], Any]) -> None:
        """Undo phrase `number` of `dictation`: removed if typed, dropped when it arrives if not (a
        phrase that brings no text leaves the undo to the phrase typed before it). A second undo
        while it is on its way removes the phrase typed before it."""
        pending = self.pending_undo
        if number > self.last_seen and not (pending and pending.number == number):
            self.pending_undo = Undo(nothing, number, dictation)
        else:
            self.undo_last(nothing)

    def cancel(self, dictation: int) -> None:
        """Drop what dictation `dictation` has queued; each dropped phrase is told so."""
        if self.pending_undo is not None and self.pending_undo.dictation == dictation:
            self.pending_undo = None  # its phrase is dropped anyway
        dropped = [entry for entry in self.queue if isinstance(entry, Phrase) and entry.dictation == dictation]
        self.queue = deque(entry for entry in self.queue if entry not in dropped)
        for phrase in dropped:
            phrase.done(Typed(cancelled=True))

    def pending(self) -> int:
        return len(self.queue)

    def context(self, dictation: int, since: int = 0, before: Optional[int] = None,
                chars: int = 200) -> Optional[str]:
        """The end of what dictation `dictation` typed from phrase `since` on, stopping before
        phrase `before`, for Whisper's prompt (read by the worker); None when `chars` is 0."""
        if chars <= 0:
            return None
        held = self.held
        text = "".join(
            piece.typed + (held.mark if held and held.phrase == piece.number else "")
            for piece in list(self.pieces)
            if piece.dictation == dictation and piece.number >= since and (before is None or piece.number < before)
        )
        return text.strip()[-chars:] or None

    def type_held_mark(self) -> None:
        """Type the held mark now (the pause was long), or as soon as the hotkey's keys are up."""
        self.keyboard.cancel(self.close_job)
        self.close_job = None
        if self.held is None:
            return
        wait = self._wait()
        if wait > 0:
            self.close_job = self.keyboard.later(wait, self.type_held_mark)
            return
        held, self.held = self.held, None
        try:
            self.keyboard.insert(held.mark)
        except Exception:  # the phrase itself is in the history; a lost mark is not worth an alarm
            return
        self.tail += held.mark
        if self.pieces and self.pieces[-1].number == held.phrase:
            self.pieces[-1].typed += held.mark

    def type_held_mark_when_quiet(self) -> None:
        """Dictation stops: type the held mark once the phrases still on their way are typed."""
        if self.held is not None:
            self._close_if_quiet()

    def pause_until_keys_up(self, seconds: float) -> None:
        """The hotkey went down: type nothing until its keys are up, or for `seconds` when the
        system cannot say whether they are."""
        self.paused_until = max(self.paused_until, self.keyboard.now() + seconds)
        self.until_keys_up = True

    def _wait(self) -> float:
        """Seconds before typing may go on: the pause, or a short look again while keys are down."""
        down = self.keyboard.keys_down()
        if down:
            return KEYS_POLL
        if down is False and self.until_keys_up:
            return 0.0  # the system says the keys are up: the pause they set is over
        return self.paused_until - self.keyboard.now()

    def _flush(self) -> None:
        wait = self._wait()
        if wait > 0:
            if self.job is None:
                self.job = self.keyboard.later(wait, self._resume)
            return
        self.until_keys_up = False
        self.paused_until = min(self.paused_until, self.keyboard.now())
        while self.queue:
            entry = self.queue.popleft()
            if isinstance(entry, Undo):
                if not self.undo():
                    entry.nothing()
                continue
            self._type_one(entry)

    def _type_one(self, phrase: Phrase) -> None:
        self.last_seen = max(self.last_seen, phrase.number)
        pending = self.pending_undo
        if pending is not None and pending.dictation != phrase.dictation:
            self.pending_undo = pending = None  # its phrase never came (its dictation is over)
        if pending is not None and pending.number <= phrase.number:
            self.pending_undo = None
            if pending.number == phrase.number and phrase.text.strip():
                phrase.done(Typed(cancelled=True))  # "whisper undo" said while it was heard
                return
            if not self.undo():  # it brought nothing, or never came: the phrase typed before goes
                pending.nothing()
        current = phrase.dictation == self.dictation
        replaced = self._take_held(phrase) if current else None
        if replaced is None:
            self.type_held_mark()
        typed = self._compose(phrase, current, replaced is not None)
        held = None
        if phrase.hold_mark and current:
            mark = _CLOSING_MARK.search(typed)
            if mark and mark.start() > 0:
                typed, held = typed[: mark.start()], HeldMark(phrase.number, typed[mark.start():])
        if typed:
            try:
                self.keyboard.insert(typed)
            except Exception as error:  # the text is in the history: report, keep going
                phrase.done(Typed(error=error))
                return
            self.pieces = (self.pieces + [Piece(phrase.dictation, phrase.number, typed, replaced)])[-UNDO_DEPTH:]
            if current:
                self.tail = (self.tail + typed)[-1000:]
        if held is not None:
            self.held = held
            self._close_later()
        phrase.done(Typed(typed))

    def _take_held(self, phrase: Phrase) -> Optional[HeldMark]:
        """The held mark this phrase's boundary replaces, if it is still held."""
        boundary, held = phrase.boundary, self.held
        if boundary is None or held is None or boundary.after not in (held.phrase, None):
            return None
        self.held = None
        self.keyboard.cancel(self.close_job)
        self.close_job = None
        return held

    def _compose(self, phrase: Phrase, current: bool, joined: bool) -> str:
        """What to insert for `phrase` after what this dictation typed."""
        before = self.tail if current else ""
        text = phrase.text
        if joined:  # the mark that ends the previous phrase, then this one (join spaces and cleans)
            assert phrase.boundary is not None
            return join(before, phrase.boundary.mark + " " + text, phrase.french)
        if phrase.boundary is not None and _SENTENCE_END.search(before):
            text = text.lstrip()
            text = text[:1].upper() + text[1:]  # written to go on a sentence that has ended after all
        return join(before, text, phrase.french)

    def _close_later(self) -> None:
        self.keyboard.cancel(self.close_job)
        self.close_job = self.keyboard.later(max(0.001, self.close_after), self._close_if_quiet)

    def _close_if_quiet(self) -> None:
        self.keyboard.cancel(self.close_job)
        self.close_job = None
        if self.held is not None and (self.busy() or self.queue):
            self.close_job = self.keyboard.later(0.25, self._close_if_quiet)  # the next phrase is on its way
        else:
            self.type_held_mark()

    def undo(self) -> bool:
        """Remove the last phrase we typed with backspaces; False when there was none."""
        if not self.pieces:
            return False
        last = self.pieces.pop()
        if self.held is not None and self.held.phrase == last.number:
            self.held = None  # never typed: nothing to remove
        if last.typed:
            self.keyboard.backspace(len(last.typed))
        self.tail = self.tail[: -len(last.typed)] if last.typed and self.tail.endswith(last.typed) else ""
        if last.replaced is not None and self.pieces and self.pieces[-1].number == last.replaced.phrase:
            self.held = last.replaced  # the phrase before ends as it did: its mark waits again
            self._close_later()
        return True

    def _resume(self) -> None:
        self.job = None
        self._flush()
