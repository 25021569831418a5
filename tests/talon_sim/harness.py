"""The plugin running in a simulated Talon, driven as a user would: start Talon, wait for the
model, press the hotkey, speak, wait for what became of each phrase, stop.

What became of a phrase is read from the plugin's own log: every phrase ends in one record
(pipeline.py) carrying its outcome, text and figures. The story tests, tools/replay.py,
tools/bench.py and tools/evaluate.py all dictate through this one class. Importing this file
does nothing (Talon imports it too).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, Dict, List, Mapping, Optional

from .facts import Facts
from .loading import user_dir_with
from .process import Talon

HOTKEY = "super-shift-v"  # superwhisper2/hotkey.talon's chord
RECORD = "superwhisper2_phrase"  # the attribute of the plugin's log records (pipeline.RECORD)
HOLDER_KEY = "superwhisper2_runtime"  # where the plugin keeps its state across reloads (runtime.HOLDER_KEY)
RUNTIME = "user.superwhisper2.superwhisper2.runtime"  # the plugin's runtime module, as Talon names it
FINISHED = ("typed", "dropped", "failed")  # outcomes of a phrase Whisper dealt with


class _Records(logging.Handler):
    """Collects the plugin's phrase records as they are logged."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: List[Dict[str, Any]] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        figures = getattr(record, RECORD, None)
        if figures is not None:
            with self.guard:
                self.records.append(dict(figures))


class Dictation:
    """One simulated Talon with this repository installed, and what its phrases became."""

    def __init__(self, talon: Talon) -> None:
        self.talon = talon
        self.ended = False
        self._records = _Records()
        logger = logging.getLogger("superwhisper2")
        logger.addHandler(self._records)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)

    @classmethod
    def start(cls, repository: str, home: str, settings: Optional[Mapping[str, Any]] = None, facts: Facts = Facts(),
              launch: bool = True, **switches: Any) -> "Dictation":
        """Talon with `repository` in the user directory under `home`, the user's `settings`
        in a header-less file of theirs (as community's settings.talon)."""
        talon = Talon(user_dir_with(repository, os.path.join(home, "user")), facts, **switches)
        for name, value in (settings or {}).items():
            talon.set_setting(name, value)
        dictation = cls(talon)
        if launch:
            try:
                talon.start()
            except BaseException:  # the plugin's state and the fake modules must not outlive it
                dictation.shutdown()
                raise
        return dictation

    # -- the plugin's state, as a test may look at it ---------------------------------------------

    @property
    def holder(self) -> Any:
        return sys.modules[HOLDER_KEY].holder

    @property
    def session(self) -> Any:
        return self.holder.session

    def model(self) -> Any:
        session = self.session
        return None if session is None else session.keeper.model

    def wait_ready(self, timeout: float = 120) -> Any:
        """The loaded model, once it is; raises with the plugin's word when it cannot load."""
        self.talon.wait_until(lambda: self.model() is not None or self._load_error(), timeout)
        if self.model() is None:
            raise RuntimeError(f"the model did not load: {self._load_error() or 'timed out'}; {self.talon.notifications}")
        self.talon.settle()
        return self.model()

    def _load_error(self) -> Optional[str]:
        session = self.session
        return None if session is None else session.keeper.error

    # -- what became of the phrases ---------------------------------------------------------------

    def records(self) -> List[Dict[str, Any]]:
        with self._records.guard:
            return list(self._records.records)

    def finished(self) -> int:
        """Phrases Whisper dealt with so far (typed, dropped as no speech, failed or refused)."""
        return sum(1 for record in self.records() if record["outcome"] in FINISHED)

    def done(self) -> int:
        """Phrases typed or dropped so far (failed ones wait for "whisper retry")."""
        return sum(1 for record in self.records() if record["outcome"] in ("typed", "dropped"))

    def pieces(self) -> List[str]:
        """What each phrase typed, oldest first (a held closing mark is typed later, with the next)."""
        return [record["typed"] for record in self.records() if record.get("typed")]

    def wait_finished(self, count: int, timeout: float = 120) -> bool:
        return self.talon.wait_until(lambda: self.finished() >= count, timeout)

    # -- the user ---------------------------------------------------------------------------------

    def press_hotkey(self) -> None:
        self.talon.press(HOTKEY)

    def say(self, samples: Any, timeout: float = 600) -> List[Dict[str, Any]]:
        """Say one phrase and wait until Whisper dealt with it: its records."""
        before = len(self.records())
        finished = self.finished()
        self.talon.speak(samples)
        if not self.wait_finished(finished + 1, timeout):
            raise TimeoutError(f"a phrase was not transcribed within {timeout:.0f} s")
        self.talon.wait_until(lambda: not self.session.typist.pending(), 5)
        return self.records()[before:]

    def say_command(self, words: str) -> None:
        """Say a voice command Talon recognises ("whisper start", "whisper stop"...)."""
        self.talon.speak(words=words)
        self.talon.settle(quiet=0.05)

    def dictate(self, *phrases: Any) -> str:
        """Press the hotkey, say each phrase, wait for them, press it again: the document."""
        self.press_hotkey()
        done = self.done()
        for samples in phrases:
            self.talon.speak(samples)
        if not self.talon.wait_until(lambda: self.done() >= done + len(phrases), 120):
            raise TimeoutError(f"{len(phrases)} phrases were not all transcribed within 120 s")
        self.talon.settle()
        self.press_hotkey()
        self.talon.settle(quiet=0.5)  # the hotkey's keys are up and the last closing mark typed
        return self.talon.document

    def shutdown(self, keep_models: bool = True) -> None:
        """Talon's process ends: the plugin's worker stops, its state is forgotten (the shared
        model stays loaded for the next simulated Talon of this process, unless told not to)."""
        if self.ended:
            return
        self.ended = True
        runtime = sys.modules.get(RUNTIME)
        if runtime is not None and HOLDER_KEY in sys.modules:
            runtime.shutdown(keep_models=keep_models)
        sys.modules.pop(HOLDER_KEY, None)
        logging.getLogger("superwhisper2").removeHandler(self._records)
        self.talon.stop()
