"""After a Talon update the plugin knows its packages were built for another Python, and says
what to type; it finds Talon's Python and the folder for it without importing anything heavy."""

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def _packages():
    from superwhisper2 import packages

    return packages


def _install_tool():
    import importlib

    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module("install")


class _FakePython:
    """A Talon Python on another machine: answers the installer's probe; its pip 'installs' folders."""

    def __init__(self, version, platform, numpy="2.2.0"):
        self.version, self.platform, self.numpy = version, platform, numpy

    def __call__(self, command, **kwargs):
        info = {"version": self.version, "full_version": self.version + ".1", "platform": self.platform,
                "free_threaded": False, "numpy": self.numpy, "numpy_path": None, "executable": command[0],
                "pip": "25.0"}
        return subprocess.CompletedProcess(command, 0, json.dumps(info), "")

    def pip(self, command, on_line):
        target = Path(command[command.index("--target") + 1])
        for name in ("faster_whisper", "faster_whisper-1.2.1.dist-info", "ctranslate2", "ctranslate2-4.8.5.dist-info",
                     "av", "av-18.1.0.dist-info"):
            (target / name).mkdir()
        return 0


def _install_as(root, version, platform):
    install = _install_tool()
    fake = _FakePython(version, platform)
    return install.install("python", root / "vendor" / ".packages", ["faster-whisper==1.2.1"], runner=fake,
                           pip=fake.pip, report=install.Reporter(out=open(os.devnull, "w")))


def test_packages_installed_for_python_3_13_are_not_loaded_when_talon_runs_3_14(tmp_path):
    packages = _packages()
    manifest, changed = _install_as(tmp_path, "3.13", "win-amd64")
    assert changed and manifest["tag"] == "cp313-win_amd64"
    assert manifest["python"]["major_minor"] == "3.13" and manifest["installed"]["ctranslate2"] == "4.8.5"
    assert packages.installed_for(tmp_path, tag="cp313-win_amd64").ok  # the Python they were built for
    state = packages.installed_for(tmp_path, tag="cp314-win_amd64")  # Talon was updated
    assert not state.ok
    assert state.folder == tmp_path / "vendor" / ".packages" / "cp314-win_amd64"
    assert state.problem == "installed for Python 3.13 (cp313-win_amd64); Talon now runs Python 3.14"


def test_an_install_missing_ctranslate2_says_so(tmp_path):
    packages = _packages()
    manifest, _ = _install_as(tmp_path, "3.14", "win-amd64")
    folder = tmp_path / "vendor" / ".packages" / "cp314-win_amd64"
    import shutil

    shutil.rmtree(folder / "ctranslate2")  # an antivirus, a half-synced folder...
    state = packages.installed_for(tmp_path, tag="cp314-win_amd64")
    assert (state.ok, state.problem) == (False, "incomplete: ctranslate2 missing")


def test_with_nothing_installed_the_plugin_hears_not_installed(tmp_path):
    state = _packages().installed_for(tmp_path, tag="cp314-win_amd64")
    assert (state.ok, state.problem) == (False, "not installed")


def test_an_install_from_before_one_folder_per_python_asks_for_the_installer_again(tmp_path):
    """The old installer put everything, manifest included, straight into vendor/.packages."""
    packages = _packages()
    old = tmp_path / "vendor" / ".packages"
    (old / "ctranslate2").mkdir(parents=True)
    (old / packages.MANIFEST).write_text(json.dumps({"packages": ["ctranslate2==4.8.5"], "python": "3.11",
                                                     "entries": ["ctranslate2"], "created_folder": True}))
    state = packages.installed_for(tmp_path, tag="cp314-win_amd64")
    assert (state.ok, state.problem) == (False, "installed for another layout: run the installer again")
    install = _install_tool()
    assert install.uninstall(old, "cp314-win_amd64", install.Reporter(out=open(os.devnull, "w")))
    assert not old.exists()  # the old install is gone with its folder, which it had created


def test_the_folder_is_named_after_the_python_version_and_platform():
    packages = _packages()
    assert packages.interpreter_tag((3, 14), "win-amd64", False) == "cp314-win_amd64"
    assert packages.interpreter_tag((3, 13), "macosx-11.0-arm64", False) == "cp313-macosx_11_0_arm64"
    assert packages.interpreter_tag((3, 11), "linux-x86_64", False) == "cp311-linux_x86_64"
    assert packages.interpreter_tag((3, 14), "win-amd64", True) == "cp314t-win_amd64"  # free-threaded wheels differ
    import sysconfig

    here = packages.interpreter_tag()
    assert here.startswith(f"cp{sys.version_info[0]}{sys.version_info[1]}")
    assert here.endswith(sysconfig.get_platform().replace("-", "_").replace(".", "_"))
    assert packages.vendor_folder(REPO) == REPO / "vendor" / ".packages" / here
    assert packages.tag_python("cp314-win_amd64") == "3.14"


