"""The runtime packages, from Talon's side: checked at start-up, and installed by voice.

Talon's Python changes with Talon releases (3.11, 3.13, 3.14...), and compiled packages built for
one do not import in the next. So at start-up the manifest of `vendor/.packages/<this Python's
tag>` is read (a small file; nothing heavy is imported on Talon's thread): packages made for
another Python are never put on `sys.path`, and the user is told the exact command for this one.
"whisper install" runs that command itself, in the background, its progress in the overlay.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from typing import Optional

from . import packages, status
from .holder import holder
from .runtime import on_main

log = logging.getLogger("superwhisper2")


def ready_to_run() -> bool:
    """This Python's packages are on sys.path (after Talon's own: Talon's numpy wins), or Talon's
    Python has them itself; otherwise the user is told what to run, and False. Once found, not
    looked for again (the disk is not read on every hotkey press)."""
    kept = holder()
    if kept.installed:
        return True
    state = packages.installed_for()
    if state.ok:
        folder = str(state.folder)
        if folder not in sys.path:
            sys.path.append(folder)
        kept.installed = True
        return True
    if _findable("faster_whisper") and _findable("ctranslate2"):
        kept.installed = True  # installed into Talon's own Python (a developer's set-up)
        return True
    command = packages.command_line(packages.installer_command())
    status.notify("not installed for this Python",
                  f"superwhisper2's packages are {state.problem}. Say 'whisper install', or run "
                  f"tools/install.py with Talon's Python: {command} — then restart Talon.")
    return False


def _findable(package: str) -> bool:
    """Whether `package` can be imported, without importing it (that is slow: not on Talon's thread)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def install() -> None:
    """"whisper install": the installer with Talon's own Python, followed in the overlay."""
    from . import overlay

    python = packages.talon_python()
    if python is None:
        command = packages.command_line(packages.installer_command())
        status.notify("install", f"Talon's Python was not found beside {sys.prefix}: run {command}")
        return
    overlay.show_lines(["Whisper: installing", f"with {python}"], seconds=600)
    packages.run_installer(python, packages.repo_root(), lambda event: on_main(lambda: _show(event)))


def _show(event: packages.InstallEvent) -> None:
    """Main thread: one installer event in the overlay; the last one as a notification too."""
    from . import overlay

    percent: Optional[str] = None if event.fraction is None else f"{event.fraction * 100:.0f} %"
    lines = ["Whisper: installing", event.message] + ([percent] if percent else [])
    if event.kind == "done":
        log.info("superwhisper2 install: %s", event.message)
        overlay.show_lines(["Whisper: installed", event.message], seconds=10)
        status.notify("installed", event.message + (" Restart Talon to use it." if event.restart else ""))
    elif event.kind == "failed":
        overlay.show_lines(["Whisper: install failed", event.message], seconds=15)
        status.notify("install failed", event.message)
    else:
        overlay.show_lines(lines, seconds=600)
