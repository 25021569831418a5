"""The imgui overlay: state, last text and its latency. Main thread; drawing stays cheap."""

from __future__ import annotations

from typing import Any, List

from talon import app, imgui

from .holder import holder, session
from .runtime import cancel, later

LABELS = {
    "idle": "Idle", "waiting": "Waiting for settings", "loading": "Loading model…", "listening": "Listening",
    "transcribing": "Transcribing", "typing": "Typing", "error": "Error",
}


class _Shown:
    lines: List[str] = []  # shown above the state for a while ("whisper status", "whisper history")
    timer: Any = None


@imgui.open(y=0)
def gui(gui: imgui.GUI) -> None:
    for line in _Shown.lines:
        gui.text(line)
    if _Shown.lines:
        gui.line()
    status = session().status
    gui.text(f"Whisper: {LABELS.get(status.state, status.state)}")
    if status.detail and status.detail != LABELS.get(status.state):
        gui.text(status.detail[:120])
    if status.backlog_seconds >= 1:
        gui.text(f"Behind by {status.backlog_seconds:.0f} s")
    if status.last_text:
        gui.line()
        gui.text(tail(status.last_text))
        if status.last_latency_ms is not None:
            gui.text(f"{status.last_latency_ms:.0f} ms")


def tail(text: str, limit: int = 80) -> str:
    """The end of `text`, starting at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "…" + (cut.split(" ", 1)[1] if " " in cut else cut)


def refresh() -> None:
    """Show while dictating or busy (if the setting allows), hide otherwise."""
    current = session()
    options = current.settings.options
    wanted = options is None or options.plugin.overlay
    busy = current.listening or current.status.state in ("loading", "transcribing", "error")
    if (wanted and busy) or _Shown.lines:
        if not gui.showing:
            gui.show()
    elif gui.showing:
        gui.hide()


def show_lines(lines: List[str], seconds: float = 6.0) -> None:
    """Show `lines` in the overlay for a few seconds."""
    _Shown.lines = list(lines)
    cancel(_Shown.timer)
    _Shown.timer = later(seconds, _hide_lines)
    gui.show()


def _hide_lines() -> None:
    _Shown.lines, _Shown.timer = [], None
    refresh()


def _replace_previous_window() -> None:
    """Reloaded: the session shows its state in this file's window, the newest; one Talon kept is hidden."""
    kept = holder()
    previous, kept.overlay_window = kept.overlay_window, gui
    if previous is not None and previous is not gui and getattr(previous, "showing", False):
        previous.hide()
    kept.refresh_overlay = refresh
    refresh()


holder().refresh_overlay = refresh
app.register("ready", _replace_previous_window)  # on Talon's thread, at start-up and after a reload
