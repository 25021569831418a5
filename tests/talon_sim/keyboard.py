"""The user's keyboard: a key combination pressed and let go, the bindings it runs, and what
Talon passes on to the system."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, List

if TYPE_CHECKING:
    from .process import Talon


class Keyboard:
    """Presses keys for the user and knows which are down."""

    def __init__(self, talon: "Talon") -> None:
        self.talon = talon
        self.presses: List[float] = []  # how long each press held its keys
        self.modifiers_down_until = 0.0

    def modifiers_down(self) -> bool:
        return time.monotonic() < self.modifiers_down_until

    def press(self, key: str, wait: bool = True) -> None:
        """The user presses a key combination and lets go: `key(...)` bindings run on the main
        thread at once, `key(...:up)` ones when the key comes up; the modifiers come up a
        moment later. Typing while they are down types modified keys (talonvoice/talon#675)."""
        talon, facts = self.talon, self.talon.facts
        modifiers = key.split("-")[:-1]
        hold = facts.modifier_hold_seconds
        if hold is None:
            hold = talon.random.uniform(0.1, 1.5)
        self.presses.append(hold)
        pressed = time.monotonic()
        if modifiers:
            self.modifiers_down_until = max(self.modifiers_down_until, pressed + hold + facts.modifier_lag_seconds)
        down = talon.bindings(key)
        if not down and not talon.bindings(key + ":up"):
            talon.keys.append(f"unbound:{key}")
        if down:
            talon.call_on_main(lambda: talon.run_actions(down[0]))
        released = threading.Event()

        def release() -> None:
            up = talon.bindings(key + ":up")  # the modes may have changed since the key went down
            try:
                if up:
                    talon.run_actions(up[0])
            finally:
                released.set()

        talon.scheduler.schedule(max(0.0, pressed + hold - time.monotonic()), release, None)
        if wait:
            released.wait(30)
            time.sleep(max(0.0, self.modifiers_down_until - time.monotonic()) if modifiers else 0.0)
