"""Find, load, warm up and share one Whisper model per process.

The model lives in a holder kept in `sys.modules`, outside the plugin's own modules, so a
reload of the plugin's files (Talon re-runs them from the top) finds it instead of loading
a second copy. CUDA is prepared (Windows DLL folders) and exercised by a warm-up right
after loading, so a broken set-up fails at start-up and falls back to the CPU once.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from .device import (  # noqa: F401  (the device choices are part of this module's interface)
    COMPUTE_TYPES, DEVICES, NO_WINDOW, NVIDIA_DLL_SUBDIRS, choose_compute_type, choose_device, cpu_threads,
    cuda_dll_folders, gpu_memory_mb, prepare_cuda_dll_path, process_memory_mb,
)
from .download import ProgressCallback, download_model as fetch_model
from .errors import ModelError, ModelFileError

log = logging.getLogger("superwhisper2")

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")

@dataclass(frozen=True)
class ModelSpec:
    """What the user asked for; settings map onto this one to one."""

    model: str = "large-v3-turbo"
    model_dir: Optional[str] = None
    device: str = "auto"
    compute_type: str = "auto"
    cpu_fallback_model: str = "base"
    cpu_threads: int = 0  # 0: half the cores (measured: one thread decodes short phrases fastest on 2 cores)
    local_only: bool = False  # never download: only folders and models already in model_dir


@dataclass
class LoadedModel:
    """A loaded, warmed-up model and what it cost."""

    whisper: Any  # faster_whisper.WhisperModel
    spec: ModelSpec
    path: str
    device: str
    compute_type: str
    load_seconds: float
    warmup_seconds: float
    memory_mb: Optional[float]
    fallback_reason: Optional[str] = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def released(self) -> bool:
        """Freed (release()): a phrase that held it must wait for the model that replaces it."""
        return self.whisper is None

    def running(self) -> Any:
        """The WhisperModel, or ModelError when it was released under a phrase."""
        whisper = self.whisper
        if whisper is None:
            raise ModelError("the model was released while a phrase was waiting for it")
        return whisper

    @property
    def multilingual(self) -> bool:
        return bool(self.running().model.is_multilingual)

    @property
    def name(self) -> str:
        return self.spec.model if self.fallback_reason is None else self.spec.cpu_fallback_model


def _holder() -> types.ModuleType:
    """Process-wide state that survives reloads of the plugin's modules."""
    key = "superwhisper2_models"
    holder = sys.modules.get(key)
    if holder is None:
        holder = types.ModuleType(key, "superwhisper2's process-wide model registry")
        holder.models = {}  # type: ignore[attr-defined]
        holder.lock = threading.RLock()  # type: ignore[attr-defined]
        holder.loads = 0  # type: ignore[attr-defined]
        sys.modules[key] = holder
    return holder


def loaded_models() -> List[LoadedModel]:
    """Every model this process holds (one, normally)."""
    return list(_holder().models.values())


def load_count() -> int:
    """How many times a model was actually loaded from disk in this process."""
    return int(_holder().loads)


def get_model(spec: ModelSpec, warmup: bool = True, *, progress: Optional[ProgressCallback] = None) -> LoadedModel:
    """The shared model for `spec`, loading it (and releasing any other) when needed; `progress` hears
    of a first download (engine/download.py)."""
    holder = _holder()
    with holder.lock:
        current = holder.models.get(spec)
        if current is not None and not current.released:
            return current
        path = resolve_model_path(spec, progress=progress)  # a wrong name, or the download, before the model in use goes
        for other in list(holder.models):
            release(holder.models.pop(other))
        loaded = load_model(spec, warmup, progress=progress, path=path)
        holder.loads += 1
        holder.models[spec] = loaded
        return loaded


def release_all(wait: Optional[float] = None) -> None:
    """Unload every model (Talon is exiting, or the user asked). With `wait`, give up after
    that many seconds on a model busy loading or transcribing: exiting must not hang on it."""
    holder = _holder()
    if not holder.lock.acquire(timeout=-1 if wait is None else wait):
        log.info("a model is still loading: left to the process's exit")
        return
    try:
        for spec in list(holder.models):
            release(holder.models.pop(spec), wait)
    finally:
        holder.lock.release()


def release(loaded: LoadedModel, wait: Optional[float] = None) -> None:
    """Free the model's memory (GPU memory included) now, not whenever GC runs."""
    if not loaded.lock.acquire(timeout=-1 if wait is None else wait):
        log.info("the model is busy transcribing: left to the process's exit")
        loaded.whisper = None
        return
    try:
        model = getattr(loaded.whisper, "model", None)
        if model is not None and hasattr(model, "unload_model"):
            try:
                model.unload_model()
            except Exception:  # already unloaded or half-built: nothing left to free
                log.debug("unload_model failed", exc_info=True)
        loaded.whisper = None
    finally:
        loaded.lock.release()
    gc.collect()


