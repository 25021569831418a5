"""The user's words and replacements, as Talon lists in .talon-list files.

`user.whisper_vocabulary` (names, jargon) feeds Whisper's hotwords within a budget;
`user.whisper_replacements` ("spoken form: written form") is applied to the text afterwards.
Files are read from this plugin's folder (examples) and from the root of Talon's user folder
(the user's own, kept across plugin updates), and read again whenever they change.
"""

from __future__ import annotations

import os
import threading
from typing import Dict, List, Optional, Tuple

from .history import talon_home

FILES = {"vocabulary": "whisper_vocabulary.talon-list", "replacements": "whisper_replacements.talon-list"}
HOTWORDS_BUDGET = 300  # characters: well inside Whisper's prompt, never crowding out context


def parse_talon_list(text: str) -> Dict[str, str]:
    """A .talon-list file's entries: `spoken: written`, or a bare word (spoken = written)."""
    entries: Dict[str, str] = {}
    lines = text.splitlines()
    stripped = [line.strip() for line in lines]
    body = lines[stripped.index("-") + 1:] if "-" in stripped else lines  # entries follow the header
    for line in body:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spoken, _, written = line.partition(":")
        spoken, written = spoken.strip().strip("'\""), written.strip().strip("'\"")
        if spoken:
            entries[spoken] = written or spoken
    return entries


class Lists:
    """Reads the list files when they change (a stat per phrase, on the worker thread)."""

    def __init__(self, folders: Optional[List[str]] = None) -> None:
        here = os.path.dirname(os.path.abspath(__file__))
        self.folders = folders if folders is not None else [here, os.path.join(talon_home(), "user")]
        self._cache: Dict[str, Tuple[float, Dict[str, str]]] = {}
        self._lock = threading.Lock()

    def entries(self, kind: str) -> Dict[str, str]:
        merged: Dict[str, str] = {}
        for folder in self.folders:
            merged.update(self._read(os.path.join(folder, FILES[kind])))
        return merged

    def _read(self, path: str) -> Dict[str, str]:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return {}
        with self._lock:
            cached = self._cache.get(path)
            if cached is None or cached[0] != mtime:
                with open(path, encoding="utf-8") as handle:
                    cached = (mtime, parse_talon_list(handle.read()))
                self._cache[path] = cached
            return cached[1]

    def hotwords(self, extra: Optional[str]) -> Optional[str]:
        """The setting's hotwords, then vocabulary words, within the budget."""
        words = [extra.strip()] if extra and extra.strip() else []
        for written in self.entries("vocabulary").values():
            if len(" ".join(words + [written])) > HOTWORDS_BUDGET:
                break
            words.append(written)
        return " ".join(words) or None
