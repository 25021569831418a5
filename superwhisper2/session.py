"""The dictation state machine, its worker thread, and the hand-off to Talon's main thread.

Threads: Talon's speech thread hands phrases to `heard` (no waiting); one worker thread
transcribes them in order; a loader thread loads the model; everything that touches Talon
(typing, modes, overlay, notifications) runs on the main thread via `cron.after("0ms")`.

State that must outlive a reload of these files (the queue, the worker thread, the session)
lives in a holder in `sys.modules`; the worker calls whatever session is current, so new
code takes over at the next phrase and nothing is built twice.
"""

from __future__ import annotations

import difflib
import logging
import queue
import sys
import threading
import time
import types
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Deque, Dict, List, Optional, Set

from talon import actions, app, cron, settings

from . import microphone
from .engine import models
from .engine.errors import EngineError, ModelError
from .engine.audio import load_audio
from .engine.guard import normalise
from .engine.stats import LatencyStats
from .engine.text import replace_words, spoken_punctuation
from .engine.transcriber import SENTENCE_MARKS, DecodeOptions, Previous, Transcript, transcribe
from .history import History, history_path
from .options import Options, SettingsUnavailable, read_options
from .vocabulary import Lists
from .typist import ANY_HELD, Phrase, Typist

log = logging.getLogger("superwhisper2")

MODE = "user.whisper"
TALON_MODES = ("command", "dictation", "sleep")  # switched off while dictating, restored afterwards
COMMANDS = {"whisper stop": "stop", "whisper cancel": "cancel", "whisper undo": "undo"}  # heard by Whisper only
LANGUAGES = {"french": "fr", "english": "en", "auto": "auto"}
CONTEXT_LOGPROB = -0.5  # a phrase Whisper was less sure of is kept out of the context: it would spread its errors
WORKER_NAME = "superwhisper2-worker"
LOADER_NAME = "superwhisper2-loader"


@dataclass
class Heard:
    """One phrase of audio waiting for Whisper."""

    samples: Any
    received: float  # time.perf_counter() when Talon handed it over
    dictation: int
    seconds: float = 0.0
    number: int = 0  # in the order Talon heard them
    after: int = 0  # the phrase it was heard together with (0: heard alone)


@dataclass
class Spoken:
    """The last phrase typed, as the next one needs it to be heard together with it."""

    dictation: int
    number: int
    ended: float  # time.perf_counter() when Talon handed it over
    previous: Previous
    hotwords: Optional[str]


@dataclass
class Failed:
    """A phrase the engine could not transcribe, kept for `whisper retry`."""

    heard: Heard
    error: str


@dataclass
class Status:
    """What the overlay and `whisper status` show: plain values, cheap to draw."""

    state: str = "idle"  # idle, loading, listening, transcribing, typing, error
    detail: str = ""
    last_text: str = ""
    last_latency_ms: Optional[float] = None
    backlog_seconds: float = 0.0
    model: str = ""
    device: str = ""
    language: str = ""
    figures: Dict[str, Any] = field(default_factory=dict)


def runtime() -> types.ModuleType:
    """Process-wide objects that survive reloads of this package's files."""
    key = "superwhisper2_plugin_state"
    holder = sys.modules.get(key)
    if holder is None:
        holder = types.ModuleType(key, "superwhisper2's queue, worker and session across reloads")
        holder.queue = queue.Queue()  # type: ignore[attr-defined]
        holder.worker = None  # type: ignore[attr-defined]
        holder.session = None  # type: ignore[attr-defined]
        holder.exiting = threading.Event()  # type: ignore[attr-defined]
        holder.lock = threading.RLock()  # type: ignore[attr-defined]
        sys.modules[key] = holder
    return holder


def current() -> "Session":
    """The session, adopting the state of one built by older code after a reload."""
    holder = runtime()
    with holder.lock:
        session = holder.session
        if session is None or type(session) is not Session:
            holder.session = Session(previous=session)
        return holder.session


def ensure_worker() -> None:
    """Start the one worker thread if it is not running (at ready, never at import)."""
    holder = runtime()
    with holder.lock:
        if holder.worker is None or not holder.worker.is_alive():
            holder.exiting.clear()
            holder.worker = threading.Thread(target=_work, args=(holder,), name=WORKER_NAME, daemon=True)
            holder.worker.start()


