"""A new user on today's Talon: the packages installed for another Python are noticed and the exact
command shown, "whisper install" installs them from inside Talon, and the first model download
shows its progress, survives a dropped connection, and types what was said meanwhile."""

import json
import shutil
import sys
import time
from pathlib import Path
REPO = Path(__file__).resolve().parent.parent


def _plugin_copy(tmp_path: Path) -> Path:
    """The plugin as a user unpacks it (its own vendor/ folder, so installs land in tmp)."""
    copy = tmp_path / "superwhisper2-copy"
    for part in ("superwhisper2", "tools"):
        shutil.copytree(REPO / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_packages_installed_for_another_python_are_named_with_the_exact_command_and_nothing_loads(tmp_path, story):
    """Talon was updated from 3.13 to this Python: its wheels must not be loaded, the user is told what
    to run (built from Talon's own Python), and no model load is attempted (no ImportError later)."""
    sys.path.insert(0, str(REPO))
    from superwhisper2 import packages
    from talon_sim import Dictation

    plugin = _plugin_copy(tmp_path)
    other = plugin / "vendor" / ".packages" / "cp313-win_amd64"
    other.mkdir(parents=True)
    (other / "ctranslate2").mkdir()
    (other / packages.MANIFEST).write_text(json.dumps({
        "layout": packages.LAYOUT, "python": {"major_minor": "3.13", "platform": "win-amd64"},
        "entries": ["ctranslate2"]}), encoding="utf-8")
    run = Dictation.start(str(plugin), str(tmp_path / "talon"), {"user.whisper_model": "large-v3-turbo"},
                          unavailable=["faster_whisper", "ctranslate2", "onnxruntime"])
    try:
        sim = run.talon
        sim.settle()
        told = [n for n in sim.notifications if "not installed" in n["title"]]
        assert len(told) == 1, sim.notifications
        installed_at = Path(sim.user_dir) / "superwhisper2"  # where the user put it, in Talon's user folder
        command = packages.command_line(packages.installer_command(installed_at, packages.talon_python()))
        assert "Python 3.13" in told[0]["body"] and command in told[0]["body"], told[0]["body"]
        assert str(other) not in sys.path
        sim.press(story.hotkey)  # the user tries anyway: told again, nothing starts, nothing loads
        sim.settle()
        assert "user.whisper" not in sim.modes
        assert run.session.keeper.loading is None and run.session.keeper.model is None
        assert sim.errors == [] and len([n for n in sim.notifications if "not installed" in n["title"]]) == 2
    finally:
        run.shutdown()


def test_packages_that_arrive_while_talon_runs_dictate_without_a_restart(tmp_path, base_model_dir, phrases, story):
    """Talon started without the packages; the user installed them ("whisper install") and presses
    Win+Shift+V instead of restarting Talon: the dictation works, no phrase waits for a worker."""
    from talon_sim import Dictation

    run = Dictation.start(str(_plugin_copy(tmp_path)), str(tmp_path / "talon"),
                          {"user.whisper_model": str(base_model_dir), "user.whisper_device": "cpu",
                           "user.whisper_language": "en"}, unavailable=["faster_whisper", "ctranslate2", "onnxruntime"])
    try:
        sim = run.talon
        sim.settle()
        assert [n for n in sim.notifications if "not installed" in n["title"]], sim.notifications
        sim.install_packages()
        sim.press(story.hotkey)
        run.wait_ready()
        sim.speak(phrases["quilter_en.wav"])
        assert sim.wait_until(lambda: "quilter" in sim.document.lower(), 90), (sim.document, run.records())
        assert sim.errors == []
    finally:
        run.shutdown()


def test_whisper_install_installs_for_talons_own_python_and_shows_its_progress(tmp_path):
    """From inside Talon, by voice: the installer runs with Talon's Python in the background, the
    overlay follows it, and the last word says to restart Talon."""
    from conftest import pypi_or_skip
    from talon_sim import Dictation

    from superwhisper2.packages import interpreter_tag

    pypi_or_skip()
    plugin = _plugin_copy(tmp_path)
    run = Dictation.start(str(plugin), str(tmp_path / "talon"), {"user.whisper_model": "large-v3-turbo"},
                          unavailable=["faster_whisper", "ctranslate2", "onnxruntime"])
    try:
        sim = run.talon
        sim.settle()
        shown = []
        assert sim.speak(words="whisper install").ran == ["user.whisper_install"]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not any("install" in n["title"] and "not installed" not in n["title"]
                                                       for n in sim.notifications):
            shown.append(tuple(sim.overlay_lines()))
            time.sleep(0.5)
        last = [n for n in sim.notifications if n["title"].endswith(("installed", "install failed"))]
        assert last and last[-1]["title"] == "superwhisper2: installed", (sim.notifications, shown[-3:])
        assert "Restart Talon" in last[-1]["body"]
        assert any(lines[:1] == ("Whisper: installing",) and len(lines) > 1 for lines in shown), set(shown)
        vendor = plugin / "vendor" / ".packages"
        assert [folder.name for folder in vendor.iterdir()] == [interpreter_tag()]  # for this Python only
    finally:
        run.shutdown()


def test_the_first_download_shows_progress_survives_a_drop_and_types_what_was_said_meanwhile(
        talon, story, tmp_path, base_model_dir, phrases, transcripts, wer):
    from hub_server import serve

    sizes = sum(path.stat().st_size for path in base_model_dir.iterdir())
    with serve({"Systran/faster-whisper-base": base_model_dir}, rate=sizes / 5,
               drop_after=(base_model_dir / "model.bin").stat().st_size // 2) as hub, hub.online():
        sim = talon(settings={"user.whisper_model": "base", "user.whisper_model_dir": str(tmp_path / "models"),
                              "user.whisper_device": "cpu"})
        sim.press(story.hotkey)
        sim.speak(phrases["consulat_fr.wav"])  # said while the model downloads: it waits
        seen = []
        while story.session().keeper.model is None and len(seen) < 600:
            lines = sim.overlay_lines()
            downloading = [line for line in lines if line.startswith("Downloading base:")]
            seen.append((time.monotonic(), downloading[0] if downloading else None))
            time.sleep(0.1)
        assert hub.dropped, "the server dropped the connection halfway"
    assert story.session().keeper.model is not None, sim.notifications
    shown = [(at, line) for at, line in seen if line]
    changes = [at for (at, line), (_, before) in zip(shown[1:], shown) if line != before]
    assert len(changes) >= 3 and max(b - a for a, b in zip(changes, changes[1:])) <= 1.5, shown
    assert any("MB/s" in line and "left" in line for _, line in shown), shown
    text = story.typed(sim, 1, timeout=120)
    assert wer(transcripts["consulat_fr.wav"]["text"], text) <= 0.15, text
    assert sim.errors == [] and not [n for n in sim.notifications if "not loaded" in n["title"]]
