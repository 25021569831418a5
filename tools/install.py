"""Install what superwhisper2 needs into Talon's Python, without ever breaking Talon.

    <Talon's python> tools/install.py [--cuda auto|yes|no] [--cudnn] [--upgrade] [--model NAME]
                                      [--python PATH] [--vendor DIR] [--events]
    <Talon's python> tools/install.py --uninstall [--tag TAG]
    python tools/install.py --check [--check-python 3.14 ...] [--check-platform win_amd64 ...]

Compiled wheels import only in the Python they were built for, and Talon's Python changes with
Talon releases: packages go into vendor/.packages/<tag>/ (tag cp314-win_amd64...), one folder
per interpreter, a dot-folder Talon's loader skips. Talon's numpy is never replaced or shadowed:
the install is constrained to Talon's numpy and numpy is left out of the folder. A manifest in
the folder records the interpreter and exactly what was installed, so a second run changes
nothing and --uninstall removes exactly that. The pins live in pyproject.toml only (read
through superwhisper2/packages.py). --events prints one JSON object per line (see
packages.InstallEvent) for the plugin to follow; --check proves every pinned package has a
wheel for each Python and platform Talon ships. Talon imports this file too: work happens
under __main__.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, TextIO, Tuple

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VENDOR = REPO / "vendor" / ".packages"
NUMPY_ENTRIES = ("numpy", "numpy.libs", "numpy-")
# What Talon runs on: every CPython it has shipped or will soon, on Windows x64 and Apple silicon
# (macOS 14 or later: onnxruntime's arm64 wheels are built for it).
CHECK_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
CHECK_PLATFORMS = ("win_amd64", "macosx_14_0_arm64")
RAW_PROGRESS_PIP = (24, 1)  # the first pip with --progress-bar raw ("Progress N of M" lines)

Runner = Callable[..., subprocess.CompletedProcess]
PipRunner = Callable[[Sequence[str], Optional[Callable[[str], None]]], int]

PROBE = (
    "import json, sys, sysconfig, importlib.util\n"
    "try:\n    import numpy; numpy_version = numpy.__version__; numpy_path = numpy.__file__\n"
    "except ImportError:\n    numpy_version = numpy_path = None\n"
    "try:\n    from importlib.metadata import version; pip_version = version('pip')\n"
    "except Exception:\n    pip_version = None\n"
    "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'full_version': '%d.%d.%d' % sys.version_info[:3],"
    " 'platform': sysconfig.get_platform(), 'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),"
    " 'numpy': numpy_version, 'numpy_path': numpy_path, 'executable': sys.executable,"
    " 'pip': pip_version if importlib.util.find_spec('pip') else None}))"
)


class InstallError(RuntimeError):
    """An install step failed; the message says what to do next."""


def shared() -> Any:
    """superwhisper2/packages.py, the module the plugin uses too (this file also runs as a script)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from superwhisper2 import packages

    return packages


