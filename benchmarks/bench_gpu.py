"""sigae on an NVIDIA GPU: the question preset and the default design against plain Keras on
the same GPU, encode throughput, peak GPU memory, and mixed precision.

Prepared for a short session on a GPU machine (`pip install -e '.[cuda]'` there). Each
measurement is a fresh process running a phase of `bench_speed.py` (the same code as the CPU
benchmark) on the GPU, side by side in one run, medians of `--repeats`:

- plain Keras running the question's own code, and the `question` preset: seconds per epoch
  (epochs 2..end), and peak GPU memory;
- the default design at the demo's size: seconds per epoch, the fixed cost of a `fit`,
  `encode` signals per second, peak GPU memory;
- both again with `precision="bfloat16"`: the final validation loss against float32's
  (stated tolerance: within 2%, as the CPU test `tests/test_precision.py` checks).

    .venv/bin/python benchmarks/bench_gpu.py --out benchmarks/out/gpu.json

Where JAX sees no GPU it says so in one line and exits with 2 (`--cpu` runs it on the CPU
anyway, to check the script: `--cpu --repeats 1 --epochs 2 --question-epochs 2`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import bench_speed
import numpy as np

TOLERANCE = 0.02


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/gpu.json"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--question-epochs", type=int, default=5)
    parser.add_argument("--cpu", action="store_true",
                        help="run on the CPU anyway: a check of this script without a GPU")
    args = parser.parse_args()
    import jax

    gpus = [d for d in jax.devices() if d.platform == "gpu" or args.cpu]
    if not gpus:
        print(f"bench_gpu: JAX sees no GPU ({', '.join(map(str, jax.devices()))}); run it on "
              "a machine with an NVIDIA GPU after pip install -e '.[cuda]'", file=sys.stderr)
        return 2
    import sigae

    work = Path(tempfile.mkdtemp(prefix="sigae-gpu-"))
    data = work / "train.npy"
    np.save(data, sigae.datasets.oscillations(seed=0)[0])
    runs: dict[str, list] = {}
    for repeat in range(args.repeats):
        cache = str(work / f"cache-{repeat}")
        phases = {
            "plain_question": ["plain", str(data), str(args.question_epochs)],
            "question": ["sigae", "question", str(data), str(args.question_epochs), "no"],
            "question_bf16": ["sigae", "question", str(data), str(args.question_epochs), "no",
                              "bfloat16"],
            "default": ["sigae", "default", str(data), str(args.epochs), "encode"],
            "default_bf16": ["sigae", "default", str(data), str(args.epochs), "encode",
                             "bfloat16"],
        }
        for name, phase in phases.items():
            result = bench_speed._phase(phase, None, SIGAE_CACHE_DIR=cache)
            runs.setdefault(name, []).append(result)
            print(f"{name}: {json.dumps(result)[:300]}", flush=True)

    def median(name: str, key: str) -> float:
        values = [r[key] for r in runs[name] if r.get(key) is not None]
        return float(np.median(values)) if values else float("nan")

    def epoch(name: str) -> float:
        return float(np.median([np.median(r["epoch_seconds"][1:]) for r in runs[name]]))

    summary = {
        "gpu": str(gpus[0].device_kind), "gpus": len(gpus), "jax": jax.__version__,
        "question_epoch_s": {k: epoch(k) for k in ("plain_question", "question",
                                                    "question_bf16")},
        "default_epoch_s": {k: epoch(k) for k in ("default", "default_bf16")},
        "default_fixed_s": {k: median(k, "fit_seconds") - args.epochs * epoch(k)
                            for k in ("default", "default_bf16")},
        "encode_signals_per_s": {k: median(k, "encode_default_batch")
                                 for k in ("default", "default_bf16")},
        "peak_gpu_mb": {k: median(k, "peak_bytes") / 2**20 for k in runs},
        "val_loss": {k: median(k, "final_val_loss") for k in ("question", "question_bf16",
                                                              "default", "default_bf16")},
    }
    q = summary["question_epoch_s"]
    summary["question_to_plain"] = q["question"] / q["plain_question"]
    summary["bf16_within_tolerance"] = {
        design: abs(summary["val_loss"][f"{design}_bf16"] / summary["val_loss"][design] - 1)
        <= TOLERANCE for design in ("question", "default")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "runs": runs}, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
