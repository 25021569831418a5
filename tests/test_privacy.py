"""Privacy: nothing leaves the machine, nothing is written, a downloaded model loads with the network cut."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Cut the network for the whole process: every attempt to connect or resolve is recorded and fails.
BLOCKED_RUN = r"""
import socket, sys, runpy
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args)[:120])
    raise OSError("network blocked by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as end:
    code = end.code
else:
    code = 0
print("NETWORK ATTEMPTS:", len(attempts), attempts[:3], file=sys.stderr)
sys.exit(code if not attempts else 99)
"""


def _files(folder):
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in Path(folder).rglob("*")}


def test_a_named_model_loads_and_transcribes_with_the_network_blocked_and_writes_nothing(tmp_path, tiny_model_dir,
                                                                                         audio_dir, transcripts, wer):
    models = tmp_path / "models"  # what `install.py --model tiny.en` leaves behind, in faster-whisper's layout
    repo = models / "models--Systran--faster-whisper-tiny.en"
    shutil.copytree(tiny_model_dir, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}  # nothing forces offline mode
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    before = {"home": _files(home), "models": _files(models)}
    out = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, str(REPO / "tools" / "replay.py"), str(audio_dir / "quilter_en.wav"),
         "--model", "tiny.en", "--model-dir", str(models), "--language", "en"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "NETWORK ATTEMPTS: 0" in out.stderr
    assert wer(transcripts["quilter_en.wav"]["text"], out.stdout) <= 0.15
    assert _files(home) == before["home"]  # no cache, no config, no audio, no text written
    assert _files(models) == before["models"]
