"""A Talon user installs with one command, and the doctor says exactly what is wrong."""

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def _tool(name):
    import importlib

    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(name)


def test_windows_talon_home_python_and_pip_are_found_where_talon_keeps_them():
    paths = _tool("talon_paths")
    environ = {"APPDATA": r"C:\Users\ana\AppData\Roaming"}
    home = r"C:\Users\ana"
    assert paths.talon_home("win32", environ, home) == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon")
    assert paths.user_folder("win32", environ, home).name == "user"
    venv = str(PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\venv"))
    candidates = paths.python_candidates("win32", environ, home, listdir=lambda p: ["3.11", "3.13"] if p == venv else [])
    assert candidates[0] == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\venv\3.13\Scripts\python.exe")
    assert PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\.venv\Scripts\python.exe") in candidates
    older = str(PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon\.venv\Scripts\python.exe"))
    found = paths.find_talon_python("win32", environ, home, exists=lambda p: p == older, listdir=lambda p: [])
    assert str(found) == older
    assert paths.pip_for(found, "win32").name == "pip.bat"
    no_appdata = paths.talon_home("win32", {}, home)
    assert no_appdata == PureWindowsPath(r"C:\Users\ana\AppData\Roaming\Talon")


def test_macos_and_linux_talon_python_sits_beside_its_pip():
    paths = _tool("talon_paths")
    for platform in ("darwin", "linux"):
        python = paths.python_candidates(platform, {}, "/home/ana")[0]
        assert python == PurePosixPath("/home/ana/.talon/bin/python3")
        assert paths.pip_for(python, platform) == PurePosixPath("/home/ana/.talon/bin/pip")


class _FakePip:
    """Stands in for a target interpreter: answers the probe, 'installs' by creating folders."""

    def __init__(self, target, numpy):
        self.target, self.numpy, self.commands = Path(target), numpy, []

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        if command[1] == "-c":
            info = {"version": "3.11", "platform": "win-amd64", "numpy": self.numpy, "numpy_path": None,
                    "executable": command[0]}
            return subprocess.CompletedProcess(command, 0, json.dumps(info), "")
        for name in ("faster_whisper", "ctranslate2", "numpy", "numpy.libs", "numpy-2.4.6.dist-info"):
            (self.target / name).mkdir(exist_ok=True)
        return subprocess.CompletedProcess(command, 0, "", "")


def test_the_numpy_rule_constrains_to_talons_numpy_and_leaves_it_out(tmp_path):
    install = _tool("install")
    target = tmp_path / "vendor" / ".packages"
    pip = _FakePip(target, numpy="1.26.4")
    manifest = install.install(r"C:\Talon\python.exe", target, cuda=True, runner=pip, log=lambda line: None)
    command = pip.commands[-1]
    assert command[:4] == [r"C:\Talon\python.exe", "-m", "pip", "install"]  # Talon's own interpreter's pip
    constraints = Path(command[command.index("--constraint") + 1])
    assert "--target" in command and str(target) in command
    assert install.CUBLAS in command and "nvidia-cudnn-cu12>=9,<10" not in command
    assert manifest["numpy_from_talon"] == "1.26.4"
    assert not any(name.startswith("numpy") for name in os.listdir(target))
    assert not constraints.exists()  # a temporary file, gone


def test_without_a_numpy_in_talon_numpy_is_installed_with_the_rest(tmp_path):
    install = _tool("install")
    target = tmp_path / "packages"
    pip = _FakePip(target, numpy=None)
    install.install("python", target, cuda=False, runner=pip, log=lambda line: None)
    assert "--constraint" not in pip.commands[-1]
    assert (target / "numpy").exists()


def test_cuda_wheels_are_wanted_where_an_nvidia_driver_is_seen():
    install = _tool("install")
    assert install.cuda_wanted("auto", "win-amd64", which=lambda name: r"C:\nvidia-smi.exe")
    assert not install.cuda_wanted("auto", "win-amd64", which=lambda name: None)
    assert not install.cuda_wanted("auto", "macosx-11.0-arm64", which=lambda name: "/usr/bin/nvidia-smi")
    assert install.cuda_wanted("yes", "linux-x86_64", which=lambda name: None)


def _snapshot(folder):
    if not folder.exists():
        return None
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def test_a_real_install_into_a_talon_like_python_transcribes_then_uninstalls_cleanly(tmp_path, tiny_model_dir):
    """The real pip and real packages: a fresh Python with only its own numpy plays Talon's."""
    talon_python_dir = tmp_path / "talon-python"
    subprocess.run([sys.executable, "-m", "venv", str(talon_python_dir)], check=True)
    python = str(talon_python_dir / "bin" / "python")
    import numpy

    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"numpy=={numpy.__version__}"],
                   check=True)
    vendor = tmp_path / "vendor" / ".packages"
    run = lambda *extra: subprocess.run([sys.executable, str(TOOLS / "install.py"), "--python", python,
                                         "--vendor", str(vendor), "--cuda", "no", *extra],
                                        capture_output=True, text=True, timeout=900)
    first = run()
    assert first.returncode == 0, first.stdout + first.stderr
    assert not (vendor / "numpy").exists()
    use = subprocess.run([python, "-c", (
        "import sys, json; sys.path.append(sys.argv[1]); sys.path.insert(0, sys.argv[2])\n"
        "import numpy, faster_whisper\n"
        "from superwhisper2.engine.models import ModelSpec, load_model\n"
        "from superwhisper2.engine.transcriber import DecodeOptions, transcribe\n"
        "model = load_model(ModelSpec(model=sys.argv[3], device='cpu'))\n"
        "text = transcribe(model, sys.argv[4], DecodeOptions(language='en')).text\n"
        "print(json.dumps({'numpy': numpy.__file__, 'faster_whisper': faster_whisper.__file__, 'text': text}))"),
        str(vendor), str(REPO), str(tiny_model_dir), str(REPO / "superwhisper2" / "engine" / "samples" / "en.wav")],
        capture_output=True, text=True, timeout=300)
    assert use.returncode == 0, use.stderr
    result = json.loads(use.stdout.strip().splitlines()[-1])
    assert result["faster_whisper"].startswith(str(vendor))
    assert result["numpy"].startswith(str(talon_python_dir))  # Talon's numpy, not a second copy
    assert "Quilter" in result["text"]
    installed = _snapshot(vendor)
    second = run()
    assert second.returncode == 0 and "nothing to do" in second.stdout
    assert _snapshot(vendor) == installed
    gone = run("--uninstall")
    assert gone.returncode == 0 and not vendor.exists()  # as before the install: no folder


def test_uninstall_leaves_what_was_there_before(tmp_path):
    install = _tool("install")
    target = tmp_path / "packages"
    target.mkdir()
    (target / "users-own-file.txt").write_text("keep me")
    install.install("python", target, cuda=False, runner=_FakePip(target, numpy="2.0.0"), log=lambda line: None)
    install.uninstall(target, log=lambda line: None)
    assert os.listdir(target) == ["users-own-file.txt"]


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


def test_the_plugin_puts_the_vendor_folder_on_sys_path_after_talons_own(tmp_path):
    from talon_sim import import_report

    vendor = REPO / "vendor" / ".packages"
    made = not vendor.exists()
    vendor.mkdir(parents=True, exist_ok=True)
    try:
        report = import_report(str(REPO))
    finally:
        if made:
            vendor.rmdir()
    assert report["errors"] == []
    assert report["path_tail"].endswith(os.path.join("vendor", ".packages"))  # last: Talon's numpy wins


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
