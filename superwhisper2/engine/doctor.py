"""What works and what does not, in plain words, each failure with the one thing to do next.

Used by tools/doctor.py (a terminal) and by "whisper doctor" inside Talon (the log and a
notification). Checks run in order and stop being useful once a package is missing, so each
check says whether it passed and the report's `ok` is the conjunction.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

from .models import LoadedModel, ModelSpec

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")
PACKAGES = ("faster_whisper", "ctranslate2", "numpy", "onnxruntime", "tokenizers", "av", "huggingface_hub")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    next_step: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"[{mark}] {self.name}: {self.detail}" + ("" if self.ok else f"\n       -> {self.next_step}")


@dataclass
class Report:
    checks: List[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def text(self) -> str:
        return "\n".join(check.line() for check in self.checks)

    def summary(self) -> str:
        failed = [check for check in self.checks if not check.ok]
        if not failed:
            return "Everything works."
        return f"{len(failed)} problem(s); first: {failed[0].name}: {failed[0].next_step}"


def diagnose(spec: ModelSpec, language: str = "fr", talon_home: Optional[str] = None,
             user_folder: Optional[str] = None, model: Optional[LoadedModel] = None) -> Report:
    """Run every check. `model`: the one already loaded for `spec` (checked as it is, never
    released); without it a fresh, unshared one is loaded and freed afterwards."""
    report = Report()
    report.add(Check("Python", True, f"{sys.version.split()[0]} at {sys.executable}"))
    for name, folder in (("Talon home", talon_home), ("Talon user folder", user_folder)):
        if folder is not None:  # information only: the engine can be checked without Talon
            present = os.path.isdir(folder)
            report.add(Check(name, True, folder + ("" if present else " (not found: fine outside Talon)")))
    missing = _packages(report)
    if missing:
        return report
    _cuda(report)
    _model_folder(report, spec)
    _transcribe_sample(report, spec, language, model)
    return report


def _packages(report: Report) -> List[str]:
    from .guard import quiet_onnxruntime

    quiet_onnxruntime()  # importing onnxruntime below must write nothing
    missing = []
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
        except Exception as error:
            missing.append(name)
            report.add(Check(f"package {name}", False, f"cannot be imported ({error})",
                             "run tools/install.py with Talon's Python (see README), then restart Talon"))
            continue
        version = getattr(module, "__version__", "?")
        where = os.path.dirname(getattr(module, "__file__", "") or "?")
        report.add(Check(f"package {name}", True, f"{version} from {where}"))
    return missing


def _cuda(report: Report) -> None:
    import ctranslate2

    from .models import prepare_cuda_dll_path

    try:
        count = ctranslate2.get_cuda_device_count()
    except Exception as error:
        count, note = 0, f" ({error})"
    else:
        note = ""
    if count == 0:
        report.add(Check("CUDA devices", True, f"none seen{note}: Whisper runs on the CPU (slower)"))
        return
    report.add(Check("CUDA devices", True, f"{count} seen"))
    folders = prepare_cuda_dll_path()
    name = "cublas64_12.dll" if sys.platform.startswith("win") else "libcublas.so.12"
    try:
        ctypes.CDLL(name)
        report.add(Check("cuBLAS 12", True, f"{name} loads" + (f" (from {', '.join(folders)})" if folders else "")))
    except OSError as error:
        report.add(Check("cuBLAS 12", False, f"{name} does not load ({error})",
                         "run tools/install.py --cuda yes (installs nvidia-cublas-cu12), then restart Talon"))


def _model_folder(report: Report, spec: ModelSpec) -> None:
    folder = os.path.expanduser(spec.model_dir) if spec.model_dir else _hf_cache()
    present = sorted(name[len("models--"):].replace("--", "/") for name in _listdir(folder) if name.startswith("models--"))
    report.add(Check("model folder", True, f"{folder}: " + (", ".join(present) if present else "no downloaded models")))


def _hf_cache() -> str:
    try:
        from huggingface_hub.constants import HF_HUB_CACHE

        return str(HF_HUB_CACHE)
    except Exception:
        return os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub")


def _listdir(folder: str) -> List[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _transcribe_sample(report: Report, spec: ModelSpec, language: str, given: Optional[LoadedModel]) -> None:
    from . import models
    from .errors import EngineError
    from .guard import normalise
    from .transcriber import DecodeOptions, transcribe

    started = time.perf_counter()
    try:
        loaded = given or models.load_model(spec)
    except EngineError as error:
        report.add(Check("model", False, str(error), _model_next_step(spec)))
        return
    except Exception as error:
        report.add(Check("model", False, f"{type(error).__name__}: {error}", _model_next_step(spec)))
        return
    load_seconds = loaded.load_seconds if given is not None else time.perf_counter() - started  # given: the dictation's
    where = f"{loaded.device} {loaded.compute_type}" + (f" (CUDA failed: {loaded.fallback_reason})" if loaded.fallback_reason else "")
    report.add(Check("model", True, f"{loaded.path} on {where}, loaded in {load_seconds:.1f} s"))
    if loaded.fallback_reason and spec.device in ("auto", "cuda"):
        # a GPU user whose model silently fell back to the CPU waits seconds per phrase
        report.add(Check("GPU", False, f"a CUDA device is there but the model runs on the CPU ({loaded.fallback_reason})",
                         "run tools/install.py --cuda yes (cuBLAS 12), then restart Talon; see README, Troubleshooting"))
    try:
        samples = _samples()
        code = language if loaded.multilingual and language in samples else ("fr" if loaded.multilingual else "en")
        sample = samples[code]
        result = transcribe(loaded, os.path.join(SAMPLES, sample["file"]), DecodeOptions(language=code))
        expected, heard = normalise(sample["text"]).split(), normalise(result.text).split()
        matched = sum(1 for word in heard if word in expected) / max(1, len(expected))
        stages = ", ".join(f"{stage} {seconds * 1000:.0f}" for stage, seconds in result.timings.items() if stage != "total")
        report.add(Check(
            "transcription", matched >= 0.8,
            f"heard {result.text!r} in {result.timings['total'] * 1000:.0f} ms ({result.audio_seconds:.1f} s of {code} "
            f"audio on {loaded.device}; ms per stage: {stages})",
            "the model runs but mishears: try a larger model (user.whisper_model) or compute type float16/int8_float16",
        ))
    finally:
        if given is None:
            models.release(loaded)  # the doctor's own copy, never the dictation's


def _model_next_step(spec: ModelSpec) -> str:
    return (f"check user.whisper_model ({spec.model}) and user.whisper_model_dir; "
            f"`tools/install.py --model NAME` downloads a named model")


def _samples() -> dict:
    with open(os.path.join(SAMPLES, "samples.json"), encoding="utf-8") as handle:
        return {key: value for key, value in json.load(handle).items() if not key.startswith("_")}
