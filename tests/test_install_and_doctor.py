"""A Talon user installs with one command, and the doctor says exactly what is wrong."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def _packages():
    from superwhisper2 import packages

    return packages


def _tool(name):
    import importlib

    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(name)


def _pypi_or_skip():
    from conftest import pypi_or_skip

    pypi_or_skip()


class _FakePython:
    """Stands in for Talon's Python: answers the probe; its pip 'installs' by creating folders."""

    def __init__(self, numpy, version="3.14", platform="win-amd64"):
        self.numpy, self.version, self.platform, self.commands = numpy, version, platform, []

    def __call__(self, command, **kwargs):
        info = {"version": self.version, "full_version": self.version + ".0", "platform": self.platform,
                "free_threaded": False, "numpy": self.numpy, "numpy_path": None, "executable": command[0],
                "pip": "25.2"}
        return subprocess.CompletedProcess(command, 0, json.dumps(info), "")

    def pip(self, command, on_line):
        self.commands.append(command)
        target = Path(command[command.index("--target") + 1])
        for name in ("faster_whisper", "ctranslate2", "numpy", "numpy.libs", "numpy-2.4.6.dist-info"):
            (target / name).mkdir(exist_ok=True)
        return 0


def _quiet(install):
    return install.Reporter(out=open(os.devnull, "w"), err=open(os.devnull, "w"))


def test_the_numpy_rule_constrains_to_talons_numpy_and_leaves_it_out(tmp_path):
    install = _tool("install")
    vendor = tmp_path / "vendor" / ".packages"
    talon = _FakePython(numpy="1.26.4")
    pins = _packages().pins(REPO)
    wanted = install.wanted_packages(pins, cuda=True, cudnn=False)
    manifest, _ = install.install(r"C:\Talon\python.exe", vendor, wanted, runner=talon, pip=talon.pip,
                                  report=_quiet(install))
    command = talon.commands[-1]
    assert command[:4] == [r"C:\Talon\python.exe", "-m", "pip", "install"]  # Talon's own interpreter's pip
    constraints = Path(command[command.index("--constraint") + 1])
    assert "--target" in command and "--only-binary" in command
    assert set(pins.cuda) <= set(command) and not set(pins.cudnn) & set(command)
    assert manifest["numpy_from_talon"] == "1.26.4"
    folder = vendor / "cp314-win_amd64"
    assert not any(name.startswith("numpy") for name in os.listdir(folder))
    assert not constraints.exists()  # a temporary file, gone


def test_without_a_numpy_in_talon_numpy_is_installed_with_the_rest(tmp_path):
    install = _tool("install")
    vendor = tmp_path / "packages"
    talon = _FakePython(numpy=None, version="3.13", platform="macosx-11.0-arm64")
    install.install("python", vendor, ["faster-whisper==1.2.1"], runner=talon, pip=talon.pip, report=_quiet(install))
    assert "--constraint" not in talon.commands[-1]
    assert (vendor / "cp313-macosx_11_0_arm64" / "numpy").exists()


def test_cuda_wheels_are_wanted_where_an_nvidia_driver_is_seen():
    install = _tool("install")
    assert install.cuda_wanted("auto", "win-amd64", which=lambda name: r"C:\nvidia-smi.exe")
    assert not install.cuda_wanted("auto", "win-amd64", which=lambda name: None)
    assert not install.cuda_wanted("auto", "macosx-11.0-arm64", which=lambda name: "/usr/bin/nvidia-smi")
    assert install.cuda_wanted("yes", "linux-x86_64", which=lambda name: None)


def test_a_talon_update_installs_beside_the_old_python_and_never_mixes_them(tmp_path):
    """3.13's packages stay in their folder; 3.14 gets its own; each uninstall removes its own."""
    install = _tool("install")
    packages = _packages()
    vendor = tmp_path / "vendor" / ".packages"
    for version in ("3.13", "3.14"):
        talon = _FakePython(numpy="2.3.0", version=version)
        install.install("python", vendor, ["faster-whisper==1.2.1"], runner=talon, pip=talon.pip,
                        report=_quiet(install))
    assert sorted(name for name in os.listdir(vendor) if not name.startswith(".")) == ["cp313-win_amd64",
                                                                                     "cp314-win_amd64"]
    assert packages.installed_for(tmp_path, tag="cp314-win_amd64").ok
    install.uninstall(vendor, "cp313-win_amd64", _quiet(install))
    assert os.listdir(vendor) == ["cp314-win_amd64"]
    assert packages.installed_for(tmp_path, tag="cp314-win_amd64").ok