def resolve_model_path(spec: ModelSpec, model_name: Optional[str] = None, *,
                       progress: Optional[ProgressCallback] = None) -> str:
    """The folder holding the model: a local folder as given, or a named model in model_dir.

    A named model already present is used with `local_files_only`, so start-up never waits
    on the network; otherwise (or if a failed download left it incomplete) it is downloaded,
    telling `progress`, unless `spec.local_only`. Download failures are DownloadErrors.
    """
    name = (model_name or spec.model).strip()
    if not name:
        raise ModelFileError("user.whisper_model is empty: set it to a model name such as large-v3-turbo, or to a folder")
    if _looks_like_path(name):
        return check_model_folder(os.path.abspath(os.path.expanduser(name)))
    from faster_whisper.utils import available_models, download_model

    if "/" not in name and name not in available_models():
        raise ModelFileError(
            f"unknown model name '{name}' in user.whisper_model: use one of "
            f"{', '.join(available_models())}, a Hugging Face id (owner/name) or a model folder"
        )
    cache_dir = os.path.expanduser(spec.model_dir) if spec.model_dir else None
    try:
        return check_model_folder(download_model(name, local_files_only=True, cache_dir=cache_dir))
    except ModelError:
        if spec.local_only:
            raise
    except Exception as missing:
        if spec.local_only:
            raise ModelFileError(
                f"model '{name}' is not in the model folder {cache_dir or 'the Hugging Face cache'}: "
                f"run `python tools/install.py --model {name}` on a connected machine"
            ) from missing
    return check_model_folder(fetch_model(name, cache_dir=cache_dir, progress=progress))


def check_model_folder(path: str) -> str:
    """`path` if it holds a CTranslate2 Whisper model, else a ModelError naming it."""
    if not os.path.isdir(path):
        raise ModelFileError(
            f"model folder {path} does not exist: set user.whisper_model to a model name "
            f"(large-v3-turbo, base...) or to a folder holding {', '.join(MODEL_FILES)}"
        )
    missing = [name for name in MODEL_FILES if not os.path.isfile(os.path.join(path, name))]
    if missing:
        raise ModelFileError(
            f"model folder {path} lacks {', '.join(missing)}: it is not a CTranslate2 Whisper model; "
            f"download it again (tools/install.py --model NAME) or point user.whisper_model elsewhere"
        )
    return path


def _looks_like_path(name: str) -> bool:
    return os.path.isabs(name) or name.startswith((".", "~")) or os.sep in name or (
        os.altsep is not None and os.altsep in name and os.path.exists(name)
    ) or os.path.isdir(name)


def load_model(spec: ModelSpec, warmup: bool = True, *, progress: Optional[ProgressCallback] = None,
               path: Optional[str] = None) -> LoadedModel:
    """Load `spec` now, unshared (get_model shares): CUDA first when asked, else the CPU fallback.
    `path`: the folder of `spec.model` when the caller already resolved it."""
    import ctranslate2

    device = choose_device(spec.device, ctranslate2.get_cuda_device_count)
    compute_type = choose_compute_type(spec.compute_type, device)
    if device == "cpu":
        return _load(spec, spec.model, "cpu", compute_type, warmup, progress=progress, path=path)
    prepare_cuda_dll_path()
    try:
        return _load(spec, spec.model, "cuda", compute_type, warmup, progress=progress, path=path)
    except ModelFileError:
        raise
    except ModelError as error:
        reason = str(error)
    cpu_type = choose_compute_type("auto", "cpu")
    log.warning("CUDA failed (%s); falling back to %s on the CPU (%s)", reason, spec.cpu_fallback_model, cpu_type)
    loaded = _load(spec, spec.cpu_fallback_model, "cpu", cpu_type, warmup, progress=progress)
    loaded.fallback_reason = reason
    return loaded


def _load(spec: ModelSpec, name: str, device: str, compute_type: str, warmup: bool, *,
          progress: Optional[ProgressCallback] = None, path: Optional[str] = None) -> LoadedModel:
    path = path or resolve_model_path(spec, name, progress=progress)
    from faster_whisper import WhisperModel

    before = process_memory_mb()
    started = time.perf_counter()
    try:
        whisper = WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads(spec.cpu_threads))
    except Exception as error:
        if device == "cpu" or _looks_corrupt(error):
            raise ModelFileError(
                f"could not load the model in {path} on {device} ({compute_type}): {error}. "
                f"The folder may be corrupt or incomplete: download the model again or choose another"
            ) from error
        raise ModelError(f"could not load the model on {device} ({compute_type}): {error}") from error
    load_seconds = time.perf_counter() - started
    warmup_seconds = 0.0
    if warmup:
        started = time.perf_counter()
        try:
            warm_up(whisper)
        except Exception as error:
            raise ModelError(f"model {path} loaded on {device} but failed its first transcription: {error}") from error
        warmup_seconds = time.perf_counter() - started
    after = process_memory_mb()
    memory = None if before is None or after is None else max(0.0, after - before)
    log.info(
        "model %s on %s (%s): loaded in %.2f s, warmed up in %.2f s, +%s MB",
        path, device, compute_type, load_seconds, warmup_seconds, "?" if memory is None else f"{memory:.0f}",
    )
    return LoadedModel(whisper, spec, path, device, compute_type, load_seconds, warmup_seconds, memory)


def _looks_corrupt(error: BaseException) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("unable to open", "corrupt", "parse", "config", "invalid", "read"))


def warm_up(whisper: Any) -> None:
    """One tiny encode + decode: makes CUDA (cuBLAS) fail now rather than on the first phrase."""
    import ctranslate2

    features = np.zeros((1, whisper.model.n_mels, 200), dtype=np.float32)
    encoded = whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)
    tokenizer = whisper.hf_tokenizer
    start = tokenizer.token_to_id("<|startoftranscript|>")
    whisper.model.generate(encoded, [[start]], max_length=4, beam_size=1)


def describe(loaded: LoadedModel) -> Dict[str, Any]:
    """A plain summary for logs, the overlay and the doctor."""
    return {
        "model": loaded.name,
        "path": loaded.path,
        "device": loaded.device,
        "compute_type": loaded.compute_type,
        "load_seconds": round(loaded.load_seconds, 3),
        "warmup_seconds": round(loaded.warmup_seconds, 3),
        "memory_mb": None if loaded.memory_mb is None else round(loaded.memory_mb, 1),
        "fallback_reason": loaded.fallback_reason,
    }
