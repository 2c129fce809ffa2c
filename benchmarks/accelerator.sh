#!/usr/bin/env bash
# GRPO at real width on a GPU or TPU: the 0.5B- and 1.5B-shaped paths, one JSON line each
# (rollout and update tokens/s, model FLOP utilization, peak device memory beside the plan).
#
#   benchmarks/accelerator.sh            # on the accelerator
#   benchmarks/accelerator.sh --tiny     # the same path on the tiny model, on CPU (a check)
#
# Extra arguments go to benchmarks/accelerator.py (e.g. --steps 5 --set model.remat=layer).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=(0.5b 1.5b)
if [[ "${1:-}" == "--tiny" ]]; then
  shift
  sizes=(tiny)
  export JAX_PLATFORMS=cpu
  set -- --steps 2 --prompts 2 "$@"
fi
for size in "${sizes[@]}"; do
  python benchmarks/accelerator.py --size "$size" "$@" | python -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))'
done
