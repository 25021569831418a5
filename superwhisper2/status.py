"""What the user sees of the session: the overlay's state, notifications, `whisper status`.

Plain values, cheap to draw; everything here runs on Talon's main thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from talon import app

log = logging.getLogger("superwhisper2")


@dataclass
class Status:
    """What the overlay and `whisper status` show."""

    state: str = "idle"  # idle, waiting, loading, listening, transcribing, typing, error
    detail: str = ""
    last_text: str = ""
    last_latency_ms: Optional[float] = None
    backlog_seconds: float = 0.0
    language: str = ""

    def show_last(self, last: Any) -> None:
        """The last phrase typed (pipeline.Last, or None before the first)."""
        if last is not None:
            self.last_text, self.last_latency_ms, self.language = last.text, last.latency_ms, last.language


DETAILS = {"loading": "Loading model…",
           "waiting": "Waiting for your settings: Talon applies them in command mode"}


def state_of(model_state: Optional[str], listening: bool, has_model: bool, typing: bool, backlog: int) -> str:
    """The one word the overlay shows, most pressing first."""
    if model_state in ("error", "waiting"):
        return model_state
    if model_state == "loading" or (listening and not has_model):
        return "loading"
    if typing:
        return "typing"  # text waits for the hotkey's keys to come up
    if backlog:
        return "transcribing"
    return "listening" if listening else "idle"


def notify(title: str, body: str) -> None:
    """A notification and a log line: never a silent failure."""
    log.warning("%s: %s", title, body)
    app.notify(title=f"superwhisper2: {title}", body=body)
