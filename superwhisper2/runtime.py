"""What must outlive a reload of the plugin's files: the phrase queue, the worker thread, the
session, the timers, and the newest code for each of the session's classes.

Talon re-runs a changed file from the top (TALON_FACTS); its siblings may keep the old module,
and it may drop the file's cron jobs and imgui windows. So state lives in one `Holder` in
`sys.modules`; each reloaded file registers its classes here, and whoever asks for the session
(old code or new) gets the same object, upgraded in place to the newest class. Every timer is
made here and re-made after a reload of this file, whoever asked for it.
"""

from __future__ import annotations

import itertools
import logging
import queue
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Protocol, Set

from talon import actions, app, cron

from .engine import models
from .keys import hotkey_keys_down

log = logging.getLogger("superwhisper2")

WORKER_NAME = "superwhisper2-worker"
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
    microphone: Any = None  # microphone.Source: Talon's samples, or our own stream
    refresh_overlay: Callable[[], Any] = lambda: None  # the newest overlay's
    timers: Dict[str, Timer] = field(default_factory=dict)
    timer_lock: threading.Lock = field(default_factory=threading.Lock)
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


# -- timers --------------------------------------------------------------------------------------

_names = itertools.count()


def later(seconds: float, fn: Callable[[], Any], name: Optional[str] = None) -> str:
    """Run `fn` on Talon's main thread in `seconds`; returns the timer's name (for `cancel`)."""
    return _start(name or f"after-{next(_names)}", Timer(fn, seconds, False, time.monotonic() + seconds))


def every(seconds: float, fn: Callable[[], Any], name: str) -> str:
    """Run `fn` on the main thread every `seconds` until cancelled; one timer per name."""
    return _start(name, Timer(fn, seconds, True, time.monotonic() + seconds))


def on_main(fn: Callable[[], Any]) -> None:
    """Run `fn` on Talon's main thread soon (actions and UI belong there)."""
    later(0.0, fn)


def cancel(name: Optional[str]) -> None:
    if name is None:
        return
    kept = holder()
    with kept.timer_lock:
        timer = kept.timers.pop(name, None)
    if timer is not None:
        cron.cancel(timer.job)


def rearm() -> None:
    """Make every live timer again: Talon drops a reloaded file's cron jobs (TALON_FACTS)."""
    kept = holder()
    with kept.timer_lock:
        timers = dict(kept.timers)
    for name, timer in timers.items():
        cron.cancel(timer.job)
        _schedule(name, timer, max(0.0, timer.due - time.monotonic()) if not timer.repeat else timer.seconds)


def _start(name: str, timer: Timer) -> str:
    kept = holder()
    with kept.timer_lock:
        old = kept.timers.get(name)
        kept.timers[name] = timer
    if old is not None:
        cron.cancel(old.job)
    _schedule(name, timer, timer.seconds)
    return name


def _schedule(name: str, timer: Timer, seconds: float) -> None:
    spec = f"{max(0, int(seconds * 1000))}ms"
    timer.job = cron.interval(spec, lambda: _fire(name)) if timer.repeat else cron.after(spec, lambda: _fire(name))


def _fire(name: str) -> None:
    kept = holder()
    with kept.timer_lock:
        timer = kept.timers.get(name)
        if timer is not None and not timer.repeat:
            del kept.timers[name]
    if timer is not None:
        timer.due = time.monotonic() + timer.seconds
        timer.fn()


class TalonKeyboard:
    """The typist's keyboard in Talon: actions on the main thread, the plugin's timers, and
    the system's word on the hotkey's keys."""

    def insert(self, text: str) -> None:
        actions.insert(text)

    def backspace(self, count: int) -> None:
        actions.key(f"backspace:{count}")

    def later(self, seconds: float, fn: Callable[[], Any]) -> Any:
        return later(seconds, fn)

    def cancel(self, job: Any) -> None:
        cancel(job)

    def now(self) -> float:
        return time.monotonic()

    def keys_down(self) -> Optional[bool]:
        return hotkey_keys_down(app.platform)


# -- the worker and the exit ---------------------------------------------------------------------

def ensure_worker() -> None:
    """Start the one worker thread if it is not running (at ready, never at import)."""
    kept = holder()
    with kept.lock:
        if kept.worker is None or not kept.worker.is_alive():
            kept.exiting.clear()
            kept.worker = threading.Thread(target=_work, args=(kept,), name=WORKER_NAME, daemon=True)
            kept.worker.start()


def _work(kept: Holder) -> None:
    """The worker loop: trivial, because a reload cannot replace a running thread's code."""
    while not kept.exiting.is_set():
        item = kept.queue.get()
        if item is None or kept.exiting.is_set():
            break
        try:
            session().process(item)
        except Exception:  # never let one phrase kill the worker
            log.exception("superwhisper2: unexpected error while processing a phrase")
        finally:
            on_main(lambda: session().update_state())  # whatever became of the phrase, the overlay follows


def shutdown(timeout: float = 1.0, *, keep_models: bool = False) -> None:
    """Talon is exiting: end the worker within `timeout` seconds and free the model, never
    waiting on a transcription or a download in progress. `keep_models`: the next Talon of
    this process (a test's) finds them loaded."""
    kept = holder()
    kept.exiting.set()
    kept.queue.put(None)
    if kept.session is not None:
        kept.session.wake()  # a worker waiting for the model
    with kept.timer_lock:
        timers = list(kept.timers.values())
        kept.timers.clear()
    for timer in timers:
        try:
            cron.cancel(timer.job)
        except Exception:  # Talon is going away
            pass
    worker = kept.worker
    if worker is not None and worker is not threading.current_thread():
        worker.join(timeout)
    if not keep_models:
        models.release_all(wait=0.2)


def backlog_seconds(waiting: "queue.Queue[Any]") -> float:
    """Seconds of speech queued for Whisper."""
    with waiting.mutex:
        return sum(item.seconds for item in waiting.queue if item is not None)


def mode_active(mode: str) -> bool:
    """Whether a Talon mode is on. Talon exposes no public query, so ask the scope if present."""
    active = _modes()
    return mode == "command" if active is None else mode in active


def command_mode() -> Optional[bool]:
    """Whether command mode is on; None when Talon cannot say."""
    active = _modes()
    return None if active is None else "command" in active


def _modes() -> Optional[Set[str]]:
    try:
        from talon import scope

        return set(scope.get("mode"))
    except Exception:
        return None


def _fields_added_by_this_code() -> None:
    """A reload of this file may declare new Holder fields: the kept holder gets their defaults."""
    module = sys.modules.get(HOLDER_KEY)
    if module is not None:
        fresh = Holder()
        for name in fresh.__dataclass_fields__:
            if not hasattr(module.holder, name):
                setattr(module.holder, name, getattr(fresh, name))


_fields_added_by_this_code()
app.register("ready", rearm)  # after a reload of this file, its timers are made again