class Reporter:
    """Tells the user what happens: plain lines, or with --events one JSON object per line."""

    def __init__(self, events: bool = False, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> None:
        self.events = events
        self.out = out
        self.err = err

    def _emit(self, kind: str, message: str, fraction: Optional[float] = None, restart: bool = False) -> None:
        event = shared().InstallEvent(kind, message, None if fraction is None else round(fraction, 4), restart)
        stream = self.out or sys.stdout
        stream.write(event.to_json() + "\n")
        stream.flush()

    def step(self, message: str) -> None:
        if self.events:
            self._emit("step", message)
        else:
            print(message, file=self.out or sys.stdout, flush=True)

    def progress(self, message: str, fraction: Optional[float] = None) -> None:
        if self.events:  # in a terminal pip shows its own progress
            self._emit("progress", message, fraction)

    def done(self, message: str, restart: bool) -> None:
        if self.events:
            self._emit("done", message, restart=restart)
        else:
            print(message, file=self.out or sys.stdout, flush=True)

    def failed(self, message: str) -> None:
        if self.events:
            self._emit("failed", message)
        else:
            print(f"superwhisper2 install: {message}", file=self.err or sys.stderr, flush=True)


class PipOutput:
    """Turns pip's output lines into progress events and keeps its last lines for a failure."""

    def __init__(self, report: Reporter, raw: bool = False) -> None:
        self.report = report
        self.raw = raw  # pip prints "Progress N of M" lines: a download's share is known
        self.tail: Deque[str] = collections.deque(maxlen=40)
        self.download: Optional[str] = None

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text or "━" in text:
            return
        self.tail.append(text)
        raw = re.search(r"Progress (\d+) of (\d+)", text)
        fetched = re.match(r"(Downloading|Using cached|Processing) (\S+)(?: \(([^)]+)\))?", text)
        if raw:
            total = int(raw.group(2))
            if self.download and total > 0:
                self.report.progress(self.download, min(1.0, int(raw.group(1)) / total))
        elif text.startswith("Collecting "):
            self.report.progress(f"Looking up {text.split()[1]}")
        elif fetched:
            name, version = _wheel_name(fetched.group(2))
            if fetched.group(2).endswith(".metadata"):
                return
            if fetched.group(1) != "Downloading":
                self.download = None
                self.report.progress(f"Using {name} {version} already downloaded", None)
                return
            self.download = f"Downloading {name} {version}" + (f" ({fetched.group(3)})" if fetched.group(3) else "")
            self.report.progress(self.download, 0.0 if self.raw else None)
        elif text.startswith("Installing collected packages:"):
            count = len(text.split(":", 1)[1].split(","))
            self.report.step(f"Installing {count} packages")

    def last_meaningful(self) -> str:
        """pip's ERROR line if it printed one, else its last line that is not a notice."""
        lines = list(self.tail)
        for text in reversed(lines):
            if text.startswith("ERROR:"):
                return text
        for text in reversed(lines):
            if not text.startswith(("[notice]", "WARNING:", "Progress ")):
                return text
        return "no message"


def _wheel_name(location: str) -> Tuple[str, str]:
    """`.../ctranslate2-4.8.5-cp314-cp314-win_amd64.whl` -> ("ctranslate2", "4.8.5")."""
    parts = location.rstrip("/").rsplit("/", 1)[-1].split("-")
    return parts[0].replace("_", "-"), parts[1] if len(parts) > 1 else ""


def probe(python: str, runner: Runner = subprocess.run) -> Dict[str, Any]:
    """The target interpreter's version, platform, numpy and pip."""
    try:
        out = runner([python, "-c", PROBE], capture_output=True, text=True)
    except OSError as error:
        raise InstallError(f"could not run {python}: {error}. Check the --python path") from error
    if out.returncode != 0:
        raise InstallError(f"could not run {python}: {out.stderr.strip()[-300:]}. Check the --python path")
    return json.loads(out.stdout.strip().splitlines()[-1])


def tag_of(info: Dict[str, Any]) -> str:
    """The interpreter tag of a probed Python, as packages.interpreter_tag gives it inside that Python."""
    major, minor = (int(part) for part in str(info["version"]).split(".")[:2])
    return str(shared().interpreter_tag((major, minor), info["platform"], bool(info.get("free_threaded"))))


def gets_cuda(platform: str) -> bool:
    """Whether a platform can have an NVIDIA GPU for ctranslate2 (Windows, Linux; never macOS)."""
    return not platform.startswith("macosx")


def wanted_packages(pins: Any, cuda: bool, cudnn: bool) -> List[str]:
    """The requirement strings to install, from pyproject.toml's pins."""
    return list(pins.base) + (list(pins.cuda) if cuda else []) + (list(pins.cudnn) if cudnn else [])


def cuda_wanted(choice: str, platform: str, which: Callable[[str], Optional[str]] = shutil.which) -> bool:
    """`auto`: an NVIDIA driver is present (nvidia-smi) on Windows or Linux; macOS never."""
    if choice in ("yes", "no"):
        return choice == "yes"
    return gets_cuda(platform) and which("nvidia-smi") is not None


def pip_version(info: Dict[str, Any]) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(info.get("pip") or "0"))[:2])


def pip_install_command(python: str, target: Path, packages: Sequence[str], constraints: Optional[Path],
                        progress: Optional[str] = None) -> List[str]:
    """Talon's own pip, wheels only (nothing compiled on the user's machine), into `target`."""
    command = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
               "--target", str(target), "--only-binary", ":all:"]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if progress is not None:
        command += ["--progress-bar", progress]
    return command + list(packages)


