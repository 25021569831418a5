"""Talon's one main thread: cron jobs, actions and (by default) phrase callbacks run on it in turn.

Jobs run as soon as the thread is free and their time has come (`cron.after("0ms", fn)` adds no
delay of its own). Each job's run time is kept: how long plugin code held Talon's thread.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

MAIN_THREAD_NAME = "talon-main"


class Job:
    """One cron job; `owner` is the user module that asked for it (a reload of that file drops it)."""

    def __init__(self, due: float, fn: Callable[[], Any], interval: Optional[float], owner: str) -> None:
        self.due, self.fn, self.interval, self.owner, self.cancelled = due, fn, interval, owner, False


class Scheduler:
    """The main thread and its queue of due jobs."""

    def __init__(self, on_error: Callable[[BaseException, str], None]) -> None:
        self._on_error = on_error
        self._jobs: "queue.PriorityQueue[Tuple[float, int, Job]]" = queue.PriorityQueue()
        self._sequence = 0
        self._lock = threading.Lock()  # user code asks for jobs from its own threads too
        self._busy = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()  # a job was scheduled: the loop looks again at once
        self._thread = threading.Thread(target=self._loop, name=MAIN_THREAD_NAME, daemon=True)
        self.task_seconds: List[float] = []  # how long each job held the thread
        self.user_task_seconds: List[float] = []  # the same, for the jobs user code asked for (cron)
        self.jobs: List[Job] = []  # every job ever asked for, for reloads to cancel

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.schedule(0, lambda: None, None)
        self._thread.join(2)

    def schedule(self, delay: float, fn: Callable[[], Any], interval: Optional[float], owner: str = "talon") -> Job:
        job = Job(time.monotonic() + delay, fn, interval, owner)
        with self._lock:
            if owner != "talon":
                self.jobs = [j for j in self.jobs if not j.cancelled] + [job]
            self._sequence += 1
            self._jobs.put((job.due, self._sequence, job))
        self._wake.set()
        return job

    def cancel_owned_by(self, owner: str) -> int:
        """Talon reloads `owner`'s file: its jobs go with it. Returns how many were live."""
        dropped = 0
        with self._lock:
            jobs = list(self.jobs)
        for job in jobs:
            if job.owner == owner and not job.cancelled:
                job.cancelled = True
                dropped += 1
        return dropped

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before get(): a job scheduled from here on wakes the wait below
            due, sequence, job = self._jobs.get()
            wait = due - time.monotonic()
            if wait > 0:
                self._jobs.put((due, sequence, job))
                self._wake.wait(wait)
                continue
            if job.cancelled or self._stop.is_set():
                continue
            self._busy.set()
            started = time.perf_counter()
            try:
                job.fn()
            except BaseException as error:
                self._on_error(error, "main-thread callback")
            finally:
                seconds = time.perf_counter() - started
                self.task_seconds.append(seconds)
                if job.owner != "talon":
                    self.user_task_seconds.append(seconds)
                self._busy.clear()
            if job.interval is None:
                job.cancelled = True  # done: it never runs again
            elif not job.cancelled:
                with self._lock:
                    job.due = time.monotonic() + job.interval
                    self._sequence += 1
                    self._jobs.put((job.due, self._sequence, job))

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    def call(self, fn: Callable[[], Any], timeout: float = 30) -> Any:
        """Run `fn` on the main thread (as a hotkey or voice command would) and wait for it."""
        if on_main_thread():
            return fn()
        done = threading.Event()
        box: Dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as error:
                box["error"] = error
                raise
            finally:
                done.set()

        self.schedule(0, run, None)
        if not done.wait(timeout):
            raise TimeoutError("the main thread did not run the call")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def pending_soon(self, quiet: float) -> bool:
        """Whether a one-off job is due within `quiet` seconds."""
        now = time.monotonic()
        return any(not job.cancelled and job.interval is None and job.due - now < quiet
                   for _, _, job in list(self._jobs.queue))

    def settle(self, quiet: float = 0.3, timeout: float = 60.0, idle: Callable[[], bool] = lambda: True) -> None:
        """Wait until no one-off job is due within `quiet` seconds, none runs, and `idle()`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pending_soon(quiet) and not self.busy and idle():
                time.sleep(quiet)
                if not self.pending_soon(quiet) and not self.busy:
                    return
            time.sleep(0.01)


def on_main_thread() -> bool:
    return threading.current_thread().name == MAIN_THREAD_NAME


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Wait (real time) until `condition` holds; False if it never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
