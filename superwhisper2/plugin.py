"""superwhisper2's contract with Talon: its mode, settings and actions. Thin on purpose.

Nothing slow happens at import (Talon imports this while starting): the model loads on a
background thread once Talon is `ready`, and settings are read only from then on.
"""

from __future__ import annotations

import atexit
import logging
import os

from talon import Module, actions, app

from . import installer, overlay, runtime
from . import session as _session  # noqa: F401  (registers the Session class the runtime builds)
from .options import SETTINGS

log = logging.getLogger("superwhisper2")

mod = Module()
mod.mode("whisper", desc="Dictating with Whisper: every phrase is transcribed and typed")
mod.list("whisper_vocabulary", desc="Words Whisper should expect (names, jargon): fed to its hotwords")
mod.list("whisper_replacements", desc="spoken form: written form, applied to whole words after transcription")
for _name, (_kind, _default, _desc) in SETTINGS.items():
    mod.setting(_name, type=_kind, default=_default, desc=_desc)


@mod.action_class
class Actions:
    def whisper_toggle():
        """Start dictating with Whisper, or stop if already dictating"""
        runtime.session().toggle()

    def whisper_hotkey_down():
        """The dictation hotkey went down: start or stop now; nothing is typed until its keys are up"""
        runtime.session().hotkey_down()

    def whisper_hotkey_up():
        """The dictation hotkey came up: typing may go on after the type delay"""
        runtime.session().hotkey_up()

    def whisper_hotkey_down_in_sleep():
        """The hotkey in sleep mode: acts only if user.whisper_hotkey_in_sleep is on (else ignored)"""
        session = runtime.session()
        if session.refresh_options().plugin.hotkey_in_sleep:
            session.hotkey_down()  # start() switches sleep off and stop() restores it
        else:
            log.info("superwhisper2: Win+Shift+V in sleep mode ignored (user.whisper_hotkey_in_sleep is 0)")

    def whisper_start():
        """Start dictating with Whisper"""
        runtime.session().start()

    def whisper_stop():
        """Stop dictating; phrases already heard are still typed"""
        runtime.session().stop()

    def whisper_cancel():
        """Stop dictating and drop what is not typed yet"""
        runtime.session().stop(cancel_phrases=True)

    def whisper_status():
        """Show Whisper's state, model, device, language and latency figures"""
        session = runtime.session()
        figures = {"state": session.status.state, "detail": session.status.detail, "listening": session.listening,
                   **session.keeper.describe(), "language": session.status.language,
                   "kept": len(session.pipeline.kept), **session.pipeline.stats.summary()}
        log.info("superwhisper2 status: %s", figures)
        overlay.show_lines(_status_lines(figures))
        app.notify(title="superwhisper2", body=_status_line(figures))

    def whisper_undo():
        """Remove the last phrase Whisper typed"""
        runtime.session().undo()

    def whisper_paste_last():
        """Type the last transcription again"""
        session = runtime.session()
        session.pipeline.paste_last(session.dictation)

    def whisper_history():
        """Show the last transcriptions"""
        history = runtime.session().pipeline.history
        if history is not None:  # the file is read on a thread of its own: never disk I/O on Talon's thread
            history.read_last(8, lambda records: runtime.on_main(lambda: overlay.show_lines(
                ["Whisper history"] + [overlay.tail(r.get("text", ""), 70) for r in records], seconds=10)))

    def whisper_language(language: str):
        """Dictate in this language: a code, a name (french, english) or auto"""
        runtime.session().pipeline.set_language(language)

    def whisper_settings():
        """Open superwhisper2's settings.talon in an editor"""
        _open_in_editor(os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.talon"))

    def whisper_retry():
        """Transcribe again the phrases that failed"""
        count = runtime.session().retry()
        app.notify(title="superwhisper2", body=f"Retrying {count} phrase(s)" if count else "Nothing to retry")

    def whisper_install():
        """Install superwhisper2's packages for Talon's Python, in the background (restart Talon after)"""
        installer.install()

    def whisper_doctor():
        """Check the installation and transcribe a sample; the report goes to Talon's log"""
        session = runtime.session()
        options = session.refresh_options()
        session.keeper.doctor(options.model, options.decode.language or "fr")


def _status_lines(figures: dict) -> list:
    lines = [f"Whisper: {figures['state']}", f"Model: {figures.get('model') or 'not loaded'}"]
    if figures.get("detail"):
        lines.append(figures["detail"])  # "Downloading large-v3-turbo: 412 / 1,620 MB, 23 MB/s, 52 s left"
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
    detail = f" ({figures['detail']})" if figures.get("detail") else ""
    return f"{figures['state']}: {model} {where}{detail}; {figures['count']} phrases" + (
        f", p50 {latency:.0f} ms, p95 {figures['p95_ms']:.0f} ms" if latency is not None else ""
    )


def on_ready() -> None:
    """Talon is up (or this file was reloaded): start the worker, load the model, watch settings."""
    if not installer.ready_to_run():
        return  # the user was told what to run; nothing of Whisper's is imported or loaded
    session = runtime.session()
    runtime.ensure_worker()
    session.refresh_options()
    session.update_state()
    runtime.every(2.0, _watch_settings, "settings")
    kept = runtime.holder()
    if not kept.atexit_registered:
        atexit.register(runtime.shutdown)
        kept.atexit_registered = True


def _watch_settings() -> None:
    """In command mode, between dictations: a changed model setting loads the model in the
    background, so the next dictation starts with it."""
    runtime.session().refresh_options(poll=True)


app.register("ready", on_ready)
