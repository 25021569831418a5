#!/usr/bin/env bash
# The GPU check in one go (issue: the plugin on CUDA against bare faster-whisper), for a machine
# with an NVIDIA GPU and no network. Run from the repository root:
#
#   WHEELS=folder-of-wheels-for-requirements/gpu-check.in \
#   TINY=path/to/tiny.en-folder BASE=path/to/base-folder AUDIO=path/to/shared/audio \
#   bash tools/gpu_check.sh > gpu.txt
#
# It installs the wheels into a throw-away folder (never into the system), makes cuBLAS 12
# loadable (a libcublas.so.12 link to the CUDA 13 library where only that exists), runs the
# doctor on CUDA (it fails when the model silently falls back to the CPU), then tools/bench.py
# --device cuda with tiny.en and base: plugin, stock and design side by side, per-stage times,
# second decodes and the plugin's overhead. Paste the tables into docs/BENCHMARKS.md with the card.
set -euo pipefail
: "${WHEELS:?a folder of wheels}" "${TINY:?the tiny.en model folder}" "${BASE:?the base model folder}"
: "${AUDIO:?the shared audio folder}"
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
"$PY" -m pip install --quiet --no-index --find-links "$WHEELS" --target "$WORK/site" -r requirements/gpu-check.in
if ! "$PY" -c "import ctypes; ctypes.CDLL('libcublas.so.12')" 2>/dev/null; then
  found=$(find / -name 'libcublas.so.1[23]*' -path '*lib*' 2>/dev/null | head -1 || true)
  if [ -n "$found" ]; then
    mkdir -p "$WORK/lib" && ln -sf "$found" "$WORK/lib/libcublas.so.12"
    for lt in $(dirname "$found")/libcublasLt.so*; do ln -sf "$lt" "$WORK/lib/libcublasLt.so.12"; break; done
    export LD_LIBRARY_PATH="$WORK/lib:$(dirname "$found"):${LD_LIBRARY_PATH:-}"
  fi
fi
export PYTHONPATH="$WORK/site:${PYTHONPATH:-}" HF_HUB_OFFLINE=1 SUPERWHISPER2_SHARED_AUDIO="$AUDIO"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$PY" tools/doctor.py --model "$BASE" --device cuda --language fr
for model in "$TINY" "$BASE"; do
  echo "## bench, $model, CUDA"
  "$PY" tools/bench.py --model "$model" --device cuda --repeat 5
done
