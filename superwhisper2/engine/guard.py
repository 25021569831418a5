"""Keep Whisper away from silence and noise, and drop what it invents anyway.

Two gates before decoding, cheapest first: an energy gate (digital silence and near-silence),
then Silero VAD (shipped inside faster-whisper; noise that is as loud as speech). What Whisper
writes is judged after decoding (verdict.py).
"""

from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from .audio import SAMPLE_RATE


@dataclass(frozen=True)
class GateOptions:
    """Voice-activity settings; defaults suit one dictated phrase."""

    # Below this RMS the phrase is digital silence, no model needed (quiet speech of the dev
    # corpus sits at -62 to -68 dBFS: docs/BENCHMARKS.md).
    energy_floor_dbfs: float = -85.0
    vad_threshold: float = 0.5
    min_speech_seconds: float = 0.25  # less detected speech than this is not a phrase
    pad_seconds: float = 0.3  # kept around detected speech when trimming


@dataclass(frozen=True)
class SpeechSpan:
    """Where the speech is in a phrase, from the VAD."""

    start: int  # sample index
    end: int
    speech_seconds: float

    @property
    def empty(self) -> bool:
        return self.end <= self.start


NO_SPEECH = SpeechSpan(0, 0, 0.0)


def rms_dbfs(samples: np.ndarray) -> float:
    """Loudness of the whole phrase, in dB relative to full scale."""
    if samples.size == 0:
        return -float("inf")
    power = float(np.dot(samples, samples)) / samples.size
    return 10.0 * np.log10(power) if power > 0 else -float("inf")


def quiet_onnxruntime() -> None:
    """onnxruntime (Silero's runtime) writes a device id and a telemetry store under the user's
    home at import unless told not to; nothing of ours may be written. Call before importing it."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


def speech_chunks(samples: np.ndarray, threshold: float = 0.5, min_silence_ms: int = 100,
                  pad_ms: int = 30) -> List[dict]:
    """Silero VAD's speech chunks ({"start", "end"} in samples)."""
    quiet_onnxruntime()
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms)
    return get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)


SURE_SPEECH_SECONDS = 0.6  # this much speech heard: a short known hallucination is still typed
PROBE_SECONDS = 1.5  # from the onset; measured on the dev corpus and its pieces cut at pauses


def find_speech(samples: np.ndarray, options: GateOptions = GateOptions(), exact: bool = True) -> SpeechSpan:
    """The span from the first to the last speech the VAD hears, padded; NO_SPEECH if none.

    Silero costs ~2 ms per second of audio, the largest fixed cost on a GPU. With `exact` off,
    PROBE_SECONDS from the first loud sound are heard first, and when they hold
    SURE_SPEECH_SECONDS of speech the phrase passes at once: the span then runs to the end and
    `speech_seconds` is a lower bound. The gate's answer is the same (the whole phrase holds at
    least the probe's speech); a phrase without that much speech early is heard whole.
    """
    if rms_dbfs(samples) < options.energy_floor_dbfs:
        return NO_SPEECH
    gain = _gain(samples)
    probe = int(PROBE_SECONDS * SAMPLE_RATE)
    if not exact and samples.size > probe:
        start = _onset(samples)
        chunks = speech_chunks(samples[start:start + probe] * gain, threshold=options.vad_threshold)
        speech = sum(chunk["end"] - chunk["start"] for chunk in chunks) / SAMPLE_RATE
        if speech >= max(SURE_SPEECH_SECONDS, options.min_speech_seconds):
            pad = int(options.pad_seconds * SAMPLE_RATE)
            return SpeechSpan(max(0, start + chunks[0]["start"] - pad), samples.size, speech)
    chunks = speech_chunks(samples * gain, threshold=options.vad_threshold)
    speech = sum(chunk["end"] - chunk["start"] for chunk in chunks) / SAMPLE_RATE
    if not chunks or speech < options.min_speech_seconds:
        return NO_SPEECH
    pad = int(options.pad_seconds * SAMPLE_RATE)
    return SpeechSpan(max(0, chunks[0]["start"] - pad), min(samples.size, chunks[-1]["end"] + pad), speech)


class GateBeside:
    """The gate on its own thread, started with the phrase: on a GPU it runs while the CPU computes
    the features and the GPU encodes, so it adds nothing to the latency; the short probe is done
    before the decoder starts, which it would slow (docs/BENCHMARKS.md, "On a GPU")."""

    def __init__(self, samples: np.ndarray, options: GateOptions) -> None:
        self.samples, self.options = samples, options
        self.span: Optional[SpeechSpan] = None
        self.error: Optional[BaseException] = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="superwhisper2-gate", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        tick = time.perf_counter()
        try:
            self.span = find_speech(self.samples, self.options, exact=False)
        except BaseException as error:  # raised again on the phrase's thread, as the gate in line would
            self.error = error
        self.seconds = time.perf_counter() - tick

    def result(self, timings: Dict[str, float]) -> SpeechSpan:
        """The span, once the gate is done; its own time and the wait for it go in `timings`."""
        tick = time.perf_counter()
        self.thread.join()
        timings["vad"] = self.seconds
        timings["vad_wait"] = time.perf_counter() - tick
        if self.error is not None:
            raise self.error
        assert self.span is not None
        return self.span


MAX_GAIN = 300.0  # +50 dB: enough for a quiet microphone, not enough to make hiss of silence loud


def _onset(samples: np.ndarray, frame: int = 512) -> int:
    """A little before the phrase first comes within 30 dB of its loudest 32 ms: where the probe
    starts (a recording may open on a second of room noise)."""
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    power = np.einsum("ij,ij->i", frames, frames)
    loud = np.flatnonzero(power >= power.max() * 1e-3) if power.size else power
    return max(0, int(loud[0]) * frame - SAMPLE_RATE // 5) if loud.size else 0


def _gain(samples: np.ndarray, peak: float = 0.5) -> np.float32:
    """The gain that brings the whole phrase's peak to `peak` (at most MAX_GAIN): Silero misses
    quiet speech (measured: every dev-corpus sentence with peaks near -48 dBFS), and a quiet
    microphone is not silence."""
    top = float(np.max(np.abs(samples))) if samples.size else 0.0
    return np.float32(min(MAX_GAIN, peak / top)) if top > 0.0 else np.float32(1.0)


def load_vad() -> None:
    """Load Silero now (start-up), not on the first phrase."""
    quiet_onnxruntime()
    from faster_whisper.vad import get_vad_model

    get_vad_model()


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: how phrases are compared."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s'-]", "", text)
    return re.sub(r"\s+", " ", text).strip(" -'")


def repeats_itself(tokens: List[int], min_repeats: int = 4, max_ngram: int = 12) -> bool:
    """True when the tail of `tokens` is one n-gram repeated `min_repeats` times (a decoding loop)."""
    for size in range(1, max_ngram + 1):
        span = size * min_repeats
        if len(tokens) < span:
            break
        tail = tokens[-span:]
        if all(tail[i] == tail[i % size] for i in range(span)):
            return True
    return False


def is_repeated_block(tokens: List[int], min_block: int = 2) -> bool:
    """True when the whole output is one block of `min_block`+ tokens said twice or more.

    Whisper does this on short phrases ("Whisper stop Whisper stop"); a person rarely does.
    """
    for size in range(min_block, len(tokens) // 2 + 1):
        if len(tokens) % size == 0 and tokens == tokens[:size] * (len(tokens) // size):
            return True
    return False
