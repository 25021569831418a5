"""What must outlive a reload of the plugin's files: the phrase queue, the worker thread, the
session, and the newest code for each of its classes.

Talon re-runs a changed file from the top (TALON_FACTS); its siblings may keep the old module.
So state lives in a holder in `sys.modules`, each reloaded file registers its classes here,
and whoever asks for the session (old code or new) gets the same object, upgraded in place to
the newest class: one session, one worker, one queue, whatever was reloaded.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import types
from typing import Any, Callable, Optional, Set

from talon import cron

from .engine import models

log = logging.getLogger("superwhisper2")

WORKER_NAME = "superwhisper2-worker"
_KEY = "superwhisper2_plugin_state"


def runtime() -> types.ModuleType:
    """Process-wide objects that survive reloads of this package's files."""
    holder = sys.modules.get(_KEY)
    if holder is None:
        holder = types.ModuleType(_KEY, "superwhisper2's queue, worker and session across reloads")
        holder.queue = queue.Queue()  # type: ignore[attr-defined]
        holder.worker = None  # type: ignore[attr-defined]
        holder.session = None  # type: ignore[attr-defined]
        holder.exiting = threading.Event()  # type: ignore[attr-defined]
        holder.lock = threading.RLock()  # type: ignore[attr-defined]
        holder.classes = {}  # type: ignore[attr-defined]
        sys.modules[_KEY] = holder
    return holder


def register(cls: type) -> type:
    """The newest code for `cls.__name__` (called at import, so a reload registers again)."""
    runtime().classes[cls.__name__] = cls
    return cls


def upgrade(obj: Any) -> Any:
    """`obj` moved to the newest registered class of its name, its state and identity kept;
    attributes that newer code added get their fresh defaults."""
    newest = runtime().classes.get(type(obj).__name__)
    if newest is not None and type(obj) is not newest:
        fresh = newest()
        obj.__class__ = newest
        for name, value in vars(fresh).items():
            obj.__dict__.setdefault(name, value)
    return obj


def session() -> Any:
    """The one session, built on first use and upgraded after reloads."""
    holder = runtime()
    with holder.lock:
        if holder.session is None:
            holder.session = holder.classes["Session"]()
        current = upgrade(holder.session)
        for part in ("typist", "keeper"):
            if hasattr(current, part):
                upgrade(getattr(current, part))
        return current


def on_main(fn: Callable[[], Any]) -> None:
    """Run `fn` on Talon's main thread soon (actions and UI belong there)."""
    cron.after("0ms", fn)


def ensure_worker() -> None:
    """Start the one worker thread if it is not running (at ready, never at import)."""
    holder = runtime()
    with holder.lock:
        if holder.worker is None or not holder.worker.is_alive():
            holder.exiting.clear()
            holder.worker = threading.Thread(target=_work, args=(holder,), name=WORKER_NAME, daemon=True)
            holder.worker.start()


def _work(holder: types.ModuleType) -> None:
    """The worker loop: trivial, because a reload cannot replace a running thread's code."""
    while not holder.exiting.is_set():
        item = holder.queue.get()
        if item is None or holder.exiting.is_set():
            break
        current = session()
        try:
            current.process(item)
        except Exception:  # never let one phrase kill the worker
            log.exception("superwhisper2: unexpected error while processing a phrase")
        finally:
            on_main(lambda: session().update_state())  # whatever became of the phrase, the overlay follows


def shutdown(timeout: float = 1.0) -> None:
    """Talon is exiting: end the worker within `timeout` seconds and free the model, never
    waiting on a transcription or a download in progress."""
    holder = runtime()
    holder.exiting.set()
    holder.queue.put(None)
    current = holder.session
    if current is not None and hasattr(current, "keeper"):
        current.keeper.ready.set()  # wake a worker waiting for the model
    worker = holder.worker
    if worker is not None and worker is not threading.current_thread():
        worker.join(timeout)
    models.release_all(wait=0.2)


def backlog_seconds(waiting: Any) -> float:
    """Seconds of speech queued for Whisper."""
    with waiting.mutex:
        return sum(item.seconds for item in waiting.queue if item is not None)


def mode_active(mode: str) -> bool:
    """Whether a Talon mode is on. Talon exposes no public query, so ask the scope if present."""
    active = _modes()
    return mode == "command" if active is None else mode in active


def command_mode() -> Optional[bool]:
    """Whether command mode is on; None when Talon cannot say (then settings are read only at
    start-up and when dictation starts)."""
    active = _modes()
    return None if active is None else "command" in active


def _modes() -> Optional[Set[str]]:
    try:
        from talon import scope

        return set(scope.get("mode"))
    except Exception:
        return None

