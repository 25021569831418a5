"""Fallback when Talon gives no audio at all: read the microphone through cubeb ourselves.

`talon.lib.cubeb` is undocumented (TALON_FACTS: likely), so every step is guarded: if it is
missing or fails, the caller is told (the session tells the user and stops dictation). The
stream opens on a device that exists (the one Talon listens to when it says which, else the
first enabled input), and it opens and stops on a thread of its own: cubeb may block for a
while, and Talon's thread must not. Phrases are cut with an energy detector that adapts to the
room (the speech gate checks them later).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, List, Optional

import numpy as np

from .engine.audio import SAMPLE_RATE
from .holder import holder, register, upgrade
from .runtime import on_main

log = logging.getLogger("superwhisper2")

FRAME = 480  # 30 ms
END_SILENCE_FRAMES = 10  # 300 ms of quiet ends a phrase, as Talon's speech.timeout does
MAX_PHRASE_SECONDS = 60.0
RECOGNISED_WITHOUT_AUDIO = 3  # phrases in a row with words but no samples: Talon gives no audio at all


class PhraseCutter:
    """Energy voice-activity detection: frames louder than the noise floor + 12 dB are speech."""

    def __init__(self, emit: Callable[[np.ndarray], Any]) -> None:
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
        too_long = len(self.phrase) * FRAME >= MAX_PHRASE_SECONDS * SAMPLE_RATE
        if self.phrase and (self.quiet >= END_SILENCE_FRAMES or too_long):
            samples = np.concatenate(self.phrase)
            self.phrase, self.quiet = [], 0
            if samples.size > (END_SILENCE_FRAMES + 5) * FRAME:
                self.emit(samples)


@register
class Source:
    """Where phrases come from (kept across reloads): Talon's samples, or our own stream."""

    def __init__(self) -> None:
        self.stream: Optional[Any] = None
        self.opening = False
        self.wanted = 0  # which opening is still wanted: close() makes any opening under way unwanted
        self.recognised_without_audio = 0

    @property
    def running(self) -> bool:
        return self.stream is not None or self.opening

    def with_audio(self) -> None:
        self.recognised_without_audio = 0

    def without_audio(self, fall_back: Callable[[], Any]) -> None:
        """Talon recognised words in a phrase yet gave no samples: after a few, `fall_back()`."""
        self.recognised_without_audio += 1
        log.warning("superwhisper2: Talon recognised a phrase but gave no audio (%d in a row)",
                    self.recognised_without_audio)
        if self.recognised_without_audio >= RECOGNISED_WITHOUT_AUDIO:
            fall_back()


def source() -> Source:
    """The source, kept across reloads (and moved to this file's newest code)."""
    kept = holder()
    if kept.microphone is None:
        kept.microphone = Source()
    current: Source = upgrade(kept.microphone)
    return current


def open_fallback(emit: Callable[[np.ndarray], Any], fail: Callable[[str], Any]) -> None:
    """Read the microphone ourselves, cutting phrases for `emit` (called on cubeb's thread);
    `fail(reason)` on the main thread when that is impossible too."""
    current = source()
    if current.running:
        return
    current.opening = True
    current.wanted += 1
    talons = _talons_microphone()
    threading.Thread(target=_open, args=(current, current.wanted, talons, emit, fail),
                     name="superwhisper2-microphone", daemon=True).start()


def _open(current: Source, wanted: int, talons: Optional[str], emit: Callable[[np.ndarray], Any],
          fail: Callable[[str], Any]) -> None:
    try:
        cubeb = _import_cubeb()
        device = _device(cubeb, talons)
        cutter = PhraseCutter(emit)
        params = cubeb.StreamParams(format=cubeb.SampleFormat.FLOAT32NE, rate=SAMPLE_RATE, channels=1)

        def on_audio(stream: Any, in_frames: Any, out_frames: Any) -> int:
            cutter.feed(np.asarray(in_frames, dtype=np.float32))
            return len(in_frames) if hasattr(in_frames, "__len__") else 0

        stream = cubeb.Context().new_input_stream("superwhisper2", device, params, latency=1, data_cb=on_audio)
        stream.start()
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        log.error("superwhisper2: Talon gives no audio and the microphone stream failed: %s", reason)
        if current.wanted == wanted:  # else dictation stopped meanwhile: nothing to stop, no one to tell
            current.opening = False
            on_main(lambda: fail(reason))
        return
    if current.wanted != wanted:  # dictation stopped while the stream opened
        _stop(stream)
        return
    current.stream, current.opening = stream, False
    log.warning("superwhisper2: Talon gives no audio; reading the microphone through cubeb")


def _talons_microphone() -> Optional[str]:
    """The microphone Talon listens to, where it says (main thread: an action)."""
    try:
        from talon import actions

        return str(actions.sound.active_microphone())
    except Exception:  # older Talon: no such action
        return None


def _device(cubeb: Any, talons: Optional[str]) -> Any:
    """The input device to open: Talon's own when it says which, else the first enabled one; None
    (the system's default) only where cubeb cannot list its devices."""
    try:
        inputs = list(cubeb.Context().inputs())
    except Exception:
        return None
    enabled = [d for d in inputs if getattr(d, "state", None) == getattr(cubeb.DeviceState, "ENABLED", object())]
    if not enabled:
        raise RuntimeError("no enabled microphone (cubeb lists none)")
    chosen = next((d for d in enabled if d.name == talons), enabled[0])
    log.info("superwhisper2: reading the microphone %r", chosen.name)
    return getattr(chosen, "devid", None) or getattr(chosen, "id", None)


def _import_cubeb() -> Any:
    try:
        from talon.lib import cubeb  # type: ignore[attr-defined]
    except ImportError:
        from talon import cubeb  # type: ignore[attr-defined,no-redef]
    return cubeb


def close() -> None:
    """Dictation stopped: release the microphone (off Talon's thread: stopping may block); the next
    dictation starts with Talon's audio again."""
    current = source()
    stream, current.stream = current.stream, None
    current.wanted += 1  # an opening under way stops its stream as soon as it has one
    current.opening = False
    current.recognised_without_audio = 0
    if stream is not None:
        threading.Thread(target=_stop, args=(stream,), name="superwhisper2-microphone-stop", daemon=True).start()


def _stop(stream: Any) -> None:
    try:
        stream.stop()
    except Exception:
        log.debug("cubeb stream stop failed", exc_info=True)
