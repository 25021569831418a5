"""Audio as Talon hands it over: a recording cut into phrases at its pauses."""

from __future__ import annotations

import importlib
from typing import Any, List

from .facts import TALON_RATE


def cut_phrases(samples: Any, timeout: float = 0.3) -> List[Any]:
    """Cut audio into phrases the way Talon's VAD does: a pause longer than `timeout` ends one."""
    guard = importlib.import_module("superwhisper2.engine.guard")
    chunks = guard.speech_chunks(samples, min_silence_ms=int(timeout * 1000), pad_ms=100)
    return [samples[chunk["start"]:chunk["end"]] for chunk in chunks]


# Where the shared recordings without a pause Talon would cut at are cut instead: word
# boundaries (after "consulat," and "classes,"), found with faster-whisper's word timestamps.
WORD_BOUNDARY = {"consulat_fr.wav": 1.93, "quilter_en.wav": 3.2}


def sentence_pieces(name: str, samples: Any) -> List[Any]:
    """A shared recording as the phrases of one sentence said with pauses."""
    if name in WORD_BOUNDARY:
        at = int(WORD_BOUNDARY[name] * TALON_RATE)
        return [samples[:at], samples[at:]]
    return cut_phrases(samples)
