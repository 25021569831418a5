"""Install what superwhisper2 needs into Talon's Python, without ever breaking Talon.

    <Talon's python> tools/install.py [--cuda auto|yes|no] [--cudnn] [--upgrade] [--uninstall]
                                      [--model NAME] [--python PATH] [--vendor DIR]

Packages go into vendor/.packages (a dot-folder: Talon's loader skips it); the plugin adds
it to sys.path after Talon's own paths. Talon's numpy is never replaced or shadowed: the
install is constrained to Talon's numpy version and numpy is left out of the folder. A
manifest records exactly what was installed, so a second run changes nothing and
--uninstall removes exactly that. Talon imports this file too: work happens under __main__.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VENDOR = REPO / "vendor" / ".packages"
MANIFEST = ".superwhisper2-manifest.json"
PACKAGES = ["faster-whisper==1.2.1", "ctranslate2==4.8.5"]
CUBLAS = "nvidia-cublas-cu12>=12.4,<13"  # ctranslate2 4.8 needs cuBLAS 12 and no cuDNN
CUDNN = "nvidia-cudnn-cu12>=9,<10"  # only for older ctranslate2, or when asked
NUMPY_ENTRIES = ("numpy", "numpy.libs", "numpy-")

Runner = Callable[..., subprocess.CompletedProcess]

PROBE = (
    "import json, sys, sysconfig\n"
    "try:\n    import numpy; numpy_version = numpy.__version__; numpy_path = numpy.__file__\n"
    "except ImportError:\n    numpy_version = numpy_path = None\n"
    "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'platform': sysconfig.get_platform(),"
    " 'numpy': numpy_version, 'numpy_path': numpy_path, 'executable': sys.executable}))"
)


class InstallError(RuntimeError):
    """An install step failed; the message says what to do next."""


def probe(python: str, runner: Runner = subprocess.run) -> Dict[str, Any]:
    """The target interpreter's version, platform and numpy."""
    out = runner([python, "-c", PROBE], capture_output=True, text=True)
    if out.returncode != 0:
        raise InstallError(f"could not run {python}: {out.stderr.strip()[-300:]}. Check the --python path")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wanted_packages(cuda: bool, cudnn: bool) -> List[str]:
    return PACKAGES + ([CUBLAS] if cuda else []) + ([CUDNN] if cudnn else [])


def cuda_wanted(choice: str, platform: str, which: Callable[[str], Optional[str]] = shutil.which) -> bool:
    """`auto`: an NVIDIA driver is present (nvidia-smi) on Windows or Linux; macOS never."""
    if choice in ("yes", "no"):
        return choice == "yes"
    return not platform.startswith("macosx") and which("nvidia-smi") is not None


def pip_install_command(python: str, target: Path, packages: Sequence[str], constraints: Optional[Path],
                        upgrade: bool) -> List[str]:
    command = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
               "--target", str(target), "--only-binary", ":all:"]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    if upgrade:
        command += ["--upgrade"]
    return command + list(packages)


