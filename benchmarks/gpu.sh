#!/usr/bin/env bash
# The suite on one GPU: the metricdsl, hand-kernel and Keras columns of every family at
# batch 32 and at 10^8 samples (10^7 for the (N, 10) families and AUC), the 8-metric
# collection, and each large batch's share of the measured HBM read bandwidth. About
# 3-5 minutes; writes benchmarks/results/gpu.json and gpu.png.
#
# Usage: bash benchmarks/gpu.sh [more python -m benchmarks.run arguments, e.g. --only auc]
# PYTHON names the interpreter (default: .venv/bin/python with metricdsl installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
  || { echo "gpu.sh: no NVIDIA GPU (nvidia-smi failed)"; exit 2; }
if ! "$PY" -c "import jax, sys; sys.exit(jax.devices()[0].platform != 'gpu')" 2>/dev/null; then
  # jax's CUDA plugin, the same version as the installed jax
  version=$("$PY" -c "import jax; print(jax.__version__)")
  "$PY" -m pip install -q "jax[cuda12]==$version"
fi
"$PY" -c "import jax; d = jax.devices(); assert d[0].platform == 'gpu', d; print('devices:', d)"

export XLA_PYTHON_CLIENT_PREALLOCATE=false  # memory stats then show what the suite uses
timeout 300 "$PY" -m benchmarks.run --device gpu --quick \
  --json benchmarks/results/gpu.json --plot benchmarks/results/gpu.png "$@"
