"""The engine knows nothing of Talon: every file imports, and a phrase is transcribed, with Talon absent."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import importlib, sys
class NoTalon:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "talon":
            raise ImportError("talon is not here")
sys.meta_path.insert(0, NoTalon())
sys.path.insert(0, sys.argv[1])
from pathlib import Path
for path in sorted(Path(sys.argv[1], "superwhisper2", "engine").glob("*.py")):
    importlib.import_module("superwhisper2.engine." + path.stem)
from superwhisper2.engine.models import ModelSpec, load_model
from superwhisper2.engine.transcriber import DecodeOptions, transcribe
model = load_model(ModelSpec(model=sys.argv[2], device="cpu"))
print(transcribe(model, sys.argv[3], DecodeOptions(language="en")).text)
print("talon" in sys.modules)
"""


def test_every_engine_file_imports_and_works_without_talon(tiny_model_dir):
    sample = REPO / "superwhisper2" / "engine" / "samples" / "en.wav"
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO), str(tiny_model_dir), str(sample)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text, talon_loaded = out.stdout.strip().splitlines()[-2:]
    assert "Quilter" in text and talon_loaded == "False"


def test_latency_figures_percentiles_moving_average_and_real_time_factor():
    from superwhisper2.engine.stats import LatencyStats, percentile

    assert percentile([], 0.5) is None and percentile([3.0], 0.95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    stats = LatencyStats(window=3, smoothing=0.5)
    for latency, audio in ((0.2, 2.0), (0.4, 2.0), (0.6, 2.0), (0.8, 2.0)):
        stats.record(latency, audio, {"encoder": latency / 2, "total": latency})
    stats.record_error()
    summary = stats.summary()
    assert summary["count"] == 4 and summary["errors"] == 1
    assert summary["p50_ms"] == 600.0  # over the last 3 phrases only
    assert summary["moving_average_ms"] == 625.0  # 0.2 -> 0.3 -> 0.45 -> 0.625
    assert summary["real_time_factor"] == 0.25  # 2 s of processing for 8 s of audio
    assert summary["stages_p50_ms"]["encoder"] == 300.0
