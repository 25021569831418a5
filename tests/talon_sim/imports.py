"""Talon's start-up import of every file, in a fresh interpreter like Talon's own."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict


# Run in a fresh interpreter, like Talon's: no pytest, no test-only or runtime packages.
_IMPORT_SCRIPT = r"""
import json, sys, tempfile, os, threading
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != os.path.abspath(sys.argv[1])]
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
from talon_sim import Talon, user_dir_with, user_files
import types
user = user_dir_with(sys.argv[1], os.path.join(tempfile.mkdtemp(), "user"))
threads = threading.active_count()
sim = Talon(user, unavailable=["pytest", "_pytest", "jiwer", "hypothesis", "faster_whisper", "ctranslate2",
                                "onnxruntime", "tokenizers", "av", "psutil", "superwhisper2", "talon_sim", "conftest",
                                # Talon's main platform is Windows: Unix-only modules are absent there
                                "resource", "fcntl", "termios", "pwd", "grp", "tty", "pty", "posix", "syslog",
                                "crypt", "readline", "curses"])
import numpy  # Talon has numpy loaded before any user file
sim.install_talon()
pkg = types.ModuleType("user"); pkg.__path__ = [user]; sys.modules["user"] = pkg
for path in user_files(user):
    sim.load_file(path)
print(json.dumps({
    "errors": [repr(e) for e in sim.errors],
    "threads_started": threading.active_count() - threads,
    "heavy_imported": sorted(m for m in ("faster_whisper", "ctranslate2", "onnxruntime") if m in sys.modules),
    "modules": sorted(sim.import_seconds),
    "import_ms": round(sum(sim.import_seconds.values()) * 1000, 1),
    "models": "superwhisper2_models" in sys.modules,
    "path_tail": sys.path[-1],
}))
"""


def import_report(repository: str) -> Dict[str, Any]:
    """Import every .py of `repository` as Talon would at start-up, in a fresh interpreter whose
    Python lacks test and Whisper packages; report errors, threads started and time taken."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT, os.path.abspath(repository)],
                         capture_output=True, text=True, timeout=120, cwd="/")
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])
