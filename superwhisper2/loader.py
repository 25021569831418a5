"""The model the session transcribes with: loaded in the background, switched when the
settings name another, moved to the CPU fallback when CUDA fails, and loaded again when it
went away under a phrase. One job, one module.

Threads: `ensure` runs on Talon's main thread and starts a loader thread; the worker waits
for the model; what the user must be told goes through `tell` (the session hands it to the
main thread).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

from .engine import models
from .engine.errors import EngineError
from .holder import holder, register
from .runtime import on_main
from .status import notify

log = logging.getLogger("superwhisper2")

LOADER_NAME = "superwhisper2-loader"


@register
class ModelKeeper:
    """Which model is loaded, loading or failed, and whether CUDA broke this session."""

    def __init__(self, tell: Callable[[str, str], Any] = lambda title, body: None,
                 changed: Callable[[], Any] = lambda: None) -> None:
        self.tell = tell  # main thread: notify the user
        self.changed = changed  # main thread: the state to show changed
        self.model: Optional[models.LoadedModel] = None
        self.error: Optional[str] = None
        self.loading: Optional[models.ModelSpec] = None
        self.failed_spec: Optional[models.ModelSpec] = None  # retried on the hotkey or a changed setting
        self.cuda_broken: Optional[str] = None  # CUDA failed mid-session: the CPU fallback serves
        self.fallback_told = False
        self.ready = threading.Event()
        self.max_vram_gb = 0.0
        self.download: Optional[Any] = None  # engine.download.DownloadProgress while a model downloads

    def wanted(self, spec: models.ModelSpec) -> models.ModelSpec:
        """`spec`, or its CPU fallback once CUDA has failed this session."""
        return cpu_fallback(spec) if self.cuda_broken and spec.device != "cpu" else spec

    def ensure(self, spec: models.ModelSpec, retry: bool = False) -> None:
        """Load `spec` in the background unless it is loaded or loading; a spec that failed is
        tried again only with `retry` (the user pressed the hotkey)."""
        spec = self.wanted(spec)
        if not retry and spec == self.failed_spec:
            return
        if self.model is not None and self.model.spec == spec and not self.model.released:
            return
        if self.loading == spec:
            return
        self.loading = spec
        self.failed_spec = None
        self.error = None
        self.ready.clear()
        self.changed()
        threading.Thread(target=self._load, args=(spec,), name=LOADER_NAME, daemon=True).start()

    def _load(self, spec: models.ModelSpec) -> None:
        """Loader thread."""
        try:
            from .engine import guard

            loaded = models.get_model(spec, progress=lambda progress: self._downloading(spec, progress))
            guard.load_vad()
        except Exception as error:
            self.download = None
            message = str(error) if isinstance(error, EngineError) else f"{type(error).__name__}: {error}"
            log.error("superwhisper2: the model could not be loaded: %s", message)
            if self.loading == spec:
                self.loading, self.failed_spec, self.error, self.model = None, spec, message, None
                on_main(lambda: self.tell("Whisper model not loaded", message))
            return
        self.download = None
        if self.loading != spec:  # the settings changed while loading: the newer load wins
            return
        gpu = models.gpu_memory_mb() if loaded.device == "cuda" else None
        if gpu is not None and self.max_vram_gb and gpu / 1024 > self.max_vram_gb:
            log.warning("GPU memory in use %.1f GB exceeds user.whisper_max_vram_gb (%.1f)", gpu / 1024, self.max_vram_gb)
        self.model, self.loading = loaded, None
        self.ready.set()
        on_main(self._loaded)

    def _downloading(self, spec: models.ModelSpec, progress: Any) -> None:
        """Loader thread, at least once a second while a named model downloads: shown as it goes."""
        if self.loading == spec:
            self.download = progress
            on_main(self.changed)

    def detail(self) -> str:
        """What the user should read beside the state: the error, or the download's progress."""
        if self.error:
            return self.error
        download = self.download
        return download.text() if download is not None and self.loading is not None else ""

    def _loaded(self) -> None:
        model = self.model
        if model is not None and model.fallback_reason and not self.fallback_told:
            self.fallback_told = True
            self.tell("Whisper runs on the CPU",
                      f"CUDA failed ({model.fallback_reason[:160]}). Using {model.name} on the CPU: slower.")
        self.changed()

    def wait(self, give_up: Callable[[], bool]) -> Optional[models.LoadedModel]:
        """Worker thread: the model once there is one; None if `give_up()` turns true meanwhile."""
        while True:
            while not self.ready.wait(0.2):
                if give_up():
                    return None
            model = self.model
            if give_up():
                return None
            if model is not None and not model.released:
                return model
            self.lost(model)

    def lost(self, model: Optional[models.LoadedModel]) -> bool:
        """Worker thread: True when `model` went away under a phrase (released or replaced), which
        then waits for the next one. A model released while still ours is loaded again."""
        if model is not None and not model.released and self.model is model:
            return False
        if self.model is model and self.loading is None:  # released while ours, no load under way: again
            self.ready.clear()
            self.model = None
            spec = model.spec if model is not None else None
            if spec is not None and not holder().exiting.is_set():
                on_main(lambda: self.ensure(spec, retry=True))
        return True

    def cuda_failed(self, model: models.LoadedModel, error: BaseException) -> bool:
        """Worker thread: True when `error` is CUDA breaking mid-session; the CPU fallback then
        loads (main thread) and the phrase waits for it."""
        if model.device != "cuda" or not looks_like_cuda_failure(error):
            return False
        reason = f"{type(error).__name__}: {error}"
        self.ready.clear()
        on_main(lambda: self._switch_to_cpu(model, reason))
        return True

    def _switch_to_cpu(self, model: models.LoadedModel, reason: str) -> None:
        if self.cuda_broken is None:
            self.cuda_broken = reason
            self.tell("Whisper runs on the CPU",
                      f"CUDA failed during dictation ({reason[:160]}). Switched to {model.spec.cpu_fallback_model} "
                      "on the CPU; the phrase in flight is kept.")
        if self.model is model:
            self.model = None
        self.ensure(cpu_fallback(model.spec))

    def state(self) -> Optional[str]:
        """"error" or "loading" while that is what the user should see."""
        if self.error:
            return "error"
        return "loading" if self.loading is not None else None

    def describe(self) -> dict:
        """The model part of `whisper status`."""
        return models.describe(self.model) if self.model is not None else {"model": None}

    def doctor(self, spec: models.ModelSpec, language: str) -> None:
        """`whisper doctor`, on a thread of its own; the report goes to Talon's log, a summary is
        shown. The model a dictation uses is checked as it is when it is the one asked for, never
        released or replaced; another is loaded apart and freed."""
        current = self.model

        def check() -> None:
            from .engine.doctor import diagnose

            mine = current if current is not None and current.spec == spec and not current.fallback_reason else None
            try:
                report = diagnose(spec, language=language, model=mine)
            except Exception as error:  # the model went away mid-check, a device fault...
                log.exception("superwhisper2 doctor: the checks stopped")
                reason = f"{type(error).__name__}: {error}"
                on_main(lambda: notify("doctor", f"The checks stopped ({reason}); see Talon's log."))
                return
            log.info("superwhisper2 doctor:\n%s", report.text())
            on_main(lambda: notify("doctor", report.summary()))

        threading.Thread(target=check, name="superwhisper2-doctor", daemon=True).start()


def cpu_fallback(spec: models.ModelSpec) -> models.ModelSpec:
    """The spec the CPU fallback model loads with."""
    return models.ModelSpec(model=spec.cpu_fallback_model, model_dir=spec.model_dir, device="cpu",
                            compute_type="auto", cpu_fallback_model=spec.cpu_fallback_model,
                            cpu_threads=spec.cpu_threads)


def looks_like_cuda_failure(error: BaseException) -> bool:
    """ctranslate2 reports CUDA trouble as RuntimeError naming CUDA or cuBLAS."""
    text = f"{type(error).__name__} {error}".lower()
    return any(word in text for word in ("cuda", "cublas", "cudnn", "out of memory"))
