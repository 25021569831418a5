"""Which files Talon loads from its user directory, under which module names, and what its
Python lacks."""

from __future__ import annotations

import os
from typing import Any, List


class Unavailable:
    """A meta-path finder refusing packages that Talon's Python does not have."""

    def __init__(self, names: "set[str]") -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.names:
            raise ImportError(f"No module named '{name}' (not in Talon's Python)")
        return None


def user_files(user_dir: str) -> List[str]:
    """Every file Talon loads: .py, .talon, .talon-list, skipping dot-named files and folders."""
    found = []
    for root, folders, files in os.walk(user_dir, followlinks=True):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith((".py", ".talon", ".talon-list")):
                found.append(os.path.join(root, name))
    return found


def user_dir_with(repository: str, user_dir: str) -> str:
    """A Talon user directory holding `repository` as the folder superwhisper2/ (as a user installs it)."""
    os.makedirs(user_dir, exist_ok=True)
    link = os.path.join(user_dir, "superwhisper2")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(repository), link, target_is_directory=True)
    return user_dir


def module_name(user_dir: str, path: str) -> str:
    """user/<folders>/<file>.py -> user.<folders>.<file> (fact: sure)."""
    relative = os.path.relpath(path, user_dir)[: -len(".py")]
    return "user." + ".".join(relative.split(os.sep))
