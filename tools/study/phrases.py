"""The collected phrases as the analyses read them: two views of each recording, the halves,
word errors, and the engine's own verdict replayed on the stored numbers. Talon imports this
file too: it only defines things (the tools import the engine by package, from the repository root).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import replace
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

FLOORS = (10, 15, 20, 30)  # window floors measured: W(f) = min(30, max(f, ceil(seconds + 1)))
# Speech is halved within each source, so both halves hold every kind of speech; everything
# else (non-speech) is one group, halved by name.
SOURCES = ("stp_fr", "stp_en", "fleurs_fr", "fleurs_en", "ljspeech", "librivox")
# The verdict's first four reasons: the gates that ran before issue 20's rule (verdict.judge
# checks them first, so a phrase refused for one of these was refused before the rule too).
GATES_BEFORE_RULE = frozenset({"empty", "no speech", "unsure after every fallback", "hallucination"})
Row = Dict[str, Any]


def default_data() -> str:
    """Where collect.py writes and the analyses read by default: outside the repository."""
    return os.path.join(tempfile.gettempdir(), "superwhisper2-study", "phrases.jsonl")


def load(paths: Iterable[str]) -> Dict[str, Row]:
    """Rows by id; a later file replaces an earlier one's rows (e.g. non-speech dictated in English)."""
    rows: Dict[str, Row] = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows[row["id"]] = row
    return rows


def views(rows: Dict[str, Row]) -> Dict[str, Dict[str, List[Row]]]:
    """{"whole": {name: [row]}, "cut": {name: [pieces in order]}}; a recording Talon would not cut
    is its own single piece."""
    out: Dict[str, Dict[str, List[Row]]] = {"whole": {}, "cut": defaultdict(list)}
    for row in sorted(rows.values(), key=lambda r: (r["name"], r["piece"])):
        if row["view"] == "whole":
            out["whole"][row["name"]] = [row]
            if row["uncut"]:
                out["cut"][row["name"]] = [row]
        else:
            out["cut"][row["name"]].append(row)
    out["cut"] = dict(out["cut"])
    return out


def source(name: str) -> str:
    return next((s for s in SOURCES if name.startswith(s)), "nonspeech")


def halves(names: Iterable[str]) -> Dict[str, str]:
    """name -> "A" or "B": sorted by name within each source, alternating A, B, A..."""
    groups: Dict[str, List[str]] = defaultdict(list)
    for name in names:
        groups[source(name)].append(name)
    return {name: "AB"[i % 2] for group in groups.values() for i, name in enumerate(sorted(group))}


@functools.lru_cache(maxsize=None)
def words(text: str, language: str) -> Tuple[str, ...]:
    """tools/corpus.py's normalised words (how WER is scored)."""
    from tools import corpus

    return tuple(corpus.normalise(text or "", language).split())


@functools.lru_cache(maxsize=None)
def errors(reference: str, hypothesis: str, language: str) -> int:
    """Word errors of one recording (corpus.wer on it, times its reference words)."""
    from tools import corpus

    count = len(words(reference, language))
    return round(corpus.wer([reference], [hypothesis], language) * count) if count else 0


def wer(pairs: Iterable[Tuple[str, str]], language: str) -> float:
    """corpus.wer over (reference, hypothesis) pairs: errors over reference words, all pairs together."""
    total = wrong = 0
    for reference, hypothesis in pairs:
        total += len(words(reference, language))
        wrong += errors(reference, hypothesis, language)
    return wrong / total if total else 0.0


def same(a: str, b: str, language: str) -> bool:
    return words(a, language) == words(b, language)


def vad_refused(row: Row) -> bool:
    """Refused by the speech gate before any decoding."""
    today = row["today"]
    return today["dropped"] == "no speech" and not today["work"].get("encoder_passes")


class _Heard:
    """A model stand-in for verdict.judge: it answers detect_language with the collected numbers."""

    multilingual = True

    def __init__(self, probabilities: Dict[str, float]) -> None:
        self.lock = contextlib.nullcontext()
        self.model = self
        self.ranked = [[(f"<|{code}|>", p) for code, p in sorted(probabilities.items(), key=lambda kv: -kv[1])]]

    def running(self) -> "_Heard":
        return self

    def detect_language(self, encoded: Any) -> List[List[Tuple[str, float]]]:
        return self.ranked


def judge(heard: str, *, language: str, probabilities: Dict[str, float], avg_logprob: float, no_speech_prob: float,
          temperature: float, speech_seconds: float, speech_threshold: Optional[float] = None) -> Optional[str]:
    """The reason engine/verdict.py gives for refusing `heard`, or None (typed): the product's own
    code, with the language probabilities collected on the same encoder output."""
    from superwhisper2.engine import verdict
    from superwhisper2.engine.options import DecodeOptions, Request, Transcript

    options = DecodeOptions(language=language)
    if speech_threshold is not None:
        options = replace(options, speech_threshold=speech_threshold)
    result = Transcript(heard, language, 0.0, avg_logprob=avg_logprob, no_speech_prob=no_speech_prob,
                        temperature=temperature, speech_seconds=speech_seconds)
    request = Request(_Heard(probabilities), options, language, encoded=True)  # type: ignore[arg-type]
    return verdict.judge(result, request)


def kept_window(row: Row) -> Dict[str, Any]:
    """The window whose decode today's path kept (the full one when nothing was decoded)."""
    return row["windows"][str(int(row["today"]["window_seconds"] or 30))]


def today_reason(row: Row, speech_threshold: Optional[float] = None) -> Optional[str]:
    """verdict.judge on today's decode (the speech gate's refusal as it is)."""
    today = row["today"]
    if vad_refused(row):
        return "no speech"
    window = kept_window(row)
    return judge(today["heard"], language=row["dictation"], probabilities=window["language"]["probabilities"],
                 avg_logprob=today["avg_logprob"], no_speech_prob=today["no_speech_prob"],
                 temperature=today["temperature"], speech_seconds=today["speech_seconds"],
                 speech_threshold=speech_threshold)


def repeat_run(text: str) -> int:
    """The longest run of one 1-6-word group said again and again, on verdict.py's words."""
    found = re.findall(r"\w+", text.lower())
    best = 1 if found else 0
    for size in range(1, 7):
        for start in range(len(found) - size + 1):
            run = 1
            while found[start + run * size:start + (run + 1) * size] == found[start:start + size]:
                run += 1
            best = max(best, run)
    return best


def row(label: str, cell: Callable[[str], Any], columns: Iterable[str] = ("whole", "cut")) -> None:
    """One markdown table row: the label, then `cell(column)` for each column."""
    print(f"| {label} | " + " | ".join(str(cell(c)) for c in columns) + " |")
