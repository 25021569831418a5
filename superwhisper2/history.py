"""Every transcription, appended to a JSON-lines file before it is typed: nothing dictated is lost.

Written by the worker thread (file I/O never runs on Talon's main thread). The file lives in
Talon's home, is capped in size and rotated once (history.jsonl -> history.1.jsonl). Audio is
never stored here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional

log = logging.getLogger("superwhisper2")

MAX_BYTES = 2_000_000
TAIL_BYTES = 64_000  # "whisper history" reads no more than this of each file


def talon_home(plugin_file: str = __file__) -> str:
    """Talon's home: the parent of the `user` folder this plugin sits in (%APPDATA%\\Talon, ~/.talon)."""
    folder = os.path.dirname(os.path.abspath(plugin_file))
    while True:
        parent = os.path.dirname(folder)
        if os.path.basename(folder).lower() == "user":
            return parent
        if parent == folder:
            break
        folder = parent
    from .packages import talon_home as platform_talon_home  # not inside a user folder: Talon's usual place

    return str(platform_talon_home(sys.platform, os.environ, os.path.expanduser("~")))


def default_path() -> str:
    return os.path.join(talon_home(), "superwhisper2", "history.jsonl")


class History:
    """Append-only, size-capped JSON lines; thread-safe."""

    def __init__(self, path: str, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def append(self, record: Dict[str, Any]) -> bool:
        """Add one record; False (and a log line) if the disk refused."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **record}, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
                if os.path.exists(self.path) and os.path.getsize(self.path) + len(line) > self.max_bytes:
                    os.replace(self.path, self.rotated_path)
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)
                return True
            except OSError as error:
                log.warning("superwhisper2: could not write the history file %s: %s", self.path, error)
                return False

    @property
    def rotated_path(self) -> str:
        root, ext = os.path.splitext(self.path)
        return f"{root}.1{ext}"

    def read_last(self, count: int, then: Callable[[List[Dict[str, Any]]], Any]) -> None:
        """`then(the newest count records)`, read on a thread of its own (never on Talon's)."""
        threading.Thread(target=lambda: then(self.last(count)), name="superwhisper2-history", daemon=True).start()

    def last(self, count: int) -> List[Dict[str, Any]]:
        """The newest `count` records, oldest first. Reads only the files' ends: the files may hold
        megabytes (read_last calls this off Talon's thread)."""
        records: List[Dict[str, Any]] = []
        for path in (self.path, self.rotated_path):
            try:
                with open(path, "rb") as handle:
                    size = handle.seek(0, os.SEEK_END)
                    handle.seek(max(0, size - TAIL_BYTES))
                    lines = handle.read().decode("utf-8", errors="replace").splitlines()[1 if size > TAIL_BYTES else 0:]
            except OSError:
                continue
            records = [_record(line) for line in lines if line.strip()][-count:] + records
            if len(records) >= count:
                break
        return records[-count:]


def _record(line: str) -> Dict[str, Any]:
    try:
        return json.loads(line)
    except ValueError:  # a line cut by a crash: shown as it is
        return {"text": line}


def history_path(setting: Optional[str]) -> str:
    """The file user.whisper_history_file names, or the default in Talon's home."""
    return os.path.expanduser(setting) if setting else default_path()