def test_on_windows_the_command_runs_talons_venv_python_not_talon_exe():
    packages = _packages()
    venv = r"C:\Users\ana\AppData\Roaming\talon\venv\3.14"
    python = venv + r"\Scripts\python.exe"
    talon_exe = r"C:\Program Files\Talon\talon.exe"
    assert packages.talon_python(venv, talon_exe, "win32", exists=lambda path: path == python) == python
    assert packages.talon_python(venv, talon_exe, "win32", exists=lambda path: True) == python
    assert packages.talon_python(venv, talon_exe, "win32", exists=lambda path: path == talon_exe) is None
    argv = packages.installer_command(r"C:\Users\ana\AppData\Roaming\talon\user\superwhisper2", python, "win32")
    assert argv == [python, r"C:\Users\ana\AppData\Roaming\talon\user\superwhisper2\tools\install.py"]
    assert packages.command_line(argv, "win32") == (
        r'"C:\Users\ana\AppData\Roaming\talon\venv\3.14\Scripts\python.exe" '
        r'"C:\Users\ana\AppData\Roaming\talon\user\superwhisper2\tools\install.py"')
    assert packages.command_line(argv + ["--cuda", "yes"], "win32").endswith('install.py" --cuda yes')


def test_on_macos_the_command_runs_talons_python3_quoted_for_the_shell():
    packages = _packages()
    talon_app = "/Applications/Talon.app/Contents/MacOS/Talon"
    for home, expected in (
        ("/Users/ana", "/Users/ana/.talon/bin/python3 /Users/ana/.talon/user/superwhisper2/tools/install.py"),
        ("/Users/Ana Lima", "'/Users/Ana Lima/.talon/bin/python3' "
                            "'/Users/Ana Lima/.talon/user/superwhisper2/tools/install.py'"),
    ):
        python = packages.talon_python(home + "/.talon", talon_app, "darwin",
                                       exists=lambda path: path == home + "/.talon/bin/python3")
        assert python == home + "/.talon/bin/python3"
        argv = packages.installer_command(home + "/.talon/user/superwhisper2", python, "darwin")
        assert packages.command_line(argv, "darwin") == expected
    # no python3 beside the prefix: `python`, then sys.executable only when it really is a python
    assert packages.talon_python("/opt/t", "/opt/t/bin/python3.14", "linux",
                                 exists=lambda path: path == "/opt/t/bin/python") == "/opt/t/bin/python"
    assert packages.talon_python("/opt/t", "/usr/bin/python3.14", "linux",
                                 exists=lambda path: path == "/usr/bin/python3.14") == "/usr/bin/python3.14"
    assert packages.talon_python("/opt/t", talon_app, "darwin", exists=lambda path: True) == "/opt/t/bin/python3"
    assert packages.talon_python("/opt/t", talon_app, "darwin", exists=lambda path: path == talon_app) is None


