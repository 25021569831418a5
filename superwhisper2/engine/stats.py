"""Latency by stage, percentiles, the design's moving average and the real-time factor."""

from __future__ import annotations

import threading
from collections import deque
from typing import Deque, Dict, Iterable, List, Optional


def percentile(values: Iterable[float], fraction: float) -> Optional[float]:
    """Linear-interpolated percentile (`fraction` in [0, 1]); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class LatencyStats:
    """Thread-safe figures over the last `window` phrases (count and errors over all)."""

    def __init__(self, window: int = 200, smoothing: float = 0.2) -> None:
        self._lock = threading.Lock()
        self._latencies: Deque[float] = deque(maxlen=window)
        self._stages: Dict[str, Deque[float]] = {}
        self._window = window
        self._smoothing = smoothing
        self.count = 0
        self.errors = 0
        self.moving_average: Optional[float] = None
        self.audio_seconds = 0.0
        self.processing_seconds = 0.0

    def record(self, latency: float, audio_seconds: float, stages: Optional[Dict[str, float]] = None) -> None:
        """One phrase: `latency` from phrase delivered to text ready (seconds)."""
        with self._lock:
            self.count += 1
            self._latencies.append(latency)
            self.moving_average = latency if self.moving_average is None else (
                self._smoothing * latency + (1 - self._smoothing) * self.moving_average
            )
            self.audio_seconds += audio_seconds
            self.processing_seconds += (stages or {}).get("total", latency)
            for stage, seconds in (stages or {}).items():
                self._stages.setdefault(stage, deque(maxlen=self._window)).append(seconds)

    def record_error(self) -> None:
        with self._lock:
            self.errors += 1

    def summary(self) -> Dict[str, object]:
        """Milliseconds, rounded: what the overlay, the log and the benchmark show."""
        with self._lock:
            latencies: List[float] = list(self._latencies)
            stages = {stage: percentile(values, 0.5) for stage, values in self._stages.items()}
            rtf = self.processing_seconds / self.audio_seconds if self.audio_seconds else None
            return {
                "count": self.count,
                "errors": self.errors,
                "p50_ms": _ms(percentile(latencies, 0.5)),
                "p95_ms": _ms(percentile(latencies, 0.95)),
                "moving_average_ms": _ms(self.moving_average),
                "real_time_factor": None if rtf is None else round(rtf, 3),
                "stages_p50_ms": {stage: _ms(value) for stage, value in sorted(stages.items())},
            }


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 1)
