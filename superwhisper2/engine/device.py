"""Where the model runs: the device and compute type, CUDA's DLLs on Windows, threads, memory.

Kept apart from model loading (models.py) so that each stays one job: this module knows the
machine, models.py knows the model.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Callable, List, MutableMapping, Optional

from .errors import ModelError

log = logging.getLogger("superwhisper2")

DEVICES = ("auto", "cuda", "cpu")
# subprocess.CREATE_NO_WINDOW: Talon is a GUI process, a console would flash at every model load
NO_WINDOW = 0x08000000 if sys.platform == "win32" else 0
COMPUTE_TYPES = ("auto", "default", "float16", "bfloat16", "float32", "int8", "int8_float16",
                 "int8_bfloat16", "int8_float32", "int16")
# The `bin` folders that pip's NVIDIA wheels install under site-packages on Windows.
NVIDIA_DLL_SUBDIRS = (("nvidia", "cublas", "bin"), ("nvidia", "cudnn", "bin"), ("nvidia", "cuda_runtime", "bin"))


def choose_device(device: str, cuda_count: Callable[[], int]) -> str:
    """Resolve `auto` to cuda when a CUDA device is visible, else cpu."""
    if device not in DEVICES:
        raise ModelError(f"invalid user.whisper_device '{device}': use one of {', '.join(DEVICES)}")
    if device != "auto":
        return device
    try:
        return "cuda" if cuda_count() > 0 else "cpu"
    except Exception:  # a broken CUDA driver: the CPU still works
        return "cpu"


def choose_compute_type(compute_type: str, device: str) -> str:
    """`auto` is float16 on CUDA and int8 on the CPU; anything else must be a known type."""
    if compute_type not in COMPUTE_TYPES:
        raise ModelError(
            f"invalid user.whisper_compute_type '{compute_type}': use one of {', '.join(COMPUTE_TYPES)}"
        )
    if compute_type == "auto":
        return "float16" if device == "cuda" else "int8"
    return compute_type


def cuda_dll_folders(search_paths: List[str], exists: Callable[[str], bool] = os.path.isdir) -> List[str]:
    """The NVIDIA wheels' `bin` folders under any of `search_paths` (site-packages, vendor)."""
    found: List[str] = []
    for base in search_paths:
        for parts in NVIDIA_DLL_SUBDIRS:
            folder = os.path.join(base, *parts)
            if folder not in found and exists(folder):
                found.append(folder)
    return found


def prepare_cuda_dll_path(
    search_paths: Optional[List[str]] = None,
    platform: str = sys.platform,
    environ: MutableMapping[str, str] = os.environ,
    add_dll_directory: Optional[Callable[[str], Any]] = None,
    exists: Callable[[str], bool] = os.path.isdir,
) -> List[str]:
    """On Windows, make cuBLAS/cuDNN from pip wheels loadable; return the folders added.

    ctranslate2 loads cuBLAS with plain LoadLibrary, which ignores os.add_dll_directory, so
    the folders go on PATH as well (TALON_FACTS: Windows + CUDA).
    """
    if not platform.startswith("win"):
        return []
    folders = cuda_dll_folders(list(search_paths if search_paths is not None else sys.path), exists)
    if not folders:
        return []
    separator = ";"  # Windows' PATH separator, whatever the host running this is
    current = environ.get("PATH", "")
    present = {part.lower() for part in current.split(separator) if part}
    new = [folder for folder in folders if folder.lower() not in present]
    if new:
        environ["PATH"] = separator.join(new + ([current] if current else []))
    register = add_dll_directory or getattr(os, "add_dll_directory", None)
    for folder in folders:
        if register is not None:
            try:
                register(folder)
            except OSError:
                log.warning("could not register DLL folder %s", folder)
    return folders


def cpu_threads(requested: int, cores: Optional[int] = None) -> int:
    """Threads for CPU inference: as asked, or half the cores, leaving the rest to Talon and the user's apps."""
    if requested > 0:
        return requested
    return max(1, (cores or os.cpu_count() or 2) // 2)


def process_memory_mb() -> Optional[float]:
    """Resident memory of this process in MB, where the platform tells it cheaply."""
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process().memory_info().rss / 2**20
    except Exception:
        pass
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except Exception:
        return None


def gpu_memory_mb(run: Optional[Callable[..., Any]] = None) -> Optional[float]:
    """GPU memory in use (MB) as nvidia-smi reports it; None where it cannot tell. Slow: not on Talon's main thread."""
    import shutil
    import subprocess

    if run is None:
        if shutil.which("nvidia-smi") is None:
            return None
        run = subprocess.run
    try:
        out = run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                  capture_output=True, text=True, timeout=5, creationflags=NO_WINDOW)
        return float(out.stdout.strip().splitlines()[0])
    except Exception:
        return None
