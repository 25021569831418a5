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
from typing import Any, Optional

from talon import Module, actions, app, cron

from . import overlay
from . import session as sessions
from .options import SETTINGS

log = logging.getLogger("superwhisper2")

mod = Module()
mod.mode("whisper", desc="Dictating with Whisper: every phrase is transcribed and typed")
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
        """Show Whisper's state, model and latency figures"""
        session = sessions.current()
        figures = session.describe()
        log.info("superwhisper2 status: %s", figures)
        overlay.show_status()
        app.notify(title="superwhisper2", body=_status_line(figures))

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
    sessions.ensure_worker()
    session.refresh_options()
    holder = sessions.runtime()
    cron.cancel(getattr(holder, "settings_job", None))
    holder.settings_job = cron.interval("2s", _watch_settings)
    if not getattr(holder, "atexit_registered", False):
        atexit.register(sessions.shutdown)
        holder.atexit_registered = True


def _installed(package: str) -> bool:
    """Whether `package` can be imported, without importing it (that is slow: not on the main thread)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _watch_settings() -> None:
    """A changed model setting reloads the model in the background; other settings apply at once."""
    sessions.current().refresh_options()


app.register("ready", on_ready)