def shutdown(timeout: float = 1.0) -> None:
    """Talon is exiting: end the worker within `timeout` seconds and free the model."""
    holder = runtime()
    holder.exiting.set()
    holder.queue.put(None)
    session = holder.session
    if session is not None:
        session.model_ready.set()  # wake a worker waiting for the model
    worker = holder.worker
    if worker is not None and worker is not threading.current_thread():
        worker.join(timeout)
    models.release_all()


def _work(holder: types.ModuleType) -> None:
    """The worker loop: kept trivial, because a reload cannot replace a running thread's code."""
    while not holder.exiting.is_set():
        item = holder.queue.get()
        if item is None or holder.exiting.is_set():
            break
        session = current()
        try:
            session.process(item)
        except Exception:  # never let one phrase kill the worker
            log.exception("superwhisper2: unexpected error while processing a phrase")
        finally:
            on_main(session._update_state)  # whatever became of the phrase, the overlay follows


def on_main(fn: Callable[[], Any]) -> None:
    """Run `fn` on Talon's main thread soon (actions and UI belong there)."""
    cron.after("0ms", fn)


class Session:
    """Dictation state. Methods say which thread calls them."""

    def __init__(self, previous: Optional[Any] = None) -> None:
        self.listening = False
        self.dictation = 0
        self.cancelled: Set[int] = set()
        self.saved_modes: List[str] = []
        self.options: Optional[Options] = None
        self.model: Optional[models.LoadedModel] = None
        self.model_error: Optional[str] = None
        self.loading: Optional[models.ModelSpec] = None
        self.failed_spec: Optional[models.ModelSpec] = None  # retried on the hotkey or a changed setting
        self.cuda_broken: Optional[str] = None  # CUDA failed mid-session: the CPU fallback serves
        self.model_ready = threading.Event()
        self.status = Status()
        self.stats = LatencyStats()
        self.failed: Deque[Failed] = deque(maxlen=10)
        self.recent: Deque[Dict[str, Any]] = deque(maxlen=100)  # the last phrases, typed or dropped
        self.typist = Typist()
        self.history: Optional[History] = None
        self.lists = Lists()
        self.language_override: Optional[str] = None  # "whisper language ...": a code or "auto"
        self.sticky_language: Optional[str] = None  # detected on a dictation's first phrase
        self.last_transcript = ""
        self.last_speech = 0.0
        self.heard_count = 0
        self.spoken: Optional[Spoken] = None  # worker thread: the phrase the next one may be heard with
        self.context_since = 0  # worker thread: the first phrase whose text may be Whisper's context
        self.processing = False
        self.fallback_told = False
        self.auto_stop_job: Any = None
        self.on_status: Callable[[], None] = lambda: None
        if previous is not None:  # a reload: keep every value, take the new code
            self.__dict__.update({k: v for k, v in vars(previous).items() if k in self.__dict__})
            self.typist = Typist(previous=getattr(previous, "typist", None))
        self.typist.busy = self._busy

    def _busy(self) -> bool:
        """A phrase is waiting for Whisper or being transcribed."""
        return self.processing or not runtime().queue.empty()

    # -- main thread: the user's commands ------------------------------------------------------

    def refresh_options(self, retry: bool = False) -> Options:
        """Read the settings (main thread) and load the model they name if it changed.

        A model that failed to load is tried again only with `retry` (the user pressed the
        hotkey) or when the settings name another one.
        """
        try:
            self.options = read_options(settings.get)
        except SettingsUnavailable as error:
            if self.options is None:
                raise
            log.debug("keeping the previous settings: %s", error)
            return self.options
        self.typist.close_after = self.options.plugin.join_pause
        path = history_path(self.options.plugin.history_file)
        if self.history is None or self.history.path != path:
            self.history = History(path)
        spec = self.options.model
        if self.cuda_broken and spec.device != "cpu":
            spec = cpu_fallback(spec)
        if retry or spec != self.failed_spec:
            self.ensure_model(spec)
        return self.options

    def start(self) -> None:
        """Listen: switch Talon's command and dictation modes off and ours on."""
        if self.listening:
            return
        options = self.refresh_options(retry=True)
        self.saved_modes = [mode for mode in TALON_MODES if _mode_active(mode)]
        for mode in TALON_MODES:
            actions.mode.disable(mode)
        actions.mode.enable(MODE)
        self.listening = True
        self.dictation += 1
        self.sticky_language = None
        self.spoken = None
        self.typist.new_dictation(self.dictation)
        self.last_speech = time.monotonic()
        self._set_state("listening" if self.model is not None else "loading")
        if options.plugin.auto_stop > 0:
            self.auto_stop_job = cron.interval("500ms", self._check_auto_stop)
        log.info("dictation %d started (modes before: %s)", self.dictation, ", ".join(self.saved_modes) or "none")

    def stop(self, cancel: bool = False) -> None:
        """Stop listening; with `cancel`, also drop what is not typed yet."""
        if cancel:
            self.cancelled.add(self.dictation)
            self.typist.cancel(self.dictation)
        self.typist.close_when_quiet()  # the last phrase's closing mark, once nothing more will follow it
        if not self.listening:
            self._update_state()
            return
        self.listening = False
        microphone.close()
        cron.cancel(self.auto_stop_job)
        self.auto_stop_job = None
        actions.mode.disable(MODE)
        for mode in self.saved_modes:
            actions.mode.enable(mode)
        log.info("dictation %d %s", self.dictation, "cancelled" if cancel else "stopped")
        self._update_state()

    def toggle(self) -> None:
        """The hotkey: start or stop, and type nothing while its modifiers may be held."""
        delay = self.options.plugin.type_delay if self.options else 0.3
        self.typist.hold(delay)
        self.stop() if self.listening else self.start()

    def retry_failed(self) -> int:
        """Send the phrases that failed back to Whisper; returns how many."""
        count = len(self.failed)
        self.cancelled.discard(self.dictation)
        while self.failed:
            failed = self.failed.popleft()
            failed.heard.dictation = self.dictation
            runtime().queue.put(failed.heard)
        return count

    def _check_auto_stop(self) -> None:
        plugin = self.options.plugin if self.options else None
        if self.listening and plugin and plugin.auto_stop > 0 and runtime().queue.empty():
            if time.monotonic() - self.last_speech > plugin.auto_stop:
                log.info("no speech for %.0f s: stopping", plugin.auto_stop)
                self.stop()

    def run_doctor(self) -> None:
        """`whisper doctor`: the checks run on their own thread; the report goes to the log."""
        options = self.refresh_options()

        def check() -> None:
            from .engine.doctor import diagnose

            report = diagnose(options.model, language=options.decode.language or "fr", load=models.get_model)
            log.info("superwhisper2 doctor:\n%s", report.text())
            on_main(lambda: self._notify("doctor", report.summary()))

        threading.Thread(target=check, name="superwhisper2-doctor", daemon=True).start()

    # -- the model (loader thread) -------------------------------------------------------------

    def ensure_model(self, spec: models.ModelSpec) -> None:
        """Load `spec` in the background unless it is loaded or loading (a failed load is retried)."""
        if self.model is not None and self.model.spec == spec and self.model.whisper is not None:
            return
        if self.loading == spec:
            return
        self.loading = spec
        self.failed_spec = None
        self.model_error = None
        self.model_ready.clear()
        self._set_state("loading", "Loading model…")
        threading.Thread(target=self._load, args=(spec,), name=LOADER_NAME, daemon=True).start()

    def _load(self, spec: models.ModelSpec) -> None:
        try:
            from .engine import guard

            loaded = models.get_model(spec)
            guard.load_vad()
        except Exception as error:
            message = str(error) if isinstance(error, EngineError) else f"{type(error).__name__}: {error}"
            log.error("superwhisper2: the model could not be loaded: %s", message)
            if self.loading == spec:
                self.loading = None
                self.failed_spec = spec
                self.model_error = message
                self.model = None
                on_main(lambda: self._tell_error("Whisper model not loaded", message))
            return
        if self.loading != spec:  # the settings changed while loading: the newer load wins
            return
        gpu = models.gpu_memory_mb() if loaded.device == "cuda" else None
        limit = self.options.plugin.max_vram_gb if self.options else 0
        if gpu is not None and limit and gpu / 1024 > limit:
            log.warning("GPU memory in use %.1f GB exceeds user.whisper_max_vram_gb (%.1f)", gpu / 1024, limit)
        self.model = loaded
        self.loading = None
        self.model_ready.set()
        on_main(self._model_loaded)

    def _model_loaded(self) -> None:
        model = self.model
        if model is None:
            return
        if model.fallback_reason and not self.fallback_told:
            self.fallback_told = True
            self._notify(
                "Whisper runs on the CPU",
                f"CUDA failed ({model.fallback_reason[:160]}). Using {model.name} on the CPU: slower.",
            )
        self._update_state()

    # -- speech thread -------------------------------------------------------------------------

    def heard(self, samples: Any) -> None:
        """A phrase's audio while listening: queue it, return at once.

        When more speech waits than user.whisper_max_backlog allows, dictation stops (the user
        is told): what was heard is still typed, and nothing new piles up.
        """
        self.last_speech = time.monotonic()
        seconds = len(samples) / 16_000 if hasattr(samples, "__len__") else 0.0
        holder = runtime()
        self.heard_count += 1
        holder.queue.put(Heard(samples, time.perf_counter(), self.dictation, seconds, self.heard_count))
        limit = self.options.plugin.max_backlog if self.options else 0
        if limit and self.listening and backlog_seconds(holder.queue) > limit:
            on_main(self._backlog_full)
        on_main(self._update_state)

    def _backlog_full(self) -> None:
        if not self.listening:
            return
        behind = backlog_seconds(runtime().queue)
        self._notify("Whisper is behind", f"{behind:.0f} s of speech are waiting: dictation stopped so Whisper can "
                     "catch up. Everything you said will still be typed.")
        self.stop()

    # -- worker thread -------------------------------------------------------------------------

    def process(self, item: Heard) -> None:
        """Transcribe one phrase and hand its text to the main thread."""
        while True:
            if not self._wait_for_model(item):
                return
            model, options = self.model, self.options
            if model is None or options is None:
                return
            on_main(lambda: self._set_state("transcribing"))
            decode = self.decode_options(options.decode)
            spoken = self._heard_with(item, decode, options.plugin.join_pause)
            prompt = self.typist.context(item.dictation, self.context_since, spoken.number if spoken else None)
            try:
                self.processing = True
                result = transcribe(model, item.samples, decode, prompt=prompt,
                                    previous=spoken.previous if spoken else None)
                break
            except ModelError as error:
                if model.whisper is None or self.model is not model:
                    continue  # the model was replaced under the phrase: wait for the new one
                self._failed(item, error)
                return
            except Exception as error:  # AudioError, EngineError or a bug: the phrase is kept
                if model.whisper is None or self.model is not model:
                    # released under the phrase (ctranslate2 then says "No model replica is
                    # available"): wait for the model that replaced it, as for a ModelError
                    continue
                if model.device == "cuda" and looks_like_cuda_failure(error):
                    reason = f"{type(error).__name__}: {error}"
                    on_main(lambda: self._cuda_failed(model, reason))
                    self.model_ready.clear()
                    continue  # this phrase waits for the CPU model
                self._failed(item, error)
                return
            finally:
                self.processing = False
        command = self._command(result, item, model, decode)
        if command is not None:
            log.info("Whisper heard %r: %s", result.text, command)
            on_main(lambda: self.undo() if command == "undo" else self.stop(cancel=command == "cancel"))
            return
        if result.boundary is not None:
            item.after = spoken.number if spoken else 0
        if result.text:
            self._remember(item, result, decode.hotwords)
            result.text = replace_words(result.text, self.lists.entries("replacements"))
            if options.plugin.spoken_punctuation:
                said = result.text
                result.text = spoken_punctuation(result.text)
                if result.text != said:
                    self.spoken = None  # a punctuation command: no sentence to go on with
                    if result.text in tuple(SENTENCE_MARKS):  # "virgule" alone: the mark ends the phrase before
                        result.boundary, result.text, item.after = result.text, "", ANY_HELD
            if result.language_probability >= 0.6:
                self.sticky_language = result.language
            self.last_transcript = result.text
            if self.history is not None:  # before typing: a failed insert loses nothing
                self.history.append({"text": result.text, "language": result.language,
                                     "seconds": round(result.audio_seconds, 2), "dictation": item.dictation})
        on_main(lambda: self._type(item, result))

    def _command(self, result: Transcript, item: Heard, model: models.LoadedModel,
                 decode: DecodeOptions) -> Optional[str]:
        """The stop words, if this phrase was them (worker thread).

        Context and the previous phrase steer Whisper towards the dictated text: after a French
        sentence, base hears "whisper stop" as "Whistler stop" (measured). A short text close to
        a command is heard again without them, and only an exact command counts.
        """
        said = normalise(result.text)
        if said in COMMANDS or not said or len(said.split()) > 4:
            return COMMANDS.get(said)
        if max(difflib.SequenceMatcher(None, said, command).ratio() for command in COMMANDS) < 0.6:
            return None
        try:
            alone = transcribe(model, item.samples, decode)
        except Exception:  # the first result stands
            return None
        return COMMANDS.get(normalise(alone.text))

    def _heard_with(self, item: Heard, decode: DecodeOptions, join_pause: float) -> Optional[Spoken]:
        """The phrase to hear again with `item`: the last one typed, if it said this dictation's
        last words a short pause before (worker thread)."""
        spoken = self.spoken
        if spoken is None or spoken.dictation != item.dictation:
            return None
        if spoken.hotwords != decode.hotwords:  # the vocabulary changed: older text would fight it
            self.context_since = item.number
            self.spoken = None
            return None
        pause = item.received - item.seconds - spoken.ended
        return spoken if 0 < join_pause and pause <= join_pause else None

    def _remember(self, item: Heard, result: Transcript, hotwords: Optional[str]) -> None:
        """Keep this phrase for the next one to be heard with, unless Whisper was unsure of it
        (worker thread)."""
        if result.avg_logprob < CONTEXT_LOGPROB:
            self.context_since = item.number + 1
            self.spoken = None
            return
        try:
            samples = load_audio(item.samples)
        except Exception:  # transcribe took it; this cannot fail, but a phrase is never lost for it
            self.spoken = None
            return
        self.spoken = Spoken(item.dictation, item.number, item.received,
                             Previous(samples, result.text, result.language), hotwords)

    def decode_options(self, decode: DecodeOptions) -> DecodeOptions:
        """The settings' decoding options with the spoken language choice and the kept language."""
        language = decode.language
        if self.language_override is not None:
            language = None if self.language_override == "auto" else self.language_override
        return replace(decode, language=language, preferred_language=self.sticky_language if language is None else None,
                       hotwords=self.lists.hotwords(decode.hotwords))

    def _cuda_failed(self, model: models.LoadedModel, reason: str) -> None:
        """CUDA broke mid-session: the CPU fallback model takes over; the user is told once."""
        if self.cuda_broken is None:
            self.cuda_broken = reason
            self._notify("Whisper runs on the CPU",
                         f"CUDA failed during dictation ({reason[:160]}). Switched to {model.spec.cpu_fallback_model} "
                         "on the CPU; the phrase in flight is kept.")
        if self.model is model:
            self.model = None
        self.ensure_model(cpu_fallback(model.spec))

    def _wait_for_model(self, item: Heard) -> bool:
        """Phrases spoken while the model loads wait here; False if cancelled or exiting meanwhile."""
        while not self.model_ready.wait(0.2):
            if item.dictation in self.cancelled or runtime().exiting.is_set():
                return False
        return item.dictation not in self.cancelled and not runtime().exiting.is_set()

    def _failed(self, item: Heard, error: BaseException) -> None:
        self.stats.record_error()
        self.failed.append(Failed(item, str(error)))
        log.error("superwhisper2: phrase of %.1f s failed (%s: %s); kept for `whisper retry`",
                  item.seconds, type(error).__name__, error)
        on_main(lambda: self._tell_error("A phrase could not be transcribed", f"{error}. Say 'whisper retry' to try again."))

    # -- main thread: results ------------------------------------------------------------------

    def _type(self, item: Heard, result: Transcript) -> None:
        if item.dictation in self.cancelled:
            return
        plugin = self.options.plugin if self.options else None
        french = bool(plugin and plugin.french_spacing) and result.language == "fr"
        self.typist.type(Phrase(
            item.dictation, item.number, result.text, lambda typed, error: self._typed(item, result, typed, error),
            french, boundary=result.boundary, after=item.after,
            hold=bool(plugin and plugin.join_pause > 0),
        ))

    def undo(self) -> None:
        """Remove the last phrase typed (main thread)."""
        self.spoken = None
        if not self.typist.undo():
            self._notify("Nothing to undo", "No phrase typed by Whisper to remove.")

    def paste_last(self) -> None:
        """Type the last transcription again (main thread)."""
        if self.last_transcript:
            self.spoken = None
            self.typist.close()
            self.typist.type(Phrase(self.typist.dictation, 0, self.last_transcript, lambda typed, error: None))

    def set_language(self, name: str) -> None:
        """"whisper language french/english/auto" (main thread)."""
        self.language_override = LANGUAGES.get(name.lower(), name.lower())
        self.sticky_language = None
        self.spoken = None
        log.info("language set by voice: %s", self.language_override)

    def _typed(self, item: Heard, result: Transcript, typed: str, error: Optional[BaseException] = None) -> None:
        if error is not None:
            self.stats.record_error()
            self._tell_error("Could not type the text",
                             f"{error}. It is kept in the history: say 'whisper paste last' to type it again.")
            return
        latency = time.perf_counter() - item.received
        self.stats.record(latency, result.audio_seconds, result.timings)
        stages = " ".join(f"{stage} {seconds * 1000:.0f}" for stage, seconds in result.timings.items())
        log.info("phrase %.1f s -> %d chars in %.0f ms (%s ms) window %.0f s%s: %r", result.audio_seconds,
                 len(typed), latency * 1000, stages, result.window_seconds,
                 " (retried full)" if result.full_window_retry else "", result.text[:60])
        self.recent.append({
            "text": typed.strip(), "language": result.language, "audio_seconds": round(result.audio_seconds, 3),
            "latency_ms": round(latency * 1000, 1), "dropped": result.dropped, "window_seconds": result.window_seconds,
            "full_window_retry": result.full_window_retry,
            "stages_ms": {stage: round(seconds * 1000, 1) for stage, seconds in result.timings.items()},
        })
        limit = self.options.plugin.max_latency_ms if self.options else 0
        if limit and latency * 1000 > limit:
            log.warning("phrase took %.0f ms, over user.whisper_max_latency_ms (%d)", latency * 1000, limit)
        if typed:
            self.status.last_text = result.text
            self.status.last_latency_ms = round(latency * 1000)
            self.status.language = result.language
        self._update_state()

    # -- state and feedback (main thread) ------------------------------------------------------

    def _update_state(self) -> None:
        queue_ = runtime().queue
        backlog = queue_.qsize()
        self.status.backlog_seconds = backlog_seconds(queue_)
        if self.model_error:
            state = "error"
        elif self.loading is not None or (self.listening and self.model is None):
            state = "loading"
        elif self.typist.pending():
            state = "typing"  # text waits for the hotkey's modifiers to be released
        elif backlog:
            state = "transcribing"
        elif self.listening:
            state = "listening"
        else:
            state = "idle"
        self._set_state(state, self.model_error or ("Loading model…" if state == "loading" else ""))

    def _set_state(self, state: str, detail: str = "") -> None:
        self.status.state = state
        self.status.detail = detail
        if self.model is not None:
            self.status.model, self.status.device = self.model.name, f"{self.model.device} {self.model.compute_type}"
        self.status.figures = self.stats.summary()
        self.on_status()

    def _tell_error(self, title: str, message: str) -> None:
        self._notify(title, message)
        self._update_state()

    def _notify(self, title: str, body: str) -> None:
        log.warning("%s: %s", title, body)
        app.notify(title=f"superwhisper2: {title}", body=body)

    def finished(self) -> int:
        """Phrases done so far (typed, dropped as silence, or failed): only ever grows."""
        return self.stats.count + self.stats.errors

    def describe(self) -> Dict[str, Any]:
        """Everything `whisper status` shows."""
        described = models.describe(self.model) if self.model is not None else {"model": None}
        return {"state": self.status.state, "listening": self.listening, **described,
                "language": self.status.language, "failed": len(self.failed), **self.stats.summary()}


def backlog_seconds(waiting: "queue.Queue[Any]") -> float:
    """Seconds of speech queued for Whisper."""
    with waiting.mutex:
        return sum(item.seconds for item in waiting.queue if item is not None)


def cpu_fallback(spec: models.ModelSpec) -> models.ModelSpec:
    """The spec the CPU fallback model loads with."""
    return models.ModelSpec(model=spec.cpu_fallback_model, model_dir=spec.model_dir, device="cpu",
                            compute_type="auto", cpu_fallback_model=spec.cpu_fallback_model,
                            cpu_threads=spec.cpu_threads)


def looks_like_cuda_failure(error: BaseException) -> bool:
    """ctranslate2 reports CUDA trouble as RuntimeError naming CUDA or cuBLAS."""
    text = f"{type(error).__name__} {error}".lower()
    return any(word in text for word in ("cuda", "cublas", "cudnn", "out of memory"))


def _mode_active(mode: str) -> bool:
    """Whether a Talon mode is on. Talon exposes no public query, so ask the scope if present."""
    try:
        from talon import scope

        return mode in scope.get("mode")
    except Exception:
        return mode == "command"
