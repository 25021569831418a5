#!/usr/bin/env bash
# The GPU check in one go (issue: the plugin on CUDA against bare faster-whisper), for a machine
# with an NVIDIA GPU and no network. Run from the repository root:
#
#   WHEELS=folder-of-wheels TINY=path/to/tiny.en-folder BASE=path/to/base-folder \
#   AUDIO=path/to/shared/audio RESULTS=folder bash tools/gpu_check.sh
#
# WHEELS holds what requirements/gpu-check.in needs that the machine's Python lacks; they go into
# a throw-away folder with --no-deps (never into the system). Leave WHEELS empty to use the
# Python as it is. cuBLAS 12 is made loadable (a libcublas.so.12 link to the CUDA 13 library where
# only that exists). Then: the doctor on CUDA (it fails when the model silently falls back to the
# CPU), tools/bench.py with tiny.en and base (plugin, stock and design side by side, per-stage
# times, second decodes, the plugin's overhead), and tools/evaluate.py on the dev corpus when
# AUDIO/dev exists. Reports land in RESULTS; paste the tables into docs/BENCHMARKS.md with the card.
# DEVICE=cpu runs the same on the CPU (a dry run of this script).
set -uo pipefail
: "${TINY:?the tiny.en model folder}" "${BASE:?the base model folder}" "${AUDIO:?the shared audio folder}"
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
RESULTS=${RESULTS:-gpu-check}
REPEAT=${REPEAT:-5}
WORK=$(mktemp -d)
mkdir -p "$RESULTS"
if [ -n "${WHEELS:-}" ]; then
  "$PY" -m pip install --quiet --no-index --no-deps --no-compile --target "$WORK/site" "$WHEELS"/*.whl || exit 1
  export PYTHONPATH="$WORK/site:${PYTHONPATH:-}"
fi
if [ "$DEVICE" = cuda ] && ! "$PY" -c "import ctypes; ctypes.CDLL('libcublas.so.12')" 2>/dev/null; then
  # pip's nvidia packages first (fast), then a search of the disk
  found=$("$PY" -c "import glob, sys; print(next(iter(sorted(p for d in sys.path for p in glob.glob(d + '/nvidia/*/lib/libcublas.so.1[23]'))), ''))")
  [ -n "$found" ] || found=$(find / -xdev -name 'libcublas.so.1[23]' 2>/dev/null | head -1 || true)
  if [ -n "$found" ]; then
    mkdir -p "$WORK/lib" && ln -sf "$found" "$WORK/lib/libcublas.so.12"
    export LD_LIBRARY_PATH="$WORK/lib:$(dirname "$found"):${LD_LIBRARY_PATH:-}"
    echo "cuBLAS: $found, loaded as libcublas.so.12"
  fi
fi
export HF_HUB_OFFLINE=1 SUPERWHISPER2_SHARED_AUDIO="$AUDIO" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  "$PY" -c "import ctranslate2, faster_whisper; print('ctranslate2', ctranslate2.__version__, 'CUDA devices', ctranslate2.get_cuda_device_count(), 'faster-whisper', faster_whisper.__version__)"
} 2>&1 | tee "$RESULTS/machine.txt"
status=0
"$PY" tools/doctor.py --model "$BASE" --device "$DEVICE" --language fr 2>&1 | tee "$RESULTS/doctor.txt" || status=1
for run in tiny.en:"$TINY" base:"$BASE"; do
  name=${run%%:*}
  echo "## bench, $name, $DEVICE"
  "$PY" tools/bench.py --model "${run#*:}" --device "$DEVICE" --repeat "$REPEAT" --json \
    > "$RESULTS/bench-$name.json" 2>> "$RESULTS/log.txt" || status=1
  "$PY" -c "import json, sys; r = json.load(open(sys.argv[1])); print({k: v for k, v in r.items() if not k.endswith('_texts')})" \
    "$RESULTS/bench-$name.json" || status=1
done
if [ -d "$AUDIO/dev" ]; then
  echo "## evaluate, base, $DEVICE, dev corpus"
  "$PY" tools/evaluate.py "$AUDIO/dev" --model "$BASE" --device "$DEVICE" --plugin whole:whole=1 \
    --json "$RESULTS/evaluate-base.json" 2>> "$RESULTS/log.txt" \
    | tee "$RESULTS/evaluate-base.txt" || status=1
fi
exit $status
