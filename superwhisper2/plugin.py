"""superwhisper2's contract with Talon: its mode, settings and actions. Thin on purpose.

Nothing slow happens at import (Talon imports this while starting): the model loads on a
background thread once Talon is `ready`, and settings are read only from then on.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import sys

from talon import Module, actions, app, cron

from . import overlay, runtime
from . import session as sessions
from .options import SETTINGS

log = logging.getLogger("superwhisper2")

mod = Module()
mod.mode("whisper", desc="Dictating with Whisper: every phrase is transcribed and typed")
mod.list("whisper_vocabulary", desc="Words Whisper should expect (names, jargon): fed to its hotwords")
mod.list("whisper_replacements", desc="spoken form: written form, applied to whole words after transcription")
for _name, (_kind, _default, _desc) in SETTINGS.items():
    mod.setting(_name, type=_kind, default=_default, desc=_desc)

VENDOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vendor", ".packages")
if os.path.isdir(VENDOR) and VENDOR not in sys.path:
    sys.path.append(VENDOR)  # after Talon's own paths: Talon's numpy keeps precedence


@mod.action_class
class Actions:
    def whisper_toggle():
        """Start dictating with Whisper, or stop if already dictating"""
        sessions.current().toggle()

    def whisper_hotkey_down():
        """The dictation hotkey went down: type nothing until it comes up (it toggles then)"""
        sessions.current().hotkey_down()

    def whisper_start():
        """Start dictating with Whisper"""
        sessions.current().start()

    def whisper_stop():
        """Stop dictating; phrases already heard are still typed"""
        sessions.current().stop()

    def whisper_cancel():
        """Stop dictating and drop what is not typed yet"""
        sessions.current().stop(cancel=True)

    def whisper_status():
        """Show Whisper's state, model, device, language and latency figures"""
        session = sessions.current()
        figures = session.describe()
        log.info("superwhisper2 status: %s", figures)
        overlay.show_lines(_status_lines(figures))
        app.notify(title="superwhisper2", body=_status_line(figures))

    def whisper_undo():
        """Remove the last phrase Whisper typed"""
        sessions.current().undo()

    def whisper_paste_last():
        """Type the last transcription again"""
        sessions.current().paste_last()

    def whisper_history():
        """Show the last transcriptions"""
        session = sessions.current()
        records = session.history.last(8) if session.history is not None else []  # reads the file's end only
        overlay.show_lines(["Whisper history"] + [overlay.tail(r.get("text", ""), 70) for r in records], seconds=10)

    def whisper_language(language: str):
        """Dictate in this language: a code, a name (french, english) or auto"""
        sessions.current().set_language(language)

    def whisper_settings():
        """Open superwhisper2's settings.talon in an editor"""
        _open_in_editor(os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.talon"))

    def whisper_retry():
        """Transcribe again the phrases that failed"""
        count = sessions.current().retry_failed()
        app.notify(title="superwhisper2", body=f"Retrying {count} phrase(s)" if count else "Nothing to retry")

    def whisper_doctor():
        """Check the installation and transcribe a sample; the report goes to Talon's log"""
        sessions.current().run_doctor()

    def whisper_toggle_from_sleep():
        """The hotkey in sleep mode: toggles only if user.whisper_hotkey_in_sleep is on"""
        session = sessions.current()
        options = session.refresh_options()
        if options.plugin.hotkey_in_sleep:
            session.toggle()  # start() switches sleep off and stop() restores it


def _status_lines(figures: dict) -> list:
    lines = [f"Whisper: {figures['state']}", f"Model: {figures.get('model') or 'not loaded'}"]
    if figures.get("device"):
        lines.append(f"Device: {figures['device']} {figures.get('compute_type', '')}")
    lines.append(f"Language: {figures.get('language') or 'as set'}")
    if figures.get("p50_ms") is not None:
        lines.append(f"Latency: p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms ({figures['count']} phrases)")
    return lines


def _open_in_editor(path: str) -> None:
    """community's user.edit_text_file when present; else the platform's opener, never blocking."""
    try:
        actions.user.edit_text_file(path)
        return
    except Exception:
        pass
    import subprocess

    if app.platform == "windows":
        os.startfile(path)  # type: ignore[attr-defined]
    else:
        subprocess.Popen(["open" if app.platform == "mac" else "xdg-open", path])


def _status_line(figures: dict) -> str:
    model = figures.get("model") or "no model"
    where = f"{figures.get('device', '')} {figures.get('compute_type', '')}".strip()
    latency = figures.get("p50_ms")
    return f"{figures['state']}: {model} {where}; {figures['count']} phrases" + (
        f", p50 {latency:.0f} ms, p95 {figures['p95_ms']:.0f} ms" if latency is not None else ""
    )


def on_ready() -> None:
    """Talon is up (or this file was reloaded): start the worker, load the model, watch settings."""
    if not _installed("faster_whisper"):
        message = "faster-whisper is not installed for Talon's Python: run tools/install.py (see README), then restart Talon"
        log.error("superwhisper2: %s", message)
        app.notify(title="superwhisper2: not installed", body=message)
        return
    session = sessions.current()
    session.on_status = overlay.refresh
    runtime.ensure_worker()
    session.refresh_options()
    holder = runtime.runtime()
    cron.cancel(getattr(holder, "settings_job", None))
    holder.settings_job = cron.interval("2s", _watch_settings)
    if not getattr(holder, "atexit_registered", False):
        atexit.register(runtime.shutdown)
        holder.atexit_registered = True


def _installed(package: str) -> bool:
    """Whether `package` can be imported, without importing it (that is slow: not on the main thread)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _watch_settings() -> None:
    """In command mode, between dictations: a changed model setting loads the model in the
    background, so the next dictation starts with it."""
    sessions.current().refresh_options(poll=True)


app.register("ready", on_ready)
