"""Fallback when Talon's phrases carry no audio: read the microphone through cubeb ourselves.

`talon.lib.cubeb` is undocumented (TALON_FACTS: likely), so every step is guarded: if it is
missing or fails, the caller is told (the session tells the user and stops dictation).
Phrases are cut with an energy detector that adapts to the room (Silero checks them later).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, List, Optional

import numpy as np

from .runtime import runtime

log = logging.getLogger("superwhisper2")

RATE = 16_000
FRAME = 480  # 30 ms
END_SILENCE_FRAMES = 10  # 300 ms of quiet ends a phrase, as Talon's speech.timeout does
MAX_PHRASE_SECONDS = 60.0


class PhraseCutter:
    """Energy voice-activity detection: frames louder than the noise floor + 12 dB are speech."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.floor_db = -60.0
        self.buffer = np.zeros(0, dtype=np.float32)
        self.phrase: List[np.ndarray] = []
        self.quiet = 0
        self.lock = threading.Lock()

    def feed(self, samples: np.ndarray) -> None:
        with self.lock:
            self.buffer = np.concatenate([self.buffer, samples.astype(np.float32, copy=False).reshape(-1)])
            while self.buffer.size >= FRAME:
                frame, self.buffer = self.buffer[:FRAME], self.buffer[FRAME:]
                self._frame(frame)

    def _frame(self, frame: np.ndarray) -> None:
        power = float(np.dot(frame, frame)) / frame.size
        level = 10 * np.log10(power) if power > 0 else -120.0
        speech = level > self.floor_db + 12
        if not speech:  # follow the room's noise slowly
            self.floor_db = 0.95 * self.floor_db + 0.05 * level
        if speech or self.phrase:
            self.phrase.append(frame)
            self.quiet = 0 if speech else self.quiet + 1
        too_long = len(self.phrase) * FRAME >= MAX_PHRASE_SECONDS * RATE
        if self.phrase and (self.quiet >= END_SILENCE_FRAMES or too_long):
            samples = np.concatenate(self.phrase)
            self.phrase, self.quiet = [], 0
            if samples.size > (END_SILENCE_FRAMES + 5) * FRAME:
                self.emit(samples)


def state() -> Any:
    """Where phrases come from (kept across reloads): `running` once the fallback reads the microphone."""
    holder = runtime()
    if not hasattr(holder, "microphone"):
        holder.microphone = _State()  # type: ignore[attr-defined]
    return holder.microphone


class _State:
    def __init__(self) -> None:
        self.stream: Optional[Any] = None
        self.cutter: Optional[PhraseCutter] = None
        self.phrases_without_audio = 0

    @property
    def running(self) -> bool:
        return self.stream is not None


def open_fallback(emit: Callable[[np.ndarray], Any], fail: Callable[[str], Any]) -> None:
    """Talon's phrases keep coming without samples: read the microphone ourselves, cutting
    phrases for `emit`; `fail(reason)` when that is impossible too."""
    current = state()
    if current.stream is not None:
        return
    try:
        cubeb = _import_cubeb()
        cutter = PhraseCutter(emit)
        params = cubeb.StreamParams(format=cubeb.SampleFormat.FLOAT32NE, rate=RATE, channels=1)

        def on_audio(stream: Any, in_frames: Any, out_frames: Any) -> int:
            cutter.feed(np.asarray(in_frames, dtype=np.float32))
            return len(in_frames) if hasattr(in_frames, "__len__") else 0

        stream = cubeb.Context().new_input_stream("superwhisper2", None, params, latency=1, data_cb=on_audio)
        stream.start()
    except Exception as error:
        log.error("superwhisper2: phrases carry no audio and the microphone stream failed: %r", error)
        fail(f"{type(error).__name__}: {error}")
        return
    current.stream, current.cutter = stream, cutter
    log.warning("superwhisper2: Talon's phrases carry no audio; reading the microphone through cubeb")


def _import_cubeb() -> Any:
    try:
        from talon.lib import cubeb  # type: ignore[attr-defined]
    except ImportError:
        from talon import cubeb  # type: ignore[attr-defined,no-redef]
    return cubeb


def close() -> None:
    """Dictation stopped: release the microphone; the next dictation starts with Talon's audio."""
    current = state()
    stream, current.stream, current.cutter = current.stream, None, None
    current.phrases_without_audio = 0
    if stream is not None:
        try:
            stream.stop()
        except Exception:
            log.debug("cubeb stream stop failed", exc_info=True)
