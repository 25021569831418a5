"""Which packages superwhisper2 needs, where they live for each Python, and how to install them.

Compiled wheels import only in the Python they were built for, and Talon's Python moves with
Talon releases: packages live in `vendor/.packages/<tag>/` (`cp314-win_amd64`), one folder per
interpreter with a manifest of exactly what was installed. Shared by the plugin and tools/:
stdlib only, no `talon`, nothing done at import; `installed_for` runs on Talon's main thread, so
it reads one small JSON file and checks paths, never importing faster_whisper or ctranslate2.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import sysconfig
import threading
from dataclasses import asdict, dataclass
from os.path import isfile
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

log = logging.getLogger("superwhisper2")

MANIFEST = ".superwhisper2-manifest.json"
LAYOUT = 2  # 1: one flat vendor/.packages for whichever Python ran the installer
ESSENTIAL = ("faster_whisper", "ctranslate2")  # what the plugin cannot start without
TAG_PATTERN = re.compile(r"^(?:cp|pp|py)(\d)(\d+)t?-[A-Za-z0-9_]+$")

PathLike = Union[PureWindowsPath, PurePosixPath]


def repo_root() -> Path:
    """The plugin's folder: the one holding superwhisper2/, tools/, vendor/ and pyproject.toml."""
    return Path(os.path.abspath(__file__)).parent.parent


def interpreter_tag(version: Optional[Tuple[int, int]] = None, platform: Optional[str] = None,
                    free_threaded: Optional[bool] = None) -> str:
    """`cp314-win_amd64`: the Python version and platform compiled wheels are built for (by
    default the running interpreter's; a free-threaded build gets `t`, its wheels differ too)."""
    major, minor = version if version is not None else sys.version_info[:2]
    platform = platform or sysconfig.get_platform()
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED")) if free_threaded is None else free_threaded
    python = "cp" if version is not None or sys.implementation.name == "cpython" else sys.implementation.name[:2]
    return f"{python}{major}{minor}{'t' if free_threaded else ''}-{re.sub(r'[^A-Za-z0-9]', '_', platform)}"


def tag_python(tag: str) -> str:
    """`cp313-win_amd64` -> `3.13` (empty when the tag is not one of ours)."""
    match = TAG_PATTERN.match(tag)
    return f"{match.group(1)}.{match.group(2)}" if match else ""


def vendor_root(root: Optional[Union[str, Path]] = None) -> Path:
    """`vendor/.packages`: a dot-folder, so Talon's loader never imports the packages as scripts."""
    return Path(root if root is not None else repo_root()) / "vendor" / ".packages"


def vendor_folder(root: Optional[Union[str, Path]] = None, tag: Optional[str] = None) -> Path:
    """Where the packages for this interpreter (or `tag`) live."""
    return vendor_root(root) / (tag or interpreter_tag())


def read_manifest(folder: Union[str, Path]) -> Optional[Dict[str, Any]]:
    """The manifest in `folder`, or None when there is none or it is unreadable."""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class InstallState:
    """Whether the packages for one interpreter are in place; `problem` says what is wrong, in plain words."""

    ok: bool
    folder: Path
    problem: Optional[str]
    tag: str


def installed_for(root: Optional[Union[str, Path]] = None, tag: Optional[str] = None) -> InstallState:
    """Whether `vendor/.packages/<tag>` holds a complete install: cheap enough for Talon's main thread."""
    tag = tag or interpreter_tag()
    base = vendor_root(root)
    folder = base / tag
    manifest = read_manifest(folder)
    if manifest is not None:
        gone = missing(folder, manifest)
        return InstallState(not gone, folder, f"incomplete: {', '.join(gone)} missing" if gone else None, tag)
    if any(not name.startswith(".") for name in _listdir(folder)):
        return InstallState(False, folder, "incomplete: the last install did not finish", tag)
    for theirs, version in other_installs(base, tag)[:1]:
        ours = f"Python {tag_python(tag)}" + (f" ({tag})" if tag_python(tag) in (version, "") else "")
        return InstallState(False, folder, f"installed for Python {version} ({theirs}); Talon now runs {ours}", tag)
    if (base / MANIFEST).is_file():
        return InstallState(False, folder, "installed for another layout: run the installer again", tag)
    return InstallState(False, folder, "not installed", tag)


