"""The one holder of what outlives a reload of the plugin's files, and the newest code of each class.

Talon re-runs a changed file from the top (TALON_FACTS); its siblings may keep the old module.
So state lives in one `Holder` in `sys.modules`; each reloaded file registers its classes here,
and whoever asks for the session (old code or new) gets the same object, upgraded in place to the
newest class. Talon-free, so the stages that register classes are tested without Talon.
"""

from __future__ import annotations

import queue
import sys
import threading
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Protocol

HOLDER_KEY = "superwhisper2_runtime"


class Lifecycle(Protocol):
    """What the worker and the exit need of the session (session.py)."""

    def process(self, item: Any) -> None: ...

    def update_state(self) -> None: ...

    def wake(self) -> None: ...


@dataclass
class Timer:
    """A cron job of the plugin's, kept so that it can be made again after a reload."""

    fn: Callable[[], Any]
    seconds: float
    repeat: bool
    due: float
    job: Any = None


@dataclass
class Holder:
    """One of each, whatever file was reloaded."""

    queue: "queue.Queue[Any]" = field(default_factory=queue.Queue)  # Heard, or None to end the worker
    exiting: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    classes: Dict[str, type] = field(default_factory=dict)  # the newest code, by class name
    session: Optional[Lifecycle] = None
    worker: Optional[threading.Thread] = None
    hook: Optional[Callable[[dict], Any]] = None  # the pre:phrase callback Talon holds
    heard: int = 0  # phrases handed over this session (each Heard's number)
    last_heard: float = 0.0  # time.monotonic() of the last (or of the dictation's start)
    stopped_at: Optional[float] = None  # perf_counter() when a dictation stopped (not cancelled)
    microphone: Any = None  # microphone.Source: Talon's samples, or our own stream
    refresh_overlay: Callable[[], Any] = lambda: None  # the newest overlay's
    overlay_window: Any = None  # the imgui window it draws in
    timers: Dict[str, Timer] = field(default_factory=dict)
    timer_lock: threading.Lock = field(default_factory=threading.Lock)
    timer_count: int = 0  # names the one-off timers
    installed: bool = False  # this Python's packages were found at start-up
    atexit_registered: bool = False


def holder() -> Holder:
    """The process-wide holder, made on first use."""
    module = sys.modules.get(HOLDER_KEY)
    if module is None:
        module = types.ModuleType(HOLDER_KEY, "superwhisper2's state across reloads")
        module.holder = Holder()  # type: ignore[attr-defined]
        sys.modules[HOLDER_KEY] = module
    kept: Holder = module.holder  # type: ignore[attr-defined]
    return kept


def register(cls: type) -> type:
    """The newest code for `cls.__name__` (called at import, so a reload registers again)."""
    holder().classes[cls.__name__] = cls
    return cls


def upgrade(obj: Any) -> Any:
    """`obj` moved to the newest registered class of its name, its state and identity kept;
    attributes that newer code added get their fresh defaults."""
    newest = holder().classes.get(type(obj).__name__)
    if newest is not None and type(obj) is not newest:
        fresh = newest()
        obj.__class__ = newest
        for name, value in vars(fresh).items():
            obj.__dict__.setdefault(name, value)
    return obj


def session() -> Any:
    """The one session, built on first use, upgraded after reloads with its parts."""
    kept = holder()
    with kept.lock:
        if kept.session is None:
            kept.session = kept.classes["Session"]()
        current = upgrade(kept.session)
        for part in list(vars(current).values()):
            if type(part).__name__ in kept.classes:
                upgrade(part)
        return current


def _fields_added_by_this_code() -> None:
    """A reload of this file may declare new Holder fields: the kept holder gets their defaults."""
    module = sys.modules.get(HOLDER_KEY)
    if module is not None:
        fresh = Holder()
        for name in fresh.__dataclass_fields__:
            if not hasattr(module.holder, name):
                setattr(module.holder, name, getattr(fresh, name))


_fields_added_by_this_code()
