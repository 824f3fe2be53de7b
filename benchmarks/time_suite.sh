#!/usr/bin/env bash
# The test suite's wall time from a fresh clone, as a newcomer's first `./dev test` sees it:
# a new clone and its own .venv (pip's download cache is used when present), an empty XLA
# compilation cache, and this machine's float32 matrix product measured beside it.
#
#   benchmarks/time_suite.sh [COMMIT] [CPUS]
#
# COMMIT: what to clone (default HEAD). CPUS: a `taskset` CPU list to run on (say `0`, one
# core, to stand in for a slower machine); the suite then runs 2 workers all the same.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:-HEAD}
cpus=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet . "$work/sigae"
git -C "$work/sigae" checkout --quiet "$commit"
pin=()
workers=()
if [ -n "$cpus" ]; then
    pin=(taskset -c "$cpus")
    workers=(-n 2)
fi
# `./dev test` of COMMIT takes pytest's arguments; older commits run on one process.
if grep -q -- "-n auto" "$work/sigae/dev"; then extra=("${workers[@]}"); else extra=(); fi
start=$(date +%s)
(cd "$work/sigae" && SIGAE_CACHE_DIR="$work/xla" "${pin[@]}" ./dev test -q -p no:cacheprovider \
    "${extra[@]}" > "$work/log" 2>&1) || { tail -30 "$work/log"; exit 1; }
end=$(date +%s)
matmul=$("${pin[@]}" "$work/sigae/.venv/bin/python" -c '
import time, numpy as np
a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
a @ a
runs = []
for _ in range(7):
    start = time.perf_counter(); a @ a; runs.append(time.perf_counter() - start)
print(f"{2 * 2048**3 / sorted(runs)[3] / 1e9:.0f}")')
echo "$(git rev-parse --short "$commit"): $(grep -E '[0-9]+ passed' "$work/log" | tail -1)"
echo "fresh clone to the last test: $((end - start)) s; cpus ${cpus:-all}; float32 2048x2048" \
     "matmul ${matmul} GFLOP/s (NumPy, median of 7)"
