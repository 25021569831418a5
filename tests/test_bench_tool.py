"""tools/bench.py gives the figures docs/BENCHMARKS.md records (structure only: speed is not asserted)."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_bench_json_has_every_figure_and_one_model_after_reloads(audio_dir):
    out = subprocess.run([sys.executable, str(REPO / "tools" / "bench.py"), "--repeat", "1", "--json"],
                         capture_output=True, text=True, timeout=900, cwd=REPO)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for key in ("plugin_p50_ms", "stock_p50_ms", "design_p50_ms", "ratio_plugin_stock", "ratio_plugin_design",
                "wer", "main_thread_p95_ms", "main_thread_max_ms", "import_ms", "model", "device", "compute_type"):
        assert key in result, key
    assert set(result["wer"]) == {"plugin", "stock", "design"} and set(result["wer"]["plugin"]) == {"en", "fr"}
    assert result["models_loaded_after_reloads"] == 1 and result["model_loads_during_reloads"] == 0
    assert result["import_errors"] == []
    assert result["wer"]["plugin"]["fr"] <= 0.10 and result["wer"]["plugin"]["en"] <= 0.10
    for key in ("sentence_join_p50_ms", "sentence_alone_p50_ms", "ratio_sentence_join_alone"):
        assert key in result, key
    work = result["plugin_work_per_phrase"]  # the decoding work each phrase took, visible in one run
    assert work["encoder_passes"] >= 1 and work["decoder_steps"] > 0 and "fallbacks" in work
    assert result["sentence_join_wer"] <= result["sentence_alone_wer"]  # said with pauses: no worse joined
