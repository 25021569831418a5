"""The dictation: its state (listening, the settings it started with) and the user's commands.

A phrase's way through the stages is pipeline.py's; this module wires them and answers the
hotkey and the voice commands, on Talon's main thread unless a method says otherwise. Until the
settings are known (options.Settings), no model is loaded: it could be one the user never asked for.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import List

from talon import actions, settings

from . import installer, microphone, status
from .history import history_path
from .keys import Hotkey
from .loader import ModelKeeper
from .options import Options, Settings
from .phrases import Heard
from .pipeline import Pipeline
from .holder import holder, register, session
from .runtime import TalonKeyboard, backlog_seconds, cancel, command_mode, ensure_worker, every, mode_active
from .typist import Typist

log = logging.getLogger("superwhisper2")

MODE = "user.whisper"
TALON_MODES = ("command", "dictation", "sleep")  # switched off while dictating, restored afterwards
HOTKEY_UP_WAIT = 2.0  # seconds: with no word from the system or Talon that the keys are up, type anyway


@register
class Session:
    """Dictation state and the user's commands."""

    def __init__(self) -> None:
        self.listening = False
        self.dictation = 0
        self.saved_modes: List[str] = []
        self.settings = Settings()
        self.keeper = ModelKeeper(tell=lambda title, body: session().tell_error(title, body),
                                  changed=lambda: session().update_state())
        self.typist = Typist(TalonKeyboard(), busy=lambda: session().pipeline.processing or not holder().queue.empty())
        self.pipeline = Pipeline(self.keeper, self.typist, command=lambda name: session().command(name),
                                 tell=lambda title, body: session().tell_error(title, body),
                                 changed=lambda state: session().set_state(state))
        self.status = status.Status()
        self.hotkey = Hotkey()

    def refresh_options(self, retry: bool = False, poll: bool = False) -> Options:
        """The settings (options.Settings says when they are read again), and the model they name
        loaded in the background once they are known."""
        options, changed = self.settings.read(settings.get, command_mode(), self.listening, poll)
        if changed:
            self.typist.close_after = options.plugin.join_pause
            self.pipeline.use_history(history_path(options.plugin.history_file))
            self.keeper.max_vram_gb = options.plugin.max_vram_gb
        if self.settings.known:
            self.keeper.ensure(options.model, retry)
        return options

    def start(self) -> None:
        """Listen: switch Talon's command and dictation modes off and ours on (once installed)."""
        if self.listening or not installer.ready_to_run():
            return
        ensure_worker()  # none yet when the packages came ("whisper install") after start-up
        options = self.refresh_options(retry=True)  # before the modes change: the user's settings apply now
        self.saved_modes = [mode for mode in TALON_MODES if mode_active(mode)]
        for mode in TALON_MODES:
            actions.mode.disable(mode)
        actions.mode.enable(MODE)
        self.listening = True
        self.dictation += 1
        self.pipeline.new_dictation()
        microphone.close()
        self.typist.new_dictation(self.dictation)
        holder().last_heard = time.monotonic()  # auto-stop counts from here
        if not self.settings.known:
            status.notify("Waiting for your settings", "Talon applies your settings file in command mode: "
                          "switch to command mode once and Whisper loads your model; what you say now waits.")
        self.update_state()
        if options.plugin.auto_stop > 0:
            every(0.5, lambda: session().check_auto_stop(), "auto-stop")
        log.info("dictation %d started (modes before: %s)", self.dictation, ", ".join(self.saved_modes) or "none")

    def stop(self, cancel_phrases: bool = False) -> None:
        """Stop listening; with `cancel_phrases`, also drop what is not typed yet."""
        if cancel_phrases:
            self.pipeline.cancel(self.dictation)
        self.typist.type_held_mark_when_quiet()  # the last phrase's closing mark, once nothing more follows it
        if not self.listening:
            self.update_state()
            return
        self.listening = False
        holder().stopped_at = None if cancel_phrases else time.perf_counter()  # capture.began_before_stop
        microphone.close()
        cancel("auto-stop")
        actions.mode.disable(MODE)
        for mode in self.saved_modes:
            actions.mode.enable(mode)
        log.info("dictation %d %s", self.dictation, "cancelled" if cancel_phrases else "stopped")
        self.update_state()

    def toggle(self) -> None:
        """Start or stop (a binding of the user's: typing waits the type delay)."""
        self.typist.resume_in(self._type_delay())
        self.stop() if self.listening else self.start()

    def hotkey_down(self) -> None:
        """The hotkey went down: toggle now, so command mode goes quiet before the first word, and
        type nothing until its keys are up (talonvoice/talon#675)."""
        if self.hotkey.pressed(time.monotonic(), self.typist.keyboard.keys_down() is not None):
            self.typist.pause_until_keys_up(HOTKEY_UP_WAIT + self._type_delay())
            every(0.05, lambda: session().watch_hotkey_keys(), "hotkey-keys")
            self.stop() if self.listening else self.start()

    def watch_hotkey_keys(self) -> None:
        """While the hotkey is down: once the system says its keys are up, the next key-down is a
        new press (Talon's own :up may never come); where it cannot say, Talon's :up must do."""
        down = self.typist.keyboard.keys_down()
        if not down:
            cancel("hotkey-keys")
            if down is False:
                self.hotkey.released()

    def hotkey_up(self) -> None:
        """Talon saw the hotkey come up (users let go in any order: it may never)."""
        self.hotkey.released()
        cancel("hotkey-keys")
        self.typist.resume_in(self._type_delay())  # the modifiers may come up a moment after the key

    def _type_delay(self) -> float:
        return self.settings.options.plugin.type_delay if self.settings.options else 0.3

    def command(self, name: str) -> None:
        """A command Whisper heard, or Talon heard at the end of an utterance, once what came
        before it is typed."""
        if name == "undo":
            self.pipeline.context.forget()
            self.typist.undo_last(_nothing_to_undo)
        else:
            self.stop(cancel_phrases=name == "cancel")

    def undo(self) -> None:
        """"whisper undo": the last phrase the user said goes, typed or still on its way."""
        self.pipeline.context.forget()
        self.typist.undo_phrase(holder().heard, self.dictation, _nothing_to_undo)

    def retry(self) -> int:
        """Send the phrases kept (failed or refused) back to Whisper; returns how many."""
        kept = self.pipeline.take_kept(self.dictation)
        for item in kept:
            holder().queue.put(dataclasses.replace(item.heard, dictation=self.dictation, retry=True, then=None,
                                                   received=time.perf_counter()))
        return len(kept)

    def check_auto_stop(self) -> None:
        limit = self.settings.options.plugin.auto_stop if self.settings.options else 0.0
        if self.listening and 0 < limit < time.monotonic() - holder().last_heard and holder().queue.empty():
            log.info("no speech for %.0f s: stopping", limit)
            self.stop()

    def backlog_full(self) -> None:
        """Past user.whisper_max_backlog seconds waiting: stop (what was heard is still typed)."""
        if self.listening:
            status.notify("Whisper is behind", f"{backlog_seconds(holder().queue):.0f} s of speech are waiting: "
                          "dictation stopped so Whisper can catch up. Everything you said will still be typed.")
            self.stop()

    def process(self, item: Heard) -> None:
        """Worker thread: one phrase through the stages (settings are read at ready, before any)."""
        if self.settings.options is not None:  # always: start() reads them before listening
            self.pipeline.process(item, self.settings.options)

    def wake(self) -> None:
        self.keeper.ready.set()

    def update_state(self) -> None:
        waiting = holder().queue
        self.status.backlog_seconds = backlog_seconds(waiting)
        model_state = self.keeper.state() or (None if self.settings.known else "waiting")
        state = status.state_of(model_state, self.listening, self.keeper.model is not None,
                                bool(self.typist.pending()), waiting.qsize())
        self.set_state(state, self.keeper.detail() or status.DETAILS.get(state, ""))

    def set_state(self, state: str, detail: str = "") -> None:
        self.status.state, self.status.detail = state, detail
        self.status.show_last(self.pipeline.last)
        holder().refresh_overlay()

    def tell_error(self, title: str, message: str) -> None:
        status.notify(title, message)
        self.update_state()


def _nothing_to_undo() -> None:
    status.notify("Nothing to undo", "No phrase typed by Whisper to remove.")