def run_pip(command: Sequence[str], on_line: Optional[Callable[[str], None]]) -> int:
    """Run pip; without `on_line` its output goes to the terminal as it is, bars included."""
    if on_line is None:
        return subprocess.run(list(command)).returncode
    process = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace", bufsize=1,
                               env={**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    for line in process.stdout:
        on_line(line)
    return process.wait()


def _dist_versions(entries: Sequence[str]) -> Dict[str, str]:
    """{project: version} from the .dist-info folders pip left: exactly what was installed."""
    found = {}
    for entry in entries:
        match = re.fullmatch(r"(.+?)-([^-]+)\.dist-info", entry)
        if match:
            found[match.group(1).replace("_", "-").lower()] = match.group(2)
    return dict(sorted(found.items()))


def install(python: str, vendor: Path, packages: Sequence[str], *, info: Optional[Dict[str, Any]] = None,
            upgrade: bool = False, runner: Runner = subprocess.run, pip: PipRunner = run_pip,
            report: Optional[Reporter] = None) -> Tuple[Dict[str, Any], bool]:
    """Install `packages` into vendor/<tag> for `python`; (manifest, whether anything changed).

    pip installs into a staging folder beside it: when pip fails, what was installed before is
    untouched; when it succeeds, the staging folder's entries replace the previous install's.
    """
    report = report or Reporter()
    packages = list(packages)
    info = info or probe(python, runner)
    tag = tag_of(info)
    target = vendor / tag
    manifest = shared().read_manifest(target)
    if (not upgrade and manifest and manifest.get("packages") == packages and manifest.get("tag") == tag
            and not shared().missing(target, manifest)):
        return manifest, False
    _note_other_installs(vendor, tag, report)
    created_root = not vendor.exists()
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{tag}-staging-", dir=vendor))  # same disk: entries move by rename
    finished = False
    try:
        with tempfile.TemporaryDirectory() as temp:
            constraints = None
            if info.get("numpy"):
                report.step(f"Talon's numpy {info['numpy']} stays in charge: the install is constrained to it.")
                constraints = Path(temp) / "constraints.txt"
                constraints.write_text(f"numpy=={info['numpy']}\n")
            raw = pip_version(info) >= RAW_PROGRESS_PIP
            follow = PipOutput(report, raw) if report.events else None
            progress = None if follow is None else ("raw" if raw else "off")
            command = pip_install_command(python, staging, packages, constraints, progress=progress)
            report.step(f"Installing {', '.join(packages)} for Python {info['version']} ({tag}) into {target}")
            if follow is None:
                report.step("Running: " + " ".join(command))
            code = pip(command, None if follow is None else follow.feed)
        if code != 0:
            said = f": {follow.last_meaningful()}" if follow is not None else ": read its message above"
            hint = (f" faster-whisper may not support Talon's numpy {info['numpy']}: update Talon, or report it."
                    if info.get("numpy") and "numpy" in said else "")
            raise InstallError(f"pip failed (exit {code}){said}.{hint} Talon is untouched.")
        if info.get("numpy"):
            for entry in [e for e in os.listdir(staging) if e == "numpy" or e.startswith(NUMPY_ENTRIES)]:
                _remove(staging / entry)  # Talon's numpy serves; a second copy could shadow it
        entries = sorted(os.listdir(staging))
        for entry in (manifest or {}).get("entries", []):
            _remove(target / entry)
        for entry in entries:
            _remove(target / entry)
            os.replace(staging / entry, target / entry)
        finished = True
    except OSError as error:
        raise InstallError(f"could not write {target}: {error} (if Talon has these packages loaded, quit Talon "
                           "and run the installer again)") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not finished:
            _remove_if_empty(target, created)
            _remove_if_empty(vendor, created_root)
    manifest = {
        "layout": shared().LAYOUT,
        "tag": tag,
        "python": {"version": info.get("full_version", info["version"]), "major_minor": info["version"],
                   "platform": info["platform"], "executable": info.get("executable") or python,
                   "free_threaded": bool(info.get("free_threaded"))},
        "packages": packages,
        "installed": _dist_versions(entries),
        "numpy_from_talon": info.get("numpy"),
        "entries": entries,
        "created_folder": manifest["created_folder"] if manifest else created,
        "created_root": manifest.get("created_root", False) if manifest else created_root,
    }
    (target / shared().MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest, True


def _note_other_installs(vendor: Path, tag: str, report: Reporter) -> None:
    """Installs for other Pythons stay (they are not ours to judge), but the user hears of them."""
    for other, version in shared().other_installs(vendor, tag):
        report.step(f"Packages for Python {version} remain in {vendor / other}: unused by this Python; "
                    f"`--uninstall --tag {other}` removes them.")
    if (vendor / shared().MANIFEST).is_file():
        report.step(f"An install in the old layout remains in {vendor}: it is no longer used; "
                    "`--uninstall` removes it.")


def uninstall(vendor: Path, tag: str, report: Optional[Reporter] = None) -> bool:
    """Remove exactly what install() put in vendor/<tag> (and its folders, if install created
    them), and an old flat-layout install if one is there. Whether anything was removed."""
    report = report or Reporter()
    packages = shared()
    target = vendor / tag
    removed = False
    root_created = False
    manifest = packages.read_manifest(target)
    if manifest is not None:
        _remove_entries(target, manifest)
        _remove_if_empty(target, bool(manifest.get("created_folder")))
        root_created = bool(manifest.get("created_root"))
        removed = True
    legacy = packages.read_manifest(vendor)
    if legacy is not None:
        _remove_entries(vendor, legacy, skip=packages.TAG_PATTERN)
        root_created = root_created or bool(legacy.get("created_folder"))
        removed = True
    _remove_if_empty(vendor, root_created)
    if removed:
        report.done(f"Removed what superwhisper2 installed in {target if manifest else vendor}. Restart Talon.",
                    restart=True)
    else:
        report.done(f"Nothing installed by superwhisper2 in {target}.", restart=False)
    return removed


def _remove_entries(folder: Path, manifest: Dict[str, Any], skip: Optional["re.Pattern[str]"] = None) -> None:
    for entry in manifest.get("entries", []):
        if entry and not entry.startswith(".") and not (skip and skip.match(entry)):
            _remove(folder / entry)
    (folder / shared().MANIFEST).unlink()


def _remove_if_empty(folder: Path, created: bool) -> None:
    if created and folder.is_dir() and not os.listdir(folder):
        folder.rmdir()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def download_model(python: str, target: Path, name: str, model_dir: Optional[str],
                   runner: Runner = subprocess.run, quiet: bool = False) -> None:
    """Download a named model ahead of time, with faster-whisper's progress bars (unless quiet)."""
    script = (
        "import sys; sys.path.append(sys.argv[1]);"
        "from faster_whisper.utils import download_model;"
        "print(download_model(sys.argv[2], cache_dir=sys.argv[3] or None))"
    )
    extra: Dict[str, Any] = {"capture_output": True, "text": True} if quiet else {}
    out = runner([python, "-c", script, str(target), name, model_dir or ""], **extra)
    if out.returncode != 0:
        raise InstallError(f"downloading {name} failed: check the network and the name (large-v3-turbo, base...)")


def default_python(platform: str = sys.platform) -> str:
    """This interpreter if it is Talon's; else Talon's, found where Talon keeps it."""
    packages = shared()
    home = packages.talon_home(platform, os.environ, str(Path.home()))
    if str(Path(sys.prefix)).lower().startswith(str(home).lower()):
        return packages.talon_python() or sys.executable
    found = packages.find_talon_python(platform, os.environ, str(Path.home()))
    if found is None:
        raise InstallError(f"Talon's Python was not found under {home}: run this with Talon's Python, "
                           "or pass --python PATH_TO_TALON_PYTHON")
    return str(found)


# --- --check: a wheel for every pinned package, on every Python and platform Talon ships --------

@dataclass(frozen=True)
class WheelCheck:
    """What pip resolved for one (Python, platform), or which requirements found no wheel."""

    python: str
    platform: str
    resolved: Tuple[Tuple[str, str, bool], ...]  # (project, version, compiled)
    missing: Tuple[str, ...]
    error: Optional[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def packages_for_platform(platform: str, pins: Any) -> List[str]:
    """The installer's exact set on a platform: the base pins, and cuBLAS where a GPU can be."""
    return wanted_packages(pins, cuda=gets_cuda(platform), cudnn=False)


def check_command(python: str, version: str, platform: str, requirements: Sequence[str], folder: Path) -> List[str]:
    """A resolve with no install and, where the index serves metadata (PEP 658), no wheel download.

    `--isolated` and PIP_CONFIG_FILE=os.devnull (see resolve) make it ignore the machine's pip
    configuration: its extra indexes, find-links and constraints would change the answer.
    """
    return [python, "-m", "pip", "--isolated", "--disable-pip-version-check", "install", "--dry-run",
            "--ignore-installed", "--no-input", "--progress-bar", "off", "--target", str(folder / "target"),
            "--report", str(folder / "report.json"), "--only-binary", ":all:", "--python-version", version,
            "--platform", platform, "--implementation", "cp", *requirements]


def resolve(version: str, platform: str, requirements: Sequence[str], python: str = sys.executable) -> WheelCheck:
    """Resolve `requirements` for CPython `version` on `platform` with wheels only."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as temp:
        out = subprocess.run(check_command(python, version, platform, requirements, Path(temp)),
                             capture_output=True, text=True, timeout=900,
                             env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
        report_file = Path(temp) / "report.json"
        report = json.loads(report_file.read_text(encoding="utf-8")) if out.returncode == 0 else None
    seconds = time.monotonic() - start
    if report is None:
        text = out.stdout + "\n" + out.stderr
        missing = []
        for match in re.finditer(r"Could not find a version that satisfies the requirement (\S+)"
                                 r"(?: \(from (?!versions:)([^)]+)\))?", text):
            name = match.group(1) + (f" (needed by {match.group(2)})" if match.group(2) else "")
            if name not in missing:
                missing.append(name)
        errors = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR:")]
        error = errors[-1] if errors else (text.strip().splitlines() or ["pip failed"])[-1]
        return WheelCheck(version, platform, (), tuple(missing), error, seconds)
    resolved = []
    for item in report.get("install", []):
        url = str(item.get("download_info", {}).get("url", ""))
        resolved.append((item["metadata"]["name"], item["metadata"]["version"], not url.endswith("-none-any.whl")))
    return WheelCheck(version, platform, tuple(resolved), (), None, seconds)


def check_wheels(packages_for: Callable[[str], Sequence[str]], pythons: Sequence[str] = CHECK_PYTHONS,
                 platforms: Sequence[str] = CHECK_PLATFORMS, python: str = sys.executable) -> List[WheelCheck]:
    """Resolve every (Python, platform) at once: pip waits on the network, not on the CPU."""
    from concurrent.futures import ThreadPoolExecutor

    combos = [(version, platform) for version in pythons for platform in platforms]
    with ThreadPoolExecutor(max_workers=len(combos) or 1) as pool:
        futures = [pool.submit(resolve, version, platform, list(packages_for(platform)), python)
                   for version, platform in combos]
        return [future.result() for future in futures]


def check_report(results: Sequence[WheelCheck], requested: Callable[[str], Sequence[str]]) -> Tuple[List[str], int]:
    """One line per (Python, platform), then a verdict naming every package without a wheel; exit code."""
    lines = []
    for result in results:
        head = f"CPython {result.python} {result.platform}:"
        if not result.ok:
            what = ", ".join(result.missing) if result.missing else result.error
            lines.append(f"{head} NO WHEEL for {what}" if result.missing else f"{head} pip could not resolve: {what}")
            continue
        names = {_project(requirement) for requirement in requested(result.platform)}
        direct = [f"{name} {version}" for name, version, _ in result.resolved if _project(name) in names]
        compiled = [f"{name} {version}" for name, version, binary in result.resolved
                    if binary and _project(name) not in names]
        pure = sum(1 for name, _, binary in result.resolved if not binary and _project(name) not in names)
        lines.append(f"{head} {', '.join(direct)}; compiled: {', '.join(compiled) or 'none'}; "
                     f"+{pure} pure-Python ({result.seconds:.0f} s)")
    failures = [result for result in results if not result.ok]
    if failures:
        named = [f"{what} (CPython {result.python}, {result.platform})" for result in failures
                 for what in (result.missing or (result.error or "pip failed",))]
        lines.append("FAILED: no wheel for " + "; ".join(named))
        return lines, 1
    pythons = sorted({result.python for result in results}, key=lambda v: tuple(int(x) for x in v.split(".")))
    platforms = list(dict.fromkeys(result.platform for result in results))
    lines.append(f"Every package has a wheel for CPython {', '.join(pythons)} on {', '.join(platforms)}.")
    return lines, 0


def _project(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else requirement


def check(pythons: Sequence[str], platforms: Sequence[str], out: Callable[[str], None] = print) -> int:
    pins = shared().pins(REPO)
    requested = lambda platform: packages_for_platform(platform, pins)  # noqa: E731
    start = time.monotonic()
    out(f"Resolving {len(pythons) * len(platforms)} combinations with {sys.executable} -m pip "
        "(wheels only, ignoring this machine's pip configuration)...")
    lines, code = check_report(check_wheels(requested, pythons, platforms), requested)
    for line in lines:
        out(line)
    out(f"({time.monotonic() - start:.0f} s)")
    return code


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--python", help="Talon's Python (default: this one if it is Talon's, else found)")
    parser.add_argument("--vendor", type=Path, default=DEFAULT_VENDOR,
                        help="the packages folder; each Python gets its own folder inside")
    parser.add_argument("--cuda", choices=("auto", "yes", "no"), default="auto", help="install cuBLAS 12")
    parser.add_argument("--cudnn", action="store_true", help="also install cuDNN 9 (older ctranslate2)")
    parser.add_argument("--upgrade", action="store_true", help="install again (newest allowed versions) even if "
                        "nothing changed")
    parser.add_argument("--uninstall", action="store_true", help="remove exactly what was installed")
    parser.add_argument("--tag", help="with --uninstall: another Python's folder (e.g. cp313-win_amd64)")
    parser.add_argument("--model", help="download this model (e.g. large-v3-turbo) ahead of time")
    parser.add_argument("--model-dir", help="where models go (default: the Hugging Face cache)")
    parser.add_argument("--events", action="store_true", help="print one JSON object per line (for the plugin)")
    parser.add_argument("--check", action="store_true", help="prove every pinned package has a wheel everywhere")
    parser.add_argument("--check-python", action="append", help=f"with --check (default {', '.join(CHECK_PYTHONS)})")
    parser.add_argument("--check-platform", action="append",
                        help=f"with --check (default {', '.join(CHECK_PLATFORMS)})")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.check_python or CHECK_PYTHONS, args.check_platform or CHECK_PLATFORMS)
    report = Reporter(events=args.events)
    try:
        if args.uninstall and args.tag:
            uninstall(args.vendor, args.tag, report)
            return 0
        python = args.python or default_python()
        report.step(f"Looking at Talon's Python: {python}")
        info = probe(python)
        if args.uninstall:
            uninstall(args.vendor, tag_of(info), report)
            return 0
        packages = wanted_packages(shared().pins(REPO), cuda_wanted(args.cuda, info["platform"]), args.cudnn)
        manifest, changed = install(python, args.vendor, packages, info=info, upgrade=args.upgrade, report=report)
        if args.model:
            report.step(f"Downloading the model {args.model}")
            download_model(python, args.vendor / manifest["tag"], args.model, args.model_dir, quiet=args.events)
        if changed:
            report.done(f"Installed {', '.join(packages)} into {args.vendor / manifest['tag']} for Python "
                        f"{info['version']}. Restart Talon.", restart=True)
        else:
            report.done(f"Already installed in {args.vendor / manifest['tag']} for Python {info['version']}: "
                        "nothing to do.", restart=False)
    except InstallError as error:
        message = str(error)
        report.failed(message if "untouched" in message else f"{message}. Talon is untouched.")
        return 1
    except Exception as error:  # with --events the plugin must hear of it as one "failed" line
        if not args.events:
            raise
        report.failed(f"{type(error).__name__}: {error}. Talon is untouched.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
