"""What typing needs of the system, without Talon: the `Keyboard` the typist types through, and
whether the hotkey's keys are still down.

Text typed while Win or Shift is held becomes Win+Shift shortcuts (talonvoice/talon#675; Win+L
locks the screen), and users let go of the keys in any order, so Talon's `:up` is no proof they
are up. On Windows the system is asked (GetAsyncKeyState); elsewhere it cannot be, and the
typist waits for the `:up` and the type delay instead.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

HOTKEY = "super-shift-v"  # hotkey.talon binds this chord (a test keeps them the same)
# Windows virtual-key codes of the hotkey's keys: left and right Win, Shift, V
_VIRTUAL_KEYS = (0x5B, 0x5C, 0x10, 0x56)


class Keyboard(Protocol):
    """What the typist needs: typing, backspaces, timers, and the hotkey's keys."""

    def insert(self, text: str) -> None: ...

    def backspace(self, count: int) -> None: ...

    def later(self, seconds: float, fn: Callable[[], Any]) -> Any: ...

    def cancel(self, job: Any) -> None: ...

    def now(self) -> float: ...

    def keys_down(self) -> Optional[bool]:
        """Whether the hotkey's keys are down; None when the system cannot say."""


class Unplugged:
    """No keyboard yet (the session plugs Talon's in): nothing is typed."""

    def insert(self, text: str) -> None:
        raise RuntimeError("the typist has no keyboard")

    def backspace(self, count: int) -> None:
        raise RuntimeError("the typist has no keyboard")

    def later(self, seconds: float, fn: Callable[[], Any]) -> Any:
        return None

    def cancel(self, job: Any) -> None:
        return None

    def now(self) -> float:
        return 0.0

    def keys_down(self) -> Optional[bool]:
        return None


class Hotkey:
    """The hotkey's presses. A key-down with no key-up since, this soon after the last, is the key
    repeating, not a press: a held key must not toggle twice."""

    REPEAT = 0.6  # seconds

    def __init__(self) -> None:
        self.down_at: Optional[float] = None

    def pressed(self, now: float) -> bool:
        repeat = self.down_at is not None and now - self.down_at < self.REPEAT
        self.down_at = now
        return not repeat

    def released(self) -> None:
        self.down_at = None


def hotkey_keys_down(platform: str) -> Optional[bool]:
    """Whether Win, Shift or V is down, as Windows says; None where the system cannot be asked."""
    if platform != "windows":
        return None
    try:
        import ctypes

        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        return any(user32.GetAsyncKeyState(key) & 0x8000 for key in _VIRTUAL_KEYS)
    except Exception:  # no windll (not Windows after all) or the call failed: cannot say
        return None
