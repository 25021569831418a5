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
    """The hotkey's presses. Talon fires `key()` again while a key is held, as the system repeats
    it (talonvoice/talon#305), and its `:up` may never come: a key-down with no release seen since
    the last is the key repeating, not a press, so a held key never toggles twice. Where the system
    says when the keys are up (`released`), that is all it takes. Where it cannot: repeats come in
    a stream a few hundredths of a second apart, so a longer gap in a stream ends it; before the
    first repeat, a key-down within FIRST_REPEAT seconds is taken for one."""

    FIRST_REPEAT = 1.5  # seconds: longer than the usual delay before a held key repeats
    IN_A_STREAM = 0.3  # seconds: repeats come closer together than this (33 ms on Windows)

    def __init__(self) -> None:
        self.down_at: Optional[float] = None
        self.repeating = False

    def pressed(self, now: float, system_says: bool) -> bool:
        """Whether this key-down is a new press; `system_says`: the system tells when keys are up."""
        repeat = self.down_at is not None and (
            system_says or now - self.down_at < (self.IN_A_STREAM if self.repeating else self.FIRST_REPEAT))
        self.down_at, self.repeating = now, repeat
        return not repeat

    def released(self) -> None:
        self.down_at, self.repeating = None, False


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
