"""One phrase through the stages, in order and never back (docs/ARCHITECTURE.md):

queue → recognise (recognise.py, the engine) → interpret (interpret.py) → type (typist.py, on
Talon's main thread) → history and figures. `process` runs on the worker thread; `_typed`
and what follows on the main thread. The session holds the state these functions read.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Optional

from .engine.guard import normalise
from .engine.options import DecodeOptions, Transcript
from .interpret import COMMANDS, interpret, near_command
from .recognise import Failed, Heard, PhraseFailed, hear_without_context, recognise
from .runtime import on_main, runtime
from .typist import ANY_HELD, Phrase

log = logging.getLogger("superwhisper2")


def process(session: Any, item: Heard) -> None:
    """Worker thread: recognise, interpret, and hand the text to the main thread for typing."""
    options = session.options
    if options is None:
        return
    decode = decode_options(session, options.decode)
    spoken = session.memory.previous_for(item, decode, options.plugin.join_pause)
    prompt = session.typist.context(item.dictation, session.memory.context_since, spoken.number if spoken else None,
                                    options.plugin.context_chars)
    on_main(lambda: session.set_state("transcribing"))
    gone = lambda: item.dictation in session.cancelled or runtime().exiting.is_set()  # noqa: E731
    try:
        result = recognise(session.keeper, item, decode, prompt, spoken, gone, lambda on: setattr(session, "processing", on))
    except PhraseFailed as error:
        return _failed(session, item, error)
    if result is None:
        return
    if (prompt or spoken) and near_command(result.text):
        # context steers Whisper towards dictated text ("Whistler stop" after a French sentence,
        # measured): a short text close to a command is heard again without it
        alone = hear_without_context(session.keeper, item, decode)
        if alone is not None and normalise(alone.text) in COMMANDS:
            result = alone
    meaning = interpret(result.text, session.lists.entries("replacements"), options.plugin.spoken_punctuation)
    then = meaning.command or item.then
    if result.boundary is not None:
        item.after = spoken.number if spoken else 0
    if meaning.command or meaning.breaks_sentence or not meaning.text:
        session.memory.forget()  # no sentence to go on with
    else:
        session.memory.remember(item, result, decode.hotwords)
    if meaning.mark_alone:  # "virgule" alone: the mark ends the phrase before
        result.boundary, meaning.text, item.after = meaning.text, "", ANY_HELD
    result.text = meaning.text
    if result.text:
        if result.language_probability >= 0.6:
            session.sticky_language = result.language
        session.last_transcript = result.text
        if session.history is not None:  # before typing: a failed insert loses nothing
            session.history.append({"text": result.text, "language": result.language,
                                    "seconds": round(result.audio_seconds, 2), "dictation": item.dictation})
    if then and not result.text and not meaning.mark_alone:
        log.info("Whisper heard a command: %s", then)
        on_main(lambda: session.command(then))
        return
    on_main(lambda: _type(session, item, result, then))


def decode_options(session: Any, decode: DecodeOptions) -> DecodeOptions:
    """The settings' decoding options with the spoken language choice and the kept language."""
    language = decode.language
    if session.language_override is not None:
        language = None if session.language_override == "auto" else session.language_override
    return replace(decode, language=language, preferred_language=session.sticky_language if language is None else None,
                   hotwords=session.lists.hotwords(decode.hotwords))


def _failed(session: Any, item: Heard, error: BaseException) -> None:
    session.stats.record_error()
    session.failed.append(Failed(item, str(error)))
    log.error("superwhisper2: phrase of %.1f s failed (%s); kept for `whisper retry`", item.seconds, error)
    on_main(lambda: session.tell_error("A phrase could not be transcribed", f"{error}. Say 'whisper retry' to try again."))


def _type(session: Any, item: Heard, result: Transcript, then: Optional[str]) -> None:
    """Main thread: the typist types the text after everything before it."""
    if item.dictation in session.cancelled:
        return
    plugin = session.options.plugin if session.options else None
    french = bool(plugin and plugin.french_spacing) and result.language == "fr"
    session.typist.type(Phrase(
        item.dictation, item.number, result.text, lambda typed, error: _typed(session, item, result, typed, error, then),
        french, boundary=result.boundary, after=item.after, hold=bool(plugin and plugin.join_pause > 0),
    ))


def _typed(session: Any, item: Heard, result: Transcript, typed: str, error: Optional[BaseException],
           then: Optional[str]) -> None:
    if error is not None:
        session.stats.record_error()
        session.tell_error("Could not type the text",
                           f"{error}. It is kept in the history: say 'whisper paste last' to type it again.")
    else:
        _record(session, item, result, typed)
    if then:
        session.command(then)


def _record(session: Any, item: Heard, result: Transcript, typed: str) -> None:
    """The phrase's latency and stages, for the overlay, `whisper status` and the benchmark."""
    latency = time.perf_counter() - item.received
    session.stats.record(latency, result.audio_seconds, result.timings)
    stages = " ".join(f"{stage} {seconds * 1000:.0f}" for stage, seconds in result.timings.items())
    log.info("phrase %.1f s -> %d chars in %.0f ms (%s ms) window %.0f s%s: %r", result.audio_seconds,
             len(typed), latency * 1000, stages, result.window_seconds,
             " (retried full)" if result.full_window_retry else "", result.text[:60])
    session.recent.append({
        "text": typed.strip(), "language": result.language, "audio_seconds": round(result.audio_seconds, 3),
        "latency_ms": round(latency * 1000, 1), "dropped": result.dropped, "window_seconds": result.window_seconds,
        "full_window_retry": result.full_window_retry, "decodes": result.decodes,
        "stages_ms": {stage: round(seconds * 1000, 1) for stage, seconds in result.timings.items()},
    })
    limit = session.options.plugin.max_latency_ms if session.options else 0
    if limit and latency * 1000 > limit:
        log.warning("phrase took %.0f ms, over user.whisper_max_latency_ms (%d)", latency * 1000, limit)
    if typed:
        session.status.last_text = result.text
        session.status.last_latency_ms = round(latency * 1000)
        session.status.language = result.language
    session.update_state()
