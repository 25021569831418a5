"""The dictation: its state, and the stages wired in order (docs/ARCHITECTURE.md).

capture (capture.py) → queue → recognise (recognise.py, the engine) → interpret (interpret.py)
→ type (typist.py, main thread) → history. Threads: Talon's speech thread calls `heard`; the
one worker thread calls `process`; everything that touches Talon runs on the main thread.

Settings are read where the user's own files apply: a .talon file without a mode line (how
most users write settings) is active in command mode only (TALON_FACTS, sure), so they are read
in command mode, at the latest when dictation starts, and kept unchanged until it stops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Set

from talon import actions, cron, settings

from . import microphone, pipeline, status
from .engine.stats import LatencyStats
from .history import History, history_path
from .loader import ModelKeeper, describe
from .options import Options, SettingsUnavailable, read_options
from .recognise import Failed, Heard, Memory
from .runtime import backlog_seconds, command_mode, mode_active, on_main, register, runtime, session
from .typist import Phrase, Typist
from .vocabulary import Lists

log = logging.getLogger("superwhisper2")

MODE = "user.whisper"
TALON_MODES = ("command", "dictation", "sleep")  # switched off while dictating, restored afterwards
LANGUAGES = {"french": "fr", "english": "en", "auto": "auto"}
HOTKEY_UP_WAIT = 2.0  # seconds: if Talon never reports the hotkey's release, toggle anyway


@register
class Session:
    """Dictation state. Methods say which thread calls them."""

    def __init__(self) -> None:
        self.listening = False
        self.dictation = 0
        self.cancelled: Set[int] = set()
        self.saved_modes: List[str] = []
        self.options: Optional[Options] = None
        self.keeper = ModelKeeper()
        self.keeper.tell = lambda title, body: session().tell_error(title, body)
        self.keeper.changed = lambda: session().update_state()
        self.status = status.Status()
        self.stats = LatencyStats()
        self.failed: Deque[Failed] = deque(maxlen=10)
        self.recent: Deque[Dict[str, Any]] = deque(maxlen=100)  # the last phrases, typed or dropped
        self.typist = Typist()
        self.typist.busy = lambda: session().processing or not runtime().queue.empty()
        self.history: Optional[History] = None
        self.lists = Lists()
        self.memory = Memory()  # worker thread: what the next phrase is heard with
        self.language_override: Optional[str] = None  # "whisper language ...": a code or "auto"
        self.sticky_language: Optional[str] = None  # detected on a dictation's first phrase
        self.last_transcript = ""
        self.last_speech = 0.0
        self.heard_count = 0
        self.processing = False
        self.auto_stop_job: Any = None
        self.hotkey_job: Any = None  # waiting for the hotkey's release
        self.toggled_early = False  # the release never came: toggled without it
        self.on_status: Callable[[], None] = lambda: None

    @property
    def model(self) -> Any:
        return self.keeper.model

    # -- main thread: settings and the user's commands ---------------------------------------

    def refresh_options(self, retry: bool = False, poll: bool = False) -> Options:
        """The settings, read again only where the user's own files apply (command mode, not
        dictating), and the model they name loaded in the background. `poll`: only when Talon
        says command mode is on."""
        command = command_mode()
        if self.options is not None and (self.listening or command is False or (poll and command is None)):
            return self.options
        try:
            self.options = read_options(settings.get)
        except SettingsUnavailable as error:
            if self.options is None:
                raise
            log.debug("keeping the previous settings: %s", error)
            return self.options
        self.typist.close_after = self.options.plugin.join_pause
        path = history_path(self.options.plugin.history_file)
        if self.history is None or self.history.path != path:
            self.history = History(path)
        self.keeper.max_vram_gb = self.options.plugin.max_vram_gb
        self.keeper.ensure(self.options.model, retry)
        return self.options

    def start(self) -> None:
        """Listen: switch Talon's command and dictation modes off and ours on."""
        if self.listening:
            return
        options = self.refresh_options(retry=True)  # before the modes change: the user's settings apply now
        self.saved_modes = [mode for mode in TALON_MODES if mode_active(mode)]
        for mode in TALON_MODES:
            actions.mode.disable(mode)
        actions.mode.enable(MODE)
        self.listening = True
        self.dictation += 1
        self.sticky_language = None
        self.memory.forget()
        microphone.close()
        self.typist.new_dictation(self.dictation)
        self.last_speech = time.monotonic()
        self.update_state()
        if options.plugin.auto_stop > 0:
            self.auto_stop_job = cron.interval("500ms", self._check_auto_stop)
        log.info("dictation %d started (modes before: %s)", self.dictation, ", ".join(self.saved_modes) or "none")

    def stop(self, cancel: bool = False) -> None:
        """Stop listening; with `cancel`, also drop what is not typed yet."""
        if cancel:
            self.cancelled.add(self.dictation)
            self.typist.cancel(self.dictation)
        self.typist.close_when_quiet()  # the last phrase's closing mark, once nothing more will follow it
        if not self.listening:
            self.update_state()
            return
        self.listening = False
        microphone.close()
        cron.cancel(self.auto_stop_job)
        self.auto_stop_job = None
        actions.mode.disable(MODE)
        for mode in self.saved_modes:
            actions.mode.enable(mode)
        log.info("dictation %d %s", self.dictation, "cancelled" if cancel else "stopped")
        self.update_state()

    def hotkey_down(self) -> None:
        """The hotkey went down: nothing is typed until its keys come up (talonvoice/talon#675)."""
        self.typist.hold(HOTKEY_UP_WAIT + 1.0)
        self.toggled_early = False
        cron.cancel(self.hotkey_job)
        self.hotkey_job = cron.after(f"{int(HOTKEY_UP_WAIT * 1000)}ms", self._hotkey_never_came_up)

    def toggle(self) -> None:
        """The hotkey came up (or another binding asked): start or stop."""
        if self.toggled_early:  # already toggled: Talon reported the release late
            self.toggled_early = False
            return
        cron.cancel(self.hotkey_job)
        self.hotkey_job = None
        delay = self.options.plugin.type_delay if self.options else 0.3
        self.typist.hold_for(delay)  # the modifiers may come up a moment after the key
        self.stop() if self.listening else self.start()

    def _hotkey_never_came_up(self) -> None:
        """No release reported (`key(...:up)` may not fire): toggle anyway."""
        self.hotkey_job = None
        self.toggle()
        self.toggled_early = True

    def command(self, name: str) -> None:
        """A command heard at the end of an utterance, or by Whisper alone."""
        if name == "undo":
            self.undo()
        else:
            self.stop(cancel=name == "cancel")

    def retry_failed(self) -> int:
        """Send the phrases that failed back to Whisper; returns how many."""
        count = len(self.failed)
        self.cancelled.discard(self.dictation)
        while self.failed:
            failed = self.failed.popleft()
            failed.heard.dictation = self.dictation
            runtime().queue.put(failed.heard)
        return count

    def undo(self) -> None:
        """Remove the last phrase typed, in turn with the text waiting to be typed."""
        self.memory.forget()
        self.typist.request_undo(lambda: status.notify("Nothing to undo", "No phrase typed by Whisper to remove."))

    def paste_last(self) -> None:
        """Type the last transcription again."""
        if self.last_transcript:
            self.memory.forget()
            self.typist.close()
            self.typist.type(Phrase(self.typist.dictation, 0, self.last_transcript, lambda typed, error: None))

    def set_language(self, name: str) -> None:
        """"whisper language french/english/auto"."""
        self.language_override = LANGUAGES.get(name.lower(), name.lower())
        self.sticky_language = None
        self.memory.forget()
        log.info("language set by voice: %s", self.language_override)

    def _check_auto_stop(self) -> None:
        plugin = self.options.plugin if self.options else None
        if self.listening and plugin and plugin.auto_stop > 0 and runtime().queue.empty():
            if time.monotonic() - self.last_speech > plugin.auto_stop:
                log.info("no speech for %.0f s: stopping", plugin.auto_stop)
                self.stop()

    def run_doctor(self) -> None:
        """`whisper doctor`: the checks run on their own thread; the report goes to the log."""
        options = self.refresh_options()

        def check() -> None:
            from .engine import models
            from .engine.doctor import diagnose

            report = diagnose(options.model, language=options.decode.language or "fr", load=models.get_model)
            log.info("superwhisper2 doctor:\n%s", report.text())
            on_main(lambda: status.notify("doctor", report.summary()))

        threading.Thread(target=check, name="superwhisper2-doctor", daemon=True).start()

    def no_audio(self, reason: str) -> None:
        status.notify("No audio for Whisper", f"Talon's phrases carry no audio and its microphone stream "
                      f"(talon.lib.cubeb) is unavailable ({reason}). Dictation stopped.")
        self.stop()

    # -- speech thread: capture hands a phrase over ------------------------------------------

    def heard(self, samples: Any, then: Optional[str] = None) -> None:
        """A phrase's audio while listening: queue it, return at once. Past
        user.whisper_max_backlog seconds waiting, dictation stops (what was heard is still typed)."""
        self.last_speech = time.monotonic()
        self.heard_count += 1
        seconds = len(samples) / 16_000 if hasattr(samples, "__len__") else 0.0
        holder = runtime()
        holder.queue.put(Heard(samples, time.perf_counter(), self.dictation, seconds, self.heard_count, then=then))
        limit = self.options.plugin.max_backlog if self.options else 0
        if limit and self.listening and backlog_seconds(holder.queue) > limit:
            on_main(self._backlog_full)
        on_main(self.update_state)

    def _backlog_full(self) -> None:
        if self.listening:
            behind = backlog_seconds(runtime().queue)
            status.notify("Whisper is behind", f"{behind:.0f} s of speech are waiting: dictation stopped so Whisper "
                          "can catch up. Everything you said will still be typed.")
            self.stop()

    # -- worker thread: one phrase through the stages (pipeline.py) ---------------------------

    def process(self, item: Heard) -> None:
        pipeline.process(self, item)

    def update_state(self) -> None:
        self.status.backlog_seconds = backlog_seconds(runtime().queue)
        state = status.state_of(self.keeper.state(), self.listening, self.keeper.model is not None,
                                bool(self.typist.pending()), runtime().queue.qsize())
        self.set_state(state, self.keeper.error or ("Loading model…" if state == "loading" else ""))

    def set_state(self, state: str, detail: str = "") -> None:
        self.status.state, self.status.detail = state, detail
        model = self.keeper.model
        if model is not None:
            self.status.model, self.status.device = model.name, f"{model.device} {model.compute_type}"
        self.status.figures = self.stats.summary()
        self.on_status()

    def tell_error(self, title: str, message: str) -> None:
        status.notify(title, message)
        self.update_state()

    def finished(self) -> int:
        """Phrases done so far (typed, dropped as silence, or failed): only ever grows."""
        return self.stats.count + self.stats.errors

    def describe(self) -> Dict[str, Any]:
        """Everything `whisper status` shows."""
        return {"state": self.status.state, "listening": self.listening, **describe(self.keeper),
                "language": self.status.language, "failed": len(self.failed), **self.stats.summary()}


def current() -> Session:
    """The session (the same object whichever version of this file asks)."""
    return session()