def other_installs(base: Union[str, Path], tag: str) -> List[Tuple[str, str]]:
    """(tag, Python version) of the installs for other interpreters, newest Python first."""
    found: List[Tuple[str, str]] = []
    for name in _listdir(base):
        manifest = read_manifest(os.path.join(base, name)) if name != tag and TAG_PATTERN.match(name) else None
        if manifest is not None:
            python = manifest.get("python")
            found.append((name, str((python.get("major_minor") if isinstance(python, dict) else None)
                                    or tag_python(name))))
    found.sort(key=lambda item: tuple(int(part) for part in item[1].split(".") if part.isdigit()), reverse=True)
    return found


def missing(folder: Path, manifest: Mapping[str, Any]) -> List[str]:
    """What the manifest lists, or the plugin needs, that is not in `folder` (the first three)."""
    entries = [str(entry) for entry in manifest.get("entries", [])]
    gone = [entry for entry in entries if not os.path.lexists(folder / entry)]
    gone += [name for name in ESSENTIAL if name not in entries and name not in gone]
    named = [entry for entry in gone if not entry.endswith(".dist-info")] or gone
    return named[:3] + (["..."] if len(named) > 3 else [])


def _listdir(folder: Union[str, PathLike, Path], listdir: Callable[[str], List[str]] = os.listdir) -> List[str]:
    try:
        return listdir(str(folder))
    except OSError:
        return []


# Talon's home, user folder and Python (../shared/TALON_FACTS.md), tested for Windows anywhere.

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


def python_candidates(platform: str, environ: Mapping[str, str], home: str,
                      listdir: Callable[[str], List[str]] = os.listdir) -> List[PathLike]:
    """Talon's own Python, most likely first: venv\\<version>\\Scripts (newest), then the older .venv."""
    base = talon_home(platform, environ, home)
    if not is_windows(platform):
        return [base / "bin" / "python3", base / "bin" / "python"]
    versions = [name for name in _listdir(base / "venv", listdir) if re.fullmatch(r"\d+\.\d+", name)]
    versions.sort(key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True)
    return [*(base / "venv" / v / "Scripts" / "python.exe" for v in versions), base / ".venv/Scripts/python.exe"]


def pip_for(python: PathLike, platform: str) -> PathLike:
    """Talon's pip beside its Python (pip.bat on Windows)."""
    return python.parent / ("pip.bat" if is_windows(platform) else "pip")


def find_talon_python(platform: str, environ: Mapping[str, str], home: str, exists: Callable[[str], bool] = isfile,
                      listdir: Callable[[str], List[str]] = os.listdir) -> Optional[PathLike]:
    """The first of `python_candidates` that exists."""
    return next((path for path in python_candidates(platform, environ, home, listdir) if exists(str(path))), None)


def talon_python(prefix: Optional[str] = None, executable: Optional[str] = None, platform: Optional[str] = None,
                 exists: Callable[[str], bool] = isfile) -> Optional[str]:
    """The running interpreter's python, found from `sys.prefix`: inside Talon that is Talon's venv,
    while `sys.executable` may be Talon itself (no pip), so that is used only if it is a python."""
    executable = sys.executable if executable is None else executable
    windows = is_windows(platform or sys.platform)
    root = (PureWindowsPath if windows else PurePosixPath)(sys.prefix if prefix is None else prefix)
    names = [("Scripts", "python.exe"), ("python.exe",)] if windows else [("bin", "python3"), ("bin", "python")]
    for candidate in (str(root.joinpath(*name)) for name in names):
        if exists(candidate):
            return candidate
    name = (PureWindowsPath if windows else PurePosixPath)(executable).name
    is_python = re.fullmatch(r"python(\d+(\.\d+)?t?)?(\.exe)?", name, re.IGNORECASE)
    return executable if executable and is_python and exists(executable) else None


def installer_command(root: Optional[Union[str, Path]] = None, python: Optional[str] = None,
                      platform: Optional[str] = None, extra: Sequence[str] = ()) -> List[str]:
    """What the user must run to install for this Python: its python, then tools/install.py
    (without one found from `sys.prefix`, Talon's usual place: the newest venv)."""
    platform, home = platform or sys.platform, os.path.expanduser("~")
    python = python or talon_python(platform=platform)
    python = python or str(find_talon_python(platform, os.environ, home) or
                           python_candidates(platform, os.environ, home)[0])
    flavour = PureWindowsPath if is_windows(platform) else PurePosixPath
    script = flavour(str(root if root is not None else repo_root())) / "tools" / "install.py"
    return [python, str(script), *extra]


