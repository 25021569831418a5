"""Any audio in, float32 16 kHz mono samples out, with the bad cases refused by name.

Talon's phrase audio (float32, 16 kHz, mono) passes through without a copy; other arrays,
WAV/FLAC bytes and files are converted. Out-of-range floats are handled on purpose:
integer-scaled floats are normalised, slight overshoot is clipped.
"""

from __future__ import annotations

import io
import logging
import os
import wave
from typing import Any, Union

import numpy as np

from .errors import AudioError

SAMPLE_RATE = 16_000
DEFAULT_MAX_SECONDS = 600.0
_MIN_SAMPLES = 1

log = logging.getLogger("superwhisper2")

AudioSource = Union[np.ndarray, bytes, bytearray, memoryview, str, "os.PathLike[str]", Any]


def load_audio(
    source: AudioSource,
    sample_rate: int = SAMPLE_RATE,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> np.ndarray:
    """Return `source` as a 1-D float32 array at 16 kHz in [-1, 1], or raise AudioError.

    `sample_rate` applies to array input only; files and bytes carry their own.
    """
    if isinstance(source, (str, os.PathLike)):
        samples, rate = _read_file(os.fspath(source))
    elif isinstance(source, (bytes, bytearray)) or (
        isinstance(source, memoryview) and source.format in ("B", "b", "c")
    ):
        samples, rate = _read_bytes(bytes(source))
    else:
        samples, rate = _as_array(source), sample_rate
    _check_magnitude(samples)
    samples = _to_mono(samples)
    samples = _to_float(samples)
    if rate != SAMPLE_RATE:
        samples = resample(samples, rate, SAMPLE_RATE)
    return _validated(samples, max_seconds)


def _as_array(source: Any) -> np.ndarray:
    try:
        array = np.asarray(source)
    except Exception as error:  # a ragged list, an object numpy cannot read
        raise AudioError(f"audio must be a sequence of numbers, not {type(source).__name__}: {error}") from error
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise AudioError(f"audio must hold numbers, not {array.dtype}")
    return array


def _check_magnitude(samples: np.ndarray) -> None:
    """Wide floats beyond float32's range are not audio: say so, rather than overflow to inf."""
    if samples.dtype.kind == "f" and samples.dtype.itemsize > 4 and samples.size:
        peak = float(np.nanmax(np.abs(samples))) if not np.isnan(samples).all() else 0.0
        if peak > 1e30:
            raise AudioError(f"audio values reach {peak:.3g}: these are not audio samples")


def _to_mono(samples: np.ndarray) -> np.ndarray:
    if samples.ndim == 1:
        return samples
    if samples.ndim == 2 and min(samples.shape) <= 8:
        # (frames, channels) from most readers, (channels, frames) from some: channels are the short side.
        axis = 1 if samples.shape[1] <= samples.shape[0] else 0
        if samples.shape[axis] == 1:
            return samples.reshape(-1)
        return samples.astype(np.float32, copy=False).mean(axis=axis) if samples.dtype.kind == "f" else (
            samples.astype(np.float64).mean(axis=axis).astype(samples.dtype)
        )
    raise AudioError(f"audio must be mono or a few channels, got an array of shape {samples.shape}")


def _to_float(samples: np.ndarray) -> np.ndarray:
    kind = samples.dtype.kind
    if kind == "f":
        return samples.astype(np.float32, copy=False)
    if kind == "b":
        raise AudioError("audio must hold numbers, not booleans")
    if kind == "u":
        bits = samples.dtype.itemsize * 8
        middle = 2 ** (bits - 1)
        return ((samples.astype(np.float64) - middle) / middle).astype(np.float32)
    bits = samples.dtype.itemsize * 8
    return (samples.astype(np.float64) / 2 ** (bits - 1)).astype(np.float32)


def _validated(samples: np.ndarray, max_seconds: float) -> np.ndarray:
    if samples.size < _MIN_SAMPLES:
        raise AudioError("audio is empty: there are no samples to transcribe")
    seconds = samples.size / SAMPLE_RATE
    if seconds > max_seconds:
        raise AudioError(f"audio is {seconds:.1f} s long, over the limit of {max_seconds:g} s")
    low, high = float(samples.min()), float(samples.max())  # NaN propagates: no extra array
    if not (np.isfinite(low) and np.isfinite(high)):
        raise AudioError("audio holds NaN or infinite values")
    peak = max(-low, high)
    if peak > 2.0:
        # Integer-scaled floats (e.g. 16-bit values stored as float): scale them back.
        scale = 32768.0 if peak <= 32768.0 else peak
        log.debug("audio peaks at %.1f: normalising by %g", peak, scale)
        samples = samples / np.float32(scale)
        peak = peak / scale
    if peak > 1.0:
        log.debug("audio peaks at %.3f: clipping to [-1, 1]", peak)
        samples = np.clip(samples, -1.0, 1.0)
    return np.ascontiguousarray(samples, dtype=np.float32)


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample with a windowed-sinc low-pass (no aliasing) and linear interpolation."""
    if rate <= 0:
        raise AudioError(f"sample rate must be positive, got {rate}")
    if rate == target or samples.size == 0:
        return samples
    if rate > target:
        cutoff = 0.5 * target / rate  # as a fraction of the source rate
        taps = np.arange(-32, 33, dtype=np.float64)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(taps.size)
        kernel /= kernel.sum()
        half = taps.size // 2  # "full" then cut: "same" would return the kernel's length for short input
        samples = np.convolve(samples.astype(np.float64), kernel, mode="full")[half:half + samples.size]
    count = max(1, int(round(samples.size * target / rate)))
    positions = np.arange(count, dtype=np.float64) * (rate / target)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def _read_file(path: str) -> "tuple[np.ndarray, int]":
    if not os.path.isfile(path):
        raise AudioError(f"audio file not found: {path}")
    with open(path, "rb") as handle:
        return _read_bytes(handle.read(), name=path)


def _read_bytes(data: bytes, name: str = "audio bytes") -> "tuple[np.ndarray, int]":
    if not data:
        raise AudioError(f"{name}: empty")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return _read_pcm_wav(data)
        except wave.Error:
            pass  # float or extensible WAV: the general decoder reads it
    return _decode_with_av(data, name)


def _read_pcm_wav(data: bytes) -> "tuple[np.ndarray, int]":
    with wave.open(io.BytesIO(data)) as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        raw = reader.readframes(reader.getnframes())
    if width == 3:  # 24-bit: widen to 32-bit little-endian
        as_bytes = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        raw = np.pad(as_bytes, ((0, 0), (1, 0))).tobytes()
        width = 4
    dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}.get(width)
    if dtype is None:
        raise AudioError(f"WAV with {width * 8}-bit samples is not supported")
    samples = np.frombuffer(raw, dtype=dtype)
    return samples.reshape(-1, channels) if channels > 1 else samples, rate


def _decode_with_av(data: bytes, name: str) -> "tuple[np.ndarray, int]":
    """FLAC, float WAV, OGG...: faster-whisper's decoder (PyAV) resamples to 16 kHz mono."""
    try:
        from faster_whisper.audio import decode_audio
    except ImportError as error:
        raise AudioError(f"{name}: decoding this format needs faster-whisper (PyAV), which is not installed") from error
    try:
        return decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE), SAMPLE_RATE
    except Exception as error:
        raise AudioError(f"{name}: not a readable audio file ({error})") from error
