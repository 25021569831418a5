"""One phrase through the stages, in order and never back (docs/ARCHITECTURE.md), and the state
phrases need on their way:

queue → recognise (recognise.py, the engine) → interpret (interpret.py) → type (typist.py, on
Talon's main thread) → history and figures. `process` runs on the worker thread; what follows
the hand-off (`_type`, `_typed`) on the main thread. Every phrase ends in one log record
("phrase N: typed/dropped/failed/cancelled/command", its figures attached) that Talon's log
shows and the test harness reads.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Callable, Deque, Dict, List, Optional, Set

from .engine.guard import normalise
from .engine.options import DecodeOptions, Transcript
from .engine.stats import LatencyStats
from .history import History
from .interpret import COMMANDS, interpret, near_command
from .loader import ModelKeeper
from .options import Options
from .phrases import Boundary, Heard, Kept, Phrase, Typed
from .recognise import Context, PhraseFailed, hear_without_context, recognise
from .holder import holder, register
from .runtime import on_main
from .typist import Typist
from .vocabulary import Lists

log = logging.getLogger("superwhisper2")

LANGUAGES = {"french": "fr", "english": "en", "auto": "auto"}
RECORD = "superwhisper2_phrase"  # the log record's attribute holding the phrase's figures


@dataclass(frozen=True)
class Last:
    """The last phrase typed, as the overlay shows it."""

    text: str
    latency_ms: float
    language: str


@register
class Pipeline:
    """Recognise, interpret and type one phrase after another."""

    def __init__(self, keeper: Optional[ModelKeeper] = None, typist: Optional[Typist] = None,
                 command: Callable[[str], Any] = lambda name: None,
                 tell: Callable[[str, str], Any] = lambda title, body: None,
                 changed: Callable[[str], Any] = lambda state: None) -> None:
        self.keeper = keeper or ModelKeeper()
        self.typist = typist or Typist()
        self.command = command  # main thread: a command heard ("stop", "cancel", "undo")
        self.tell = tell  # main thread: something the user must know
        self.changed = changed  # main thread: the state to show
        self.stats = LatencyStats()
        self.lists = Lists()
        self.context = Context()  # worker thread
        self.kept: Deque[Kept] = deque(maxlen=10)  # phrases that failed, for "whisper retry"
        self.refused: Deque[Kept] = deque(maxlen=10)  # refused as not speech since the last text typed
        self.cancelled: Set[int] = set()  # dictations whose phrases are dropped
        self.language_override: Optional[str] = None  # "whisper language ...": a code or "auto"
        self.sticky_language: Optional[str] = None  # detected on a dictation's first phrase
        self.last_transcript = ""
        self.last: Optional[Last] = None
        self.history: Optional[History] = None
        self.processing = False  # a phrase is in the worker

    # -- main thread: the session's commands ------------------------------------------------------

    def new_dictation(self) -> None:
        self.sticky_language = None
        self.context.forget()

    def use_history(self, path: str) -> None:
        if self.history is None or self.history.path != path:
            self.history = History(path)

    def cancel(self, dictation: int) -> None:
        self.cancelled.add(dictation)
        self.typist.cancel(dictation)

    def take_kept(self, dictation: int) -> List[Kept]:
        """For "whisper retry" (into `dictation`, no longer cancelled): what failed, and what was
        refused since the last text typed."""
        self.cancelled.discard(dictation)
        kept = list(self.kept) + list(self.refused)
        self.kept.clear()
        self.refused.clear()
        return kept

    def set_language(self, name: str) -> None:
        """"whisper language french/english/auto": a name or a code."""
        language = LANGUAGES.get(name.lower(), name.lower())
        self.language_override = language
        self.sticky_language = None
        self.context.forget()
        log.info("language set by voice: %s", language)

    def paste_last(self, dictation: int) -> None:
        """Type the last transcription again."""
        if self.last_transcript:
            self.context.forget()
            self.typist.type_held_mark()
            self.typist.type(Phrase(dictation, 0, self.last_transcript))

    # -- worker thread ----------------------------------------------------------------------------

    def process(self, item: Heard, options: Options) -> None:
        """Recognise and interpret `item`, and hand its text to the main thread for typing."""
        self.processing = True
        try:
            self._process(item, options)
        except Exception as error:  # a bug: the phrase is kept and said, never lost in silence
            log.exception("superwhisper2: unexpected error while processing a phrase")
            self._keep(item, f"{type(error).__name__}: {error}")
        finally:  # cleared after the hand-off to Talon's thread: a held mark waits for this phrase
            on_main(lambda: setattr(self, "processing", False))

    def _process(self, item: Heard, options: Options) -> None:
        decode = self.decode_options(options.decode)
        if item.retry:  # "whisper retry": what Whisper hears is typed, whatever the gates said before
            decode = replace(decode, gates=False)
        previous = self.context.previous_for(item, decode.hotwords, options.plugin.join_pause)
        prompt = self.typist.context(item.dictation, self.context.since, previous.number if previous else None,
                                     options.plugin.context_chars)
        on_main(lambda: self.changed("transcribing"))
        gone = lambda: item.dictation in self.cancelled or holder().exiting.is_set()  # noqa: E731
        try:
            result = recognise(self.keeper, item, decode, prompt=prompt, previous=previous, give_up=gone)
        except PhraseFailed as error:
            return self._keep(item, str(error))
        if result is None:
            return self._record(item, "cancelled")
        if result.dropped and result.heard:  # Whisper wrote something it was not sure was speech
            self.refused.append(Kept(item, result.dropped))
        elif result.text:
            self.refused.clear()  # what was refused before this is not what the user misses
        if (prompt or previous) and near_command(result.text):
            # context steers Whisper towards dictated text ("Whistler stop"): a short text close
            # to a command is heard again without it
            alone = hear_without_context(self.keeper, item, decode)
            if alone is not None and normalise(alone.text) in COMMANDS:
                result = alone
        meaning = interpret(result.text, self.lists.entries("replacements"), options.plugin.spoken_punctuation)
        if meaning.command or meaning.breaks_sentence or not meaning.text:
            self.context.forget()  # no sentence to go on with
        else:
            self.context.remember(item, result, decode.hotwords)
        text, boundary = meaning.text, None
        if meaning.mark_alone:  # "virgule" alone: the mark ends the phrase before
            text, boundary = "", Boundary(meaning.text, None)
        elif result.boundary is not None and previous is not None:
            boundary = Boundary(result.boundary, previous.number)
        if text:
            if result.language_probability >= 0.6:
                self.sticky_language = result.language
            self.last_transcript = text
            if self.history is not None:  # before typing: a failed insert loses nothing
                self.history.append({"text": text, "language": result.language,
                                     "seconds": round(result.audio_seconds, 2), "dictation": item.dictation})
        then = meaning.command or item.then
        french = options.plugin.french_spacing and result.language == "fr"
        limit = options.plugin.max_latency_ms
        phrase = Phrase(item.dictation, item.number, text, lambda typed: self._typed(item, result, typed, then, limit),
                        french, boundary, hold_mark=options.plugin.join_pause > 0)
        on_main(lambda: self._type(phrase))

    def decode_options(self, decode: DecodeOptions) -> DecodeOptions:
        """The settings' decoding options with the spoken language choice and the kept language."""
        language = decode.language
        if self.language_override is not None:
            language = None if self.language_override == "auto" else self.language_override
        return replace(decode, language=language, preferred_language=self.sticky_language if language is None else None,
                       hotwords=self.lists.hotwords(decode.hotwords))

    def _keep(self, item: Heard, reason: str) -> None:
        self.stats.record_error()
        self.kept.append(Kept(item, reason))
        log.error("superwhisper2: phrase of %.1f s failed (%s); kept for `whisper retry`", item.seconds, reason)
        self._record(item, "failed", error=reason)
        on_main(lambda: self.tell("A phrase could not be transcribed", f"{reason}. Say 'whisper retry' to try again."))
        on_main(lambda: self.typist.type(Phrase(item.dictation, item.number, "")))  # keeps the typist's count

    # -- main thread ------------------------------------------------------------------------------

    def _type(self, phrase: Phrase) -> None:
        if phrase.dictation in self.cancelled:
            phrase.done(Typed(cancelled=True))
        else:
            self.typist.type(phrase)

    def _typed(self, item: Heard, result: Transcript, typed: Typed, then: Optional[str], limit_ms: int) -> None:
        if typed.error is not None:
            self.stats.record_error()
            self._record(item, "failed", result, error=str(typed.error))
            self.tell("Could not type the text",
                      f"{typed.error}. It is kept in the history: say 'whisper paste last' to type it again.")
        elif typed.cancelled:
            self._record(item, "cancelled", result)
        else:
            self._figures(item, result, typed.text, limit_ms)
        if then and not typed.cancelled:
            if not result.text:
                log.info("Whisper heard a command: %s", then)
            if then == "undo" or item.dictation == self.typist.dictation:
                self.command(then)
            else:  # said in a dictation the user already stopped: not a stop of the one now listening
                log.info("'whisper %s' of dictation %d: that dictation has ended", then, item.dictation)

    def _figures(self, item: Heard, result: Transcript, typed: str, limit_ms: int) -> None:
        """The phrase's latency and stages, for the overlay, `whisper status` and the benchmark."""
        latency = time.perf_counter() - item.received
        if limit_ms and latency * 1000 > limit_ms:
            log.warning("phrase took %.0f ms, over user.whisper_max_latency_ms (%d)", latency * 1000, limit_ms)
        self.stats.record(latency, result.audio_seconds, result.timings)
        if typed:
            self.last = Last(result.text, round(latency * 1000), result.language)
        self._record(item, "typed" if typed else "dropped", result, typed=typed.strip(), latency_ms=latency * 1000)

    def _record(self, item: Heard, outcome: str, result: Optional[Transcript] = None, **extra: Any) -> None:
        """One log line per phrase, whatever became of it."""
        figures: Dict[str, Any] = {"number": item.number, "dictation": item.dictation, "outcome": outcome,
                                   "audio_seconds": round(item.seconds, 3), **extra}
        if result is not None:
            figures.update(result.figures())
        if "latency_ms" in figures:
            figures["latency_ms"] = round(figures["latency_ms"], 1)
        log.info("phrase %d: %s %s", item.number, outcome, _summary(figures), extra={RECORD: figures})


def _summary(figures: Dict[str, Any]) -> str:
    parts = [f"{figures['audio_seconds']:.1f} s"]
    if "latency_ms" in figures:
        parts.append(f"in {figures['latency_ms']:.0f} ms")
    if figures.get("stages_ms"):
        parts.append("(" + " ".join(f"{stage} {ms:.0f}" for stage, ms in figures["stages_ms"].items()) + " ms)")
    if figures.get("dropped"):
        parts.append(f"[{figures['dropped']}]")
    if figures.get("error"):
        parts.append(f"[{figures['error'][:80]}]")
    return " ".join(parts) + (f": {figures['typed'][:60]!r}" if figures.get("typed") else "")