def read_manifest(target: Path) -> Optional[Dict[str, Any]]:
    try:
        return json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def install(python: str, target: Path, cuda: bool, cudnn: bool = False, upgrade: bool = False,
            runner: Runner = subprocess.run, log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Install into `target` for `python`; returns the manifest. Does nothing if already done."""
    info = probe(python, runner)
    packages = wanted_packages(cuda, cudnn)
    manifest = read_manifest(target)
    if (not upgrade and manifest and manifest.get("packages") == packages
            and manifest.get("python") == info["version"]
            and all((target / entry).exists() for entry in manifest.get("entries", []))):
        log(f"Already installed in {target} for Python {info['version']}: nothing to do.")
        return manifest
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    before = set(os.listdir(target)) - {MANIFEST}
    constraints = None
    with tempfile.TemporaryDirectory() as temp:
        if info["numpy"]:
            log(f"Talon's numpy {info['numpy']} stays in charge: the install is constrained to it.")
            constraints = Path(temp) / "constraints.txt"
            constraints.write_text(f"numpy=={info['numpy']}\n")
        command = pip_install_command(python, target, packages, constraints, upgrade)
        log("Running: " + " ".join(command))
        out = runner(command)
    if out.returncode != 0:
        hint = (f" faster-whisper may not support Talon's numpy {info['numpy']}: update Talon, or report it."
                if info["numpy"] else "")
        raise InstallError(f"pip failed (exit {out.returncode}): read its message above.{hint} Talon is untouched.")
    recorded = set(manifest.get("entries", [])) if manifest else set()
    added = set(os.listdir(target)) - {MANIFEST} - before
    if info["numpy"]:
        for entry in [e for e in added if e == "numpy" or e.startswith(NUMPY_ENTRIES)]:
            _remove(target / entry)  # Talon's numpy serves; a second copy could shadow it
    entries = sorted(e for e in recorded | added if (target / e).exists() or (target / e).is_symlink())
    manifest = {
        "packages": packages, "python": info["version"], "platform": info["platform"],
        "numpy_from_talon": info["numpy"], "entries": entries,
        "created_folder": manifest["created_folder"] if manifest else created,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    log(f"Installed {', '.join(packages)} into {target}. Restart Talon.")
    return manifest


def uninstall(target: Path, log: Callable[[str], None] = print) -> None:
    """Remove exactly what install() put there (and the folder, if install created it)."""
    manifest = read_manifest(target)
    if manifest is None:
        log(f"Nothing installed by superwhisper2 in {target}.")
        return
    for entry in manifest.get("entries", []):
        _remove(target / entry)
    (target / MANIFEST).unlink()
    if manifest.get("created_folder") and target.exists() and not os.listdir(target):
        target.rmdir()
    log(f"Removed what superwhisper2 installed in {target}.")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def download_model(python: str, target: Path, name: str, model_dir: Optional[str],
                   runner: Runner = subprocess.run) -> None:
    """Download a named model ahead of time, with faster-whisper's progress bars."""
    script = (
        "import sys; sys.path.append(sys.argv[1]);"
        "from faster_whisper.utils import download_model;"
        "print(download_model(sys.argv[2], cache_dir=sys.argv[3] or None))"
    )
    out = runner([python, "-c", script, str(target), name, model_dir or ""])
    if out.returncode != 0:
        raise InstallError(f"downloading {name} failed: check the network and the name (large-v3-turbo, base...)")


def default_python(platform: str = sys.platform) -> str:
    """This interpreter if it is Talon's; else Talon's, found where Talon keeps it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import talon_paths

    home = talon_paths.talon_home(platform, os.environ, str(Path.home()))
    if str(Path(sys.executable)).lower().startswith(str(home).lower()):
        return sys.executable
    found = talon_paths.find_talon_python(platform, os.environ, str(Path.home()))
    if found is None:
        raise InstallError(f"Talon's Python was not found under {home}: run this with Talon's Python, "
                           "or pass --python PATH_TO_TALON_PYTHON")
    return str(found)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="Talon's Python (default: this one if it is Talon's, else found)")
    parser.add_argument("--vendor", type=Path, default=DEFAULT_VENDOR, help="where packages go")
    parser.add_argument("--cuda", choices=("auto", "yes", "no"), default="auto", help="install cuBLAS 12")
    parser.add_argument("--cudnn", action="store_true", help="also install cuDNN 9 (older ctranslate2)")
    parser.add_argument("--upgrade", action="store_true")
    parser.add_argument("--uninstall", action="store_true")
    parser.add_argument("--model", help="download this model (e.g. large-v3-turbo) ahead of time")
    parser.add_argument("--model-dir", help="where models go (default: the Hugging Face cache)")
    args = parser.parse_args(argv)
    try:
        if args.uninstall:
            uninstall(args.vendor)
            return 0
        python = args.python or default_python()
        info = probe(python)
        install(python, args.vendor, cuda_wanted(args.cuda, info["platform"]), args.cudnn, args.upgrade)
        if args.model:
            download_model(python, args.vendor, args.model, args.model_dir)
    except InstallError as error:
        print(f"superwhisper2 install: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
