"""What Talon runs for the plugin that must outlive a reload: the timers, the worker thread,
the exit, and Talon's keyboard for the typist. The state itself is in holder.py.

Talon may drop a reloaded file's cron jobs (reported, not documented), so every timer is made
here, kept in the holder, and made again after a reload of this file, whoever asked for it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Callable, Optional, Set

from talon import actions, app, cron

from .engine import models
from .holder import Holder, Timer, holder, session
from .keys import hotkey_keys_down

log = logging.getLogger("superwhisper2")

WORKER_NAME = "superwhisper2-worker"


# -- timers --------------------------------------------------------------------------------------

def later(seconds: float, fn: Callable[[], Any], name: Optional[str] = None) -> str:
    """Run `fn` on Talon's main thread in `seconds`; returns the timer's name (for `cancel`)."""
    if name is None:
        kept = holder()
        with kept.timer_lock:  # numbered in the holder: a reloaded copy of this file counts on
            kept.timer_count += 1
            name = f"after-{kept.timer_count}"
    return _start(name, Timer(fn, seconds, False, time.monotonic() + seconds))


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
    """Make every live timer again: Talon may drop a reloaded file's cron jobs."""
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
        try:
            timer.fn()
        except Exception:  # Talon would log it too; the other timers go on
            log.exception("superwhisper2: a timer failed")


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
    """Whether command mode is on (and sleep off: community's "go to sleep" enables sleep beside
    command, and sleep turns command files off); None when Talon cannot say."""
    active = _modes()
    return None if active is None else "command" in active and "sleep" not in active


def _modes() -> Optional[Set[str]]:
    try:
        from talon import scope

        return set(scope.get("mode"))
    except Exception:
        return None


app.register("ready", rearm)  # after a reload of this file, its timers are made again