def test_windows_talon_home_python_and_pip_are_found_where_talon_keeps_them():
    paths = _packages()
    environ = {"APPDATA": r"C:\Users\ana\AppData\Roaming"}
    home = r"C:\Users\ana"
    assert paths.talon_home("win32", environ, home) == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon")
    assert paths.user_folder("win32", environ, home).name == "user"
    venv = str(PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\venv"))
    listing = {venv: ["3.9", "3.11", "3.14", "3.13", "notes"]}
    candidates = paths.python_candidates("win32", environ, home, listdir=lambda p: listing.get(p, []))
    assert candidates[0] == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\venv\3.14\Scripts\python.exe")
    assert PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\.venv\Scripts\python.exe") in candidates
    older = str(PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\.venv\Scripts\python.exe"))
    found = paths.find_talon_python("win32", environ, home, exists=lambda p: p == older, listdir=lambda p: [])
    assert str(found) == older
    assert paths.pip_for(found, "win32").name == "pip.bat"
    no_appdata = paths.talon_home("win32", {}, home)
    assert no_appdata == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon")


def test_macos_and_linux_talon_python_sits_beside_its_pip():
    paths = _packages()
    for platform in ("darwin", "linux"):
        python = paths.python_candidates(platform, {}, "/home/ana")[0]
        assert python == PurePosixPath("/home/ana/.talon/bin/python3")
        assert paths.pip_for(python, platform) == PurePosixPath("/home/ana/.talon/bin/pip")


def test_outside_a_talon_user_folder_history_lives_in_talons_usual_home(tmp_path, monkeypatch):
    from superwhisper2 import history

    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    expected = str(_packages().talon_home(sys.platform, os.environ, os.path.expanduser("~")))
    assert history.talon_home(str(tmp_path / "elsewhere" / "superwhisper2" / "history.py")) == expected
    inside = tmp_path / "Talon" / "user" / "superwhisper2" / "superwhisper2" / "history.py"
    assert history.talon_home(str(inside)) == str(tmp_path / "Talon")


def test_the_pins_live_in_pyproject_only():
    pins = _packages().pins(REPO)
    assert "faster-whisper==1.2.1" in pins.base and "ctranslate2==4.8.5" in pins.base
    assert any(pin.startswith("av==18.") for pin in pins.base)  # faster-whisper 1.2.1 needs av < 19
    assert pins.cuda and all(pin.startswith("nvidia-cublas-cu12") for pin in pins.cuda)
    assert pins.cudnn and pins.cudnn[0].startswith("nvidia-cudnn-cu12")
    source = (TOOLS / "install.py").read_text(encoding="utf-8")
    import re

    assert not [pin for pin in pins.base + pins.cuda + pins.cudnn if pin in source]
    assert not re.findall(r"[\"'][A-Za-z0-9_.-]+\s*(?:==|>=|<=|~=)\s*\d", source)  # no requirement of its own


def test_the_start_up_check_reads_a_manifest_and_imports_nothing_heavy(tmp_path):
    _install_as(tmp_path, "3.14", "win-amd64")
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1])\n"
        "from superwhisper2 import packages\n"
        "state = packages.installed_for(sys.argv[2], tag='cp314-win_amd64')\n"
        "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'onnxruntime', 'numpy', 'tomllib', 'subprocess')"
        " if m in sys.modules]\n"
        "print(json.dumps({'ok': state.ok, 'heavy': heavy}))\n"
    )
    out = subprocess.run([sys.executable, "-S", "-c", script, str(REPO), str(tmp_path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True, "heavy": []}


def test_an_installer_that_cannot_start_ends_with_one_failed_event(tmp_path):
    packages = _packages()
    events = []
    thread = packages.run_installer(str(tmp_path / "no-such-python"), REPO, events.append, cuda="no",
                                    vendor=tmp_path / "vendor")
    thread.join(60)
    assert [event.kind for event in events] == ["failed"]
    assert "no-such-python" in events[0].message and "Talon is untouched" in events[0].message


def test_an_installer_that_dies_without_a_word_still_ends_with_one_failed_event(tmp_path):
    """A plugin folder without tools/install.py (a broken copy): python exits 2, the plugin hears why."""
    events = []
    _packages().run_installer(sys.executable, tmp_path, events.append, cuda="no").join(60)
    assert [event.kind for event in events] == ["failed"]
    assert "exit 2" in events[0].message and "install.py" in events[0].message


def test_installing_for_a_python_that_does_not_run_fails_with_one_event_saying_so(tmp_path):
    """`--python` names a file that is not a Python: the installer says which, as its last event."""
    not_python = tmp_path / "python"
    not_python.write_text("not a program")
    out = subprocess.run([sys.executable, str(TOOLS / "install.py"), "--events", "--python", str(not_python),
                          "--vendor", str(tmp_path / "vendor"), "--cuda", "no"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    events = [_packages().InstallEvent.from_json(line) for line in out.stdout.splitlines()]
    assert None not in events  # nothing but events on stdout
    assert [event.kind for event in events][-1] == "failed" and [e.kind for e in events].count("failed") == 1
    assert f"could not run {not_python}" in events[-1].message and "Talon is untouched" in events[-1].message
    assert not (tmp_path / "vendor").exists()


def test_when_pip_finds_nothing_the_install_fails_with_pips_reason_and_leaves_no_folder(tmp_path, monkeypatch):
    """Offline (no index, no links): pip's own last line reaches the plugin, and nothing is left behind."""
    packages = _packages()
    empty = tmp_path / "links"
    empty.mkdir()
    for name, value in {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)}.items():
        monkeypatch.setenv(name, value)
    events = []
    vendor = tmp_path / "vendor" / ".packages"
    thread = packages.run_installer(sys.executable, REPO, events.append, cuda="no", vendor=vendor)
    thread.join(300)
    kinds = [event.kind for event in events]
    assert kinds[0] == "step" and kinds[-1] == "failed" and kinds.count("failed") == 1 and "done" not in kinds
    assert "No matching distribution found for faster-whisper" in events[-1].message
    assert events[-1].message.endswith("Talon is untouched.")
    assert not vendor.exists()
