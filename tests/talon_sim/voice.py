"""The user's voice: Talon's detector cut a phrase, its recogniser matched (or rejected) it, and
the phrase callbacks run, then the commands it matched."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .facts import TALON_RATE

from .scheduler import on_main_thread
from .stubs import ParsedPhrase, Word
from .talon_files import match_rule

if TYPE_CHECKING:
    from .process import Talon

SPEECH_THREAD_NAME = "talon-speech"
Command = Tuple[List[Tuple[str, List[Any]]], str]  # (actions, the rule's words)


@dataclass
class Phrase:
    """What `speak` delivered, and what became of it."""

    words: List[str]
    samples: Optional[Any]
    delivered_at: float
    cancelled: bool = False
    ran: List[str] = field(default_factory=list)


class Voice:
    """Delivers phrases to the phrase callbacks, on Talon's thread or a thread of their own."""

    def __init__(self, talon: "Talon") -> None:
        self.talon = talon
        self.phrases: List[Phrase] = []
        self.callback_seconds: List[float] = []  # how long each pre:phrase callback held Talon's thread
        self._queue: "queue.Queue[Optional[Tuple[Phrase, Dict[str, Any], threading.Event]]]" = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=SPEECH_THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(2)

    @property
    def idle(self) -> bool:
        return self._queue.empty()

    def speak(self, samples: Any = None, words: Optional[str] = None, wait: bool = True,
              word_times: Optional[Sequence[Tuple[float, float]]] = None, rejected: bool = False,
              began: Optional[float] = None) -> Phrase:
        """Talon's detector cut a phrase: `words` is what Talon's own recogniser made of it.

        words=None: the recogniser matches what it can; with a `<phrase>` rule active, some words.
        `rejected`: it matched nothing (a cough, typing): no words, and samples only if
        `samples_on_rejected`. `word_times`: each word's (start, end) in seconds into `samples`.
        `began`: when the user began saying it (perf counter, Talon's `_ts`); by default now, as
        if said in an instant — a test sets it earlier for a phrase that began before a key press.
        """
        talon = self.talon
        if not talon.speech_enabled:
            raise RuntimeError("speech is disabled: Talon hears nothing")
        heard = words.lower().split() if words is not None else ["some", "dictated", "words"]
        phrase = Phrase(heard, samples, time.monotonic())
        self.phrases.append(phrase)
        sequence = [] if rejected else self.match(heard)
        if not sequence:
            phrase.words = []
        seconds = len(samples) / TALON_RATE if samples is not None and hasattr(samples, "__len__") else 0.5 * len(heard)
        if word_times is None:
            step = seconds / max(1, len(phrase.words))
            word_times = [(i * step, (i + 1) * step) for i in range(len(phrase.words))]
        ts = time.perf_counter() if began is None else began
        payload: Dict[str, Any] = {
            "phrase": [Word(w, ts + start, ts + end) for w, (start, end) in zip(phrase.words, word_times)],
            "parsed": ParsedPhrase(sequence),
            "_ts": ts,
            "_metadata": {"emit": 0.0, "decode": 0.0},
        }
        facts = talon.facts
        if not facts.phrase_ts:
            del payload["_ts"]
        with_samples = facts.phrases_have_samples and (bool(sequence) or facts.samples_on_rejected)
        if with_samples and samples is not None:
            import numpy as np

            own = isinstance(samples, np.ndarray) and samples.dtype == np.float32
            payload["samples"] = samples.copy() if own else samples  # Talon's buffer, not the caller's
        done = threading.Event()
        if facts.phrase_thread == "main":
            talon.scheduler.schedule(0, lambda: self._deliver(phrase, payload, done), None)
        else:
            self._queue.put((phrase, payload, done))
        if wait:
            done.wait(30)
        return phrase

    def match(self, words: List[str]) -> List[Command]:
        """The commands an utterance runs: the best whole match, or with `chain_commands` a
        `<phrase>` then a command that ends the utterance (talonhub/community#1458)."""
        best = None
        literal_tails = []
        for talon_file in self.talon.active_files():
            for rule, actions in talon_file.commands:
                score = match_rule(rule, words)
                name = " ".join(w for _, w in rule)
                if score is not None and (best is None or score > best[0]):
                    best = (score, actions, name)
                if all(kind == "word" for kind, _ in rule) and 0 < len(rule) < len(words):
                    if [w for _, w in rule] == words[-len(rule):]:
                        literal_tails.append((len(rule), actions, name))
        if best is None:
            return []
        if self.talon.facts.chain_commands and literal_tails and best[0] < len(words):
            size, actions, name = max(literal_tails, key=lambda tail: tail[0])
            head = self.match(words[:-size]) if len(words) > size else []
            if head:
                return head + [(actions, name)]
        return [(best[1], best[2])]

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            phrase, payload, done = item
            try:
                self._deliver(phrase, payload, done)
            except BaseException as error:
                self.talon.errors.append(error)

    def _deliver(self, phrase: Phrase, payload: Dict[str, Any], done: threading.Event) -> None:
        talon = self.talon
        try:
            for fn in list(talon.speech_callbacks.get("pre:phrase", [])):
                started = time.perf_counter()
                try:
                    fn(payload)
                except BaseException as error:  # Talon logs a hook's error and goes on
                    talon._error(error, "pre:phrase hook")
                finally:
                    self.callback_seconds.append(time.perf_counter() - started)
            sequence = payload["parsed"]._sequence if payload.get("parsed") is not None else []
            phrase.cancelled = not payload.get("phrase") and not sequence  # community's cancel empties both
            if not phrase.cancelled:
                every = [action for actions, _ in sequence for action in actions]
                phrase.ran = talon.run_actions(every) if on_main_thread() else talon.call_on_main(
                    lambda: talon.run_actions(every))
            for fn in list(talon.speech_callbacks.get("phrase", [])):
                fn(payload)
        finally:
            samples = payload.get("samples")
            if talon.facts.reuse_sample_buffer and samples is not None and samples is not phrase.samples \
                    and getattr(samples, "dtype", None) is not None and samples.dtype.kind == "f":
                samples[:] = 0.0  # Talon's buffer is refilled by the next phrase
            done.set()