def command_line(argv: Sequence[str], platform: Optional[str] = None) -> str:
    """`argv` as one line to paste: quoted for cmd.exe on Windows, for a POSIX shell elsewhere."""
    if is_windows(platform or sys.platform):
        return " ".join(f'"{arg}"' if not arg or re.search(r'[\s&|<>^(),;=%!\\/:"]', arg) else arg for arg in argv)
    import shlex

    return " ".join(shlex.quote(arg) for arg in argv)


@dataclass(frozen=True)
class Pins:
    """Requirement strings: the base set, cuBLAS for NVIDIA GPUs, cuDNN for older ctranslate2."""

    base: Tuple[str, ...]
    cuda: Tuple[str, ...]
    cudnn: Tuple[str, ...]


def pins(root: Optional[Union[str, Path]] = None) -> Pins:
    """The pins from pyproject.toml: [project].dependencies and the `cuda` and `cudnn` extras."""
    import tomllib

    with open(Path(root if root is not None else repo_root()) / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)["project"]
    extras = project.get("optional-dependencies", {})
    return Pins(tuple(project["dependencies"]), tuple(extras.get("cuda", ())), tuple(extras.get("cudnn", ())))


@dataclass(frozen=True)
class InstallEvent:
    """One line of `tools/install.py --events`. kind: "step" (a stage begins); "progress" (within
    it; `fraction`: the share done of the download the message names, when pip tells); "done"
    (last; `restart`: Talon must restart to load what changed); "failed" (last; what happened)."""

    kind: str
    message: str
    fraction: Optional[float] = None
    restart: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @staticmethod
    def from_json(line: str) -> Optional["InstallEvent"]:
        """The event on this line, or None for anything else (a traceback, a stray print)."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("kind") not in ("step", "progress", "done", "failed"):
            return None
        fraction = data.get("fraction") if isinstance(data.get("fraction"), (int, float)) else None
        return InstallEvent(str(data["kind"]), str(data.get("message", "")), fraction, bool(data.get("restart")))


def run_installer(python: str, root: Union[str, Path], on_event: Callable[[InstallEvent], None], *,
                  cuda: str = "auto", vendor: Optional[Union[str, Path]] = None,
                  extra: Sequence[str] = ()) -> threading.Thread:
    """Run `tools/install.py --events` with `python` on a thread (started there: this returns at once),
    handing each event to `on_event` on that thread (inside Talon, pass it on with `cron.after`).
    The last event is exactly one "done" or "failed", even if the installer cannot start or dies."""
    command = [python, str(Path(root) / "tools" / "install.py"), "--events", "--python", python, "--cuda", cuda,
               *(["--vendor", str(vendor)] if vendor is not None else []), *extra]
    thread = threading.Thread(target=_follow, args=(command, str(root), on_event), name="superwhisper2-install",
                              daemon=True)
    thread.start()
    return thread


def _follow(command: List[str], cwd: str, on_event: Callable[[InstallEvent], None]) -> None:
    import subprocess

    def deliver(event: InstallEvent) -> None:
        try:
            on_event(event)
        except Exception:  # the listener's bug must not stop the install being followed
            log.exception("superwhisper2: the install listener failed on %s", event)

    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}, encoding="utf-8",
            errors="replace", bufsize=1, creationflags=0x08000000 if os.name == "nt" else 0)  # no console flashes
    except OSError as error:
        deliver(InstallEvent("failed", f"could not start {command[0]}: {error}. Talon is untouched."))
        return
    last_line, finished = "no message", False
    for line in process.stdout or ():
        event = InstallEvent.from_json(line)
        if event is None:
            last_line = line.strip() or last_line
        elif not finished:  # one final event, whatever the installer printed after it
            finished = event.kind in ("done", "failed")
            deliver(event)
    code = process.wait()
    if not finished:
        deliver(InstallEvent("failed", f"the installer stopped (exit {code}): {last_line}. Talon is untouched."))
