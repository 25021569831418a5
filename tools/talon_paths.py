"""Where Talon keeps its home, user folder and Python, per platform (../shared/TALON_FACTS.md).

Everything takes the platform, environment and home folder as arguments, so the Windows
rules are tested on any machine. Importing this file does nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import PureWindowsPath, PurePosixPath
from typing import Callable, List, Mapping, Optional, Union

PathLike = Union[PureWindowsPath, PurePosixPath]


def is_windows(platform: str) -> bool:
    return platform.startswith("win")


def talon_home(platform: str, environ: Mapping[str, str], home: str) -> PathLike:
    """%APPDATA%\\Talon on Windows, ~/.talon elsewhere."""
    if is_windows(platform):
        appdata = environ.get("APPDATA") or str(PureWindowsPath(home) / "AppData" / "Roaming")
        return PureWindowsPath(appdata) / "Talon"
    return PurePosixPath(home) / ".talon"


def user_folder(platform: str, environ: Mapping[str, str], home: str) -> PathLike:
    return talon_home(platform, environ, home) / "user"


def python_candidates(
    platform: str, environ: Mapping[str, str], home: str, listdir: Callable[[str], List[str]] = os.listdir
) -> List[PathLike]:
    """Talon's own Python, most likely first: venv\\<version>\\Scripts (newest), then older .venv."""
    base = talon_home(platform, environ, home)
    if not is_windows(platform):
        return [base / "bin" / "python3", base / "bin" / "python"]
    try:
        versions = [name for name in listdir(str(base / "venv")) if re.fullmatch(r"\d+\.\d+", name)]
    except OSError:
        versions = []
    versions.sort(key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True)
    found: List[PathLike] = [base / "venv" / v / "Scripts" / "python.exe" for v in versions]
    found.append(base / "venv" / "3.11" / "Scripts" / "python.exe")
    found.append(base / ".venv" / "Scripts" / "python.exe")
    unique: List[PathLike] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def pip_for(python: PathLike, platform: str) -> PathLike:
    """Talon's pip beside its Python (pip.bat on Windows)."""
    return python.parent / ("pip.bat" if is_windows(platform) else "pip")


def find_talon_python(
    platform: str, environ: Mapping[str, str], home: str,
    exists: Callable[[str], bool] = os.path.isfile, listdir: Callable[[str], List[str]] = os.listdir,
) -> Optional[PathLike]:
    for candidate in python_candidates(platform, environ, home, listdir):
        if exists(str(candidate)):
            return candidate
    return None
