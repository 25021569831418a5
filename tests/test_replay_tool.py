"""Without Talon, anyone sees the main job: tools/replay.py types the shared French sentence."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _replay(*args):
    out = subprocess.run([sys.executable, str(REPO / "tools" / "replay.py"), *map(str, args)],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_replay_prints_the_french_sentence(audio_dir, base_model_dir, base_model, transcripts, wer):
    """No worse than the bare model on this machine (int8 kernels differ between CPUs: a
    borderline word may flip, so the margin is two words of thirteen)."""
    typed = _replay(audio_dir / "consulat_fr.wav", "--model", base_model_dir)
    reference = transcripts["consulat_fr.wav"]["text"]
    segments, _ = base_model.whisper.transcribe(str(audio_dir / "consulat_fr.wav"), language="fr", beam_size=5)
    bare = " ".join(segment.text for segment in segments)
    assert "consulat" in typed.lower()
    assert wer(reference, typed) <= wer(reference, bare) + 0.16, (typed, bare)


def test_replay_json_gives_one_object_per_phrase_with_latency_and_stages(audio_dir, transcripts, wer):
    lines = _replay(audio_dir / "quilter_en.wav", audio_dir / "noise_only.wav", "--model", "pypi:base",
                    "--language", "en", "--json").strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(r["file"] == "quilter_en.wav" for r in records)  # noise made no phrase
    for record in records:
        assert {"file", "text", "language", "audio_seconds", "latency_ms", "stages_ms"} <= set(record)
        assert record["latency_ms"] > 0 and record["stages_ms"]["encoder"] > 0
    assert wer(transcripts["quilter_en.wav"]["text"], " ".join(r["text"] for r in records)) <= 0.10
