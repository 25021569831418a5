"""The user's keyboard: a key combination pressed and let go, the bindings it runs, and what
Talon passes on to the system.

All keys go down together; they come up in any order, up to `modifier_lag_seconds` apart
(TALON_FACTS: users let go in any order). Talon runs `key(chord)` on the way down and
`key(chord:up)` only when the chord's key comes up while its modifiers are still down; an event
no active file binds goes on to the system (`passed`, so a test can assert none did). Windows
can be asked which keys are down (GetAsyncKeyState): `ctypes.windll` is modelled for that.
"""

from __future__ import annotations

import ctypes
import threading
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

if TYPE_CHECKING:
    from .process import Talon

PRESS_GAP = 0.1  # seconds: the quickest a person presses a key again after letting it go
KEY_REPEAT_EVERY = 0.1  # seconds between two repeats of a held key (systems repeat faster: coarser here)
VIRTUAL_KEYS: Dict[int, str] = {0x5B: "super", 0x5C: "super", 0x10: "shift", 0xA0: "shift", 0xA1: "shift",
                                0x11: "ctrl", 0x12: "alt", **{code: chr(code).lower() for code in range(0x41, 0x5B)}}


class Keyboard:
    """Presses keys for the user and knows which are down."""

    def __init__(self, talon: "Talon") -> None:
        self.talon = talon
        self.presses: List[float] = []  # how long each press held its keys
        self.orders: List[Tuple[str, ...]] = []  # the order the keys came up in, per press
        self.down: Set[str] = set()
        self.passed: List[str] = []  # key events no active file bound: Windows got them
        self.released_at = 0.0  # when the last key came up
        self.press_count = 0
        self.pressed_at = 0.0
        self._lock = threading.Lock()

    def held(self) -> Set[str]:
        with self._lock:
            return set(self.down)

    def press(self, chord: str, wait: bool = True) -> None:
        """The user presses `chord` ("super-shift-v") and lets go; with `wait`, return once all is up."""
        talon, facts = self.talon, self.talon.facts
        time.sleep(max(0.0, self.released_at + PRESS_GAP - time.monotonic()))  # a finger goes up, then down
        keys = chord.split("-")
        hold = facts.modifier_hold_seconds
        hold = talon.random.uniform(0.1, 1.5) if hold is None else hold
        order = facts.release_order or tuple(talon.random.sample(keys, len(keys)))
        self.presses.append(hold)
        self.orders.append(order)
        with self._lock:
            self.down |= set(keys)
            self.pressed_at = time.monotonic()
        self._event(chord)  # on the way down, at once
        released = threading.Event()
        pressed = time.monotonic()
        self.press_count += 1
        if facts.key_repeat_delay is not None:
            this = self.press_count
            talon.scheduler.schedule(facts.key_repeat_delay, lambda: self._repeat(chord, this), None)
        gaps = sorted(talon.random.uniform(0.0, facts.modifier_lag_seconds) for _ in order)
        for position, (key, gap) in enumerate(zip(order, gaps)):
            last = position == len(order) - 1
            talon.scheduler.schedule(max(0.0, pressed + hold + gap - time.monotonic()),
                                     lambda key=key, last=last: self._release(chord, key, released if last else None),
                                     None)
        if wait:
            released.wait(30)

    def _repeat(self, chord: str, press: int) -> None:
        """The chord still held since press `press`: the system repeats it, and Talon fires its binding again."""
        if press == self.press_count and self.released_at < self.pressed_at and set(chord.split("-")) <= self.held():
            self._event(chord)
            self.talon.scheduler.schedule(KEY_REPEAT_EVERY, lambda: self._repeat(chord, press), None)

    def _release(self, chord: str, key: str, released: Optional[threading.Event]) -> None:
        keys = chord.split("-")
        with self._lock:
            modifiers_down = all(k in self.down for k in keys[:-1])
            self.down.discard(key)
            self.released_at = time.monotonic()
        try:
            if key == keys[-1] and modifiers_down:
                self._event(chord + ":up")
            else:
                self.passed.append(f"{key}:up")  # what Talon sees is not the chord: no binding
        finally:
            if released is not None:
                released.set()

    def _event(self, event: str) -> None:
        bound = self.talon.bindings(event)
        if bound:
            self.talon.call_on_main(lambda: self.talon.run_actions(bound[0]))
        else:
            self.passed.append(event)


class FakeUser32:
    """user32.GetAsyncKeyState, answering from the simulated keyboard."""

    def __init__(self, keyboard: Keyboard) -> None:
        self.keyboard = keyboard

    def GetAsyncKeyState(self, code: int) -> int:  # noqa: N802 (Windows' name)
        name = VIRTUAL_KEYS.get(int(code))
        return 0x8000 if name is not None and name in self.keyboard.held() else 0


class FakeWindll:
    user32: FakeUser32


def install_windll(keyboard: Keyboard) -> Optional[object]:
    """`ctypes.windll` for this Talon's Windows (the previous one, to put back)."""
    previous = getattr(ctypes, "windll", None)
    windll = FakeWindll()
    windll.user32 = FakeUser32(keyboard)
    ctypes.windll = windll  # type: ignore[attr-defined]
    return previous


def remove_windll(previous: Optional[object]) -> None:
    if previous is None:
        if hasattr(ctypes, "windll"):
            del ctypes.windll  # type: ignore[attr-defined]
    else:
        ctypes.windll = previous  # type: ignore[attr-defined]