def test_new_pins_replace_the_old_install_and_leave_nothing_of_it(tmp_path):
    """The plugin is updated with other pins: the installer runs again and swaps the whole set."""
    install = _tool("install")
    vendor = tmp_path / "vendor" / ".packages"
    talon = _FakePython(numpy=None)
    first, _ = install.install("python", vendor, ["faster-whisper==1.2.1"], runner=talon, pip=talon.pip,
                               report=_quiet(install))
    (vendor / "cp314-win_amd64" / "old_only").mkdir()  # as if only the old set had it
    first["entries"].append("old_only")
    (vendor / "cp314-win_amd64" / _packages().MANIFEST).write_text(json.dumps(first))
    again, changed = install.install("python", vendor, ["faster-whisper==1.2.1"], runner=talon, pip=talon.pip,
                                     report=_quiet(install))
    assert not changed and len(talon.commands) == 1  # same pins: nothing to do, pip not even run
    second, changed = install.install("python", vendor, ["faster-whisper==1.2.1", "av==18.1.0"], runner=talon,
                                      pip=talon.pip, report=_quiet(install))
    assert changed and second["packages"] == ["faster-whisper==1.2.1", "av==18.1.0"]
    assert not (vendor / "cp314-win_amd64" / "old_only").exists() and "old_only" not in second["entries"]
    assert second["created_folder"] and _packages().installed_for(tmp_path, tag="cp314-win_amd64").ok


def _snapshot(folder):
    if not folder.exists():
        return None
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def test_a_real_install_into_a_talon_like_python_transcribes_then_uninstalls_cleanly(tmp_path, tiny_model_dir):
    """The real pip and real packages: a fresh Python with only its own numpy plays Talon's.

    First the plugin's way, the installer in the background followed event by event; then the
    command line: a second run changes nothing, and --uninstall removes everything."""
    talon_python_dir = tmp_path / "talon-python"
    subprocess.run([sys.executable, "-m", "venv", str(talon_python_dir)], check=True)
    python = str(talon_python_dir / "bin" / "python")
    import numpy

    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"numpy=={numpy.__version__}"],
                   check=True)
    packages = _packages()
    vendor = tmp_path / "vendor" / ".packages"
    assert packages.installed_for(tmp_path).problem == "not installed"
    events = []
    packages.run_installer(python, REPO, events.append, cuda="no", vendor=vendor).join(900)
    kinds = [event.kind for event in events]
    assert kinds[0] == "step" and kinds[-1] == "done" and events[-1].restart, events
    assert "failed" not in kinds and kinds.count("done") == 1
    installing = next(i for i, event in enumerate(events) if re.fullmatch(r"Installing \d+ packages", event.message))
    assert any("ctranslate2" in event.message for event in events[:installing] if event.kind == "progress")
    assert all(0 <= event.fraction <= 1 for event in events if event.fraction is not None)
    state = packages.installed_for(tmp_path)
    folder = vendor / packages.interpreter_tag()  # this Python's own folder
    assert state.ok and state.folder == folder, state
    manifest = packages.read_manifest(folder)
    assert manifest["python"]["executable"] and manifest["installed"]["ctranslate2"] == "4.8.5"
    assert not (folder / "numpy").exists()
    use = subprocess.run([python, "-c", (
        "import sys, json; sys.path.append(sys.argv[1]); sys.path.insert(0, sys.argv[2])\n"
        "import numpy, faster_whisper\n"
        "from superwhisper2.engine.models import ModelSpec, load_model\n"
        "from superwhisper2.engine.transcriber import DecodeOptions, transcribe\n"
        "model = load_model(ModelSpec(model=sys.argv[3], device='cpu'))\n"
        "text = transcribe(model, sys.argv[4], DecodeOptions(language='en')).text\n"
        "print(json.dumps({'numpy': numpy.__file__, 'faster_whisper': faster_whisper.__file__, 'text': text}))"),
        str(folder), str(REPO), str(tiny_model_dir), str(REPO / "superwhisper2" / "engine" / "samples" / "en.wav")],
        capture_output=True, text=True, timeout=300)
    assert use.returncode == 0, use.stderr
    result = json.loads(use.stdout.strip().splitlines()[-1])
    assert result["faster_whisper"].startswith(str(folder))
    assert result["numpy"].startswith(str(talon_python_dir))  # Talon's numpy, not a second copy
    assert "Quilter" in result["text"]
    run = lambda *extra: subprocess.run([sys.executable, str(TOOLS / "install.py"), "--python", python,
                                         "--vendor", str(vendor), "--cuda", "no", *extra],
                                        capture_output=True, text=True, timeout=900)
    installed = _snapshot(vendor)
    second = run()
    assert second.returncode == 0 and "nothing to do" in second.stdout
    assert _snapshot(vendor) == installed
    gone = run("--uninstall")
    assert gone.returncode == 0 and not vendor.exists()  # as before the install: no folder


def test_uninstall_leaves_what_was_there_before(tmp_path):
    install = _tool("install")
    vendor = tmp_path / "packages"
    (vendor / "cp314-win_amd64").mkdir(parents=True)
    (vendor / "users-own-file.txt").write_text("keep me")
    (vendor / "cp314-win_amd64" / "users-own-file.txt").write_text("keep me too")
    talon = _FakePython(numpy="2.0.0")
    install.install("python", vendor, ["faster-whisper==1.2.1"], runner=talon, pip=talon.pip, report=_quiet(install))
    install.uninstall(vendor, "cp314-win_amd64", _quiet(install))
    assert sorted(os.listdir(vendor)) == ["cp314-win_amd64", "users-own-file.txt"]
    assert os.listdir(vendor / "cp314-win_amd64") == ["users-own-file.txt"]


def test_the_wheel_check_passes_for_every_python_talon_ships_on_windows_and_macos():
    """tools/install.py --check: the real pins, PyPI, CPython 3.11-3.14 x Windows x64 and macOS arm64."""
    _pypi_or_skip()
    out = subprocess.run([sys.executable, str(TOOLS / "install.py"), "--check"], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for python in ("3.11", "3.12", "3.13", "3.14"):
        windows = next(line for line in lines if line.startswith(f"CPython {python} win_amd64:"))
        mac = next(line for line in lines if line.startswith(f"CPython {python} macosx_14_0_arm64:"))
        for line in (windows, mac):
            assert "faster-whisper 1.2.1" in line and "ctranslate2 4.8.5" in line and "av 18." in line
        assert "nvidia-cublas-cu12 12." in windows and "nvidia-cublas" not in mac  # no CUDA on a Mac
    assert "Every package has a wheel" in lines[-2]


def test_the_wheel_check_fails_naming_a_package_without_a_wheel_for_one_python():
    """ctranslate2 4.6.0 shipped wheels for 3.13 but none for 3.14: the check names it, and exits non-zero."""
    _pypi_or_skip()
    install = _tool("install")
    pins = _packages().pins(REPO)
    old = lambda platform: ["ctranslate2==4.6.0" if pin.startswith("ctranslate2") else pin for pin in pins.base]
    results = install.check_wheels(old, pythons=("3.13", "3.14"), platforms=("win_amd64",))
    lines, code = install.check_report(results, old)
    assert code == 1
    assert lines[0].startswith("CPython 3.13 win_amd64: ") and "ctranslate2 4.6.0" in lines[0]
    assert lines[1].startswith("CPython 3.14 win_amd64: NO WHEEL for ctranslate2==4.6.0")
    assert lines[-1] == "FAILED: no wheel for ctranslate2==4.6.0 (CPython 3.14, win_amd64)"


def _doctor(*args):
    return subprocess.run([sys.executable, str(TOOLS / "doctor.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_the_doctor_reports_cpu_the_model_and_a_correct_transcription(base_model_dir):
    out = _doctor("--model", base_model_dir, "--language", "fr")
    assert out.returncode == 0, out.stdout
    assert "CUDA devices: none seen" in out.stdout
    assert f"model: {base_model_dir} on cpu int8" in out.stdout
    assert "consulat" in out.stdout and "Everything works." in out.stdout  # not one CPU's exact words
    assert "package numpy" in out.stdout


def test_the_doctor_names_a_broken_model_folder_and_fails(tmp_path):
    broken = tmp_path / "my-model"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model")
    out = _doctor("--model", broken)
    assert out.returncode != 0
    assert str(broken) in out.stdout and "->" in out.stdout


def test_without_the_packages_the_plugin_names_the_missing_step(tmp_path):
    """In a Talon whose Python lacks faster-whisper: a notification, not an import traceback."""
    script = (
        "import sys, os; sys.path.insert(0, sys.argv[1] + '/tests')\n"
        "from talon_sim import Talon, user_dir_with\n"
        "sim = Talon(user_dir_with(sys.argv[1], sys.argv[2]), unavailable=['faster_whisper', 'ctranslate2'])\n"
        "sim.start(); sim.settle()\n"
        "print(sim.notifications, sim.errors)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(REPO), str(tmp_path / "user")], capture_output=True,
                         text=True, timeout=120, cwd="/")
    assert out.returncode == 0, out.stderr
    assert "tools/install.py" in out.stdout and "not installed" in out.stdout
    assert out.stdout.strip().endswith("[]")  # no errors


def test_whisper_doctor_inside_talon_logs_the_report_and_notifies_a_summary(talon, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="superwhisper2")
    sim = talon()
    assert sim.speak(words="whisper doctor").ran == ["user.whisper_doctor"]
    assert sim.wait_until(lambda: any("doctor" in n["title"] for n in sim.notifications), 120)
    assert [n for n in sim.notifications if "doctor" in n["title"]][-1]["body"] == "Everything works."
    assert "transcription: heard" in caplog.text


def test_the_plugin_puts_this_pythons_vendor_folder_on_sys_path_after_talons_own(tmp_path):
    """Once Talon is ready: this Python's folder, last, so Talon's own numpy wins; nothing at import."""
    import json
    import shutil

    from talon_sim import Dictation

    packages = _packages()
    plugin = tmp_path / "plugin"
    shutil.copytree(REPO / "superwhisper2", plugin / "superwhisper2", ignore=shutil.ignore_patterns("__pycache__"))
    folder = packages.vendor_folder(plugin)
    for name in packages.ESSENTIAL:
        (folder / name).mkdir(parents=True)
    (folder / packages.MANIFEST).write_text(json.dumps({"layout": packages.LAYOUT, "entries": list(packages.ESSENTIAL)}))
    before = list(sys.path)
    run = Dictation.start(str(plugin), str(tmp_path / "talon"), launch=False)
    try:
        run.talon.start()
        run.talon.settle()
        added = [path for path in sys.path if path not in before]
        assert [os.path.realpath(path) for path in added] == [os.path.realpath(folder)], added
        assert sys.path[-1] == added[0]  # after Talon's own paths
    finally:
        run.shutdown()
        sys.path[:] = before


def test_install_model_fetches_through_faster_whisper_into_the_model_folder(tmp_path, tiny_model_dir, monkeypatch):
    """The hub is out of reach here: a model folder already holding tiny.en proves the wiring."""
    install = _tool("install")
    repo = tmp_path / "models" / "models--Systran--faster-whisper-tiny.en"
    import shutil

    shutil.copytree(tiny_model_dir, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    outputs = []

    def run(command, **kwargs):
        out = subprocess.run(command, capture_output=True, text=True)
        outputs.append(out)
        return out

    install.download_model(sys.executable, tmp_path / "vendor", "tiny.en", str(tmp_path / "models"), runner=run)
    assert outputs[-1].returncode == 0 and "0123abc" in outputs[-1].stdout
    import pytest

    with pytest.raises(install.InstallError, match="downloading no-such-model failed"):
        install.download_model(sys.executable, tmp_path / "vendor", "no-such-model", str(tmp_path / "models"), runner=run)
