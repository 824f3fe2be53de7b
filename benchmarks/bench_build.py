"""The fixed cost of a new model: building it, and its first `fit`, before and after.

Each measurement is a fresh process with an empty compilation cache (what a fresh machine,
a new test worker or a new size pays), for this code and an earlier commit, alternating,
so the two are measured side by side under the same conditions; medians over repeats:

- `first_build`: the first `SignalAutoencoder(...)` of a process (a tiny design, 48 x 1),
  which imports Keras and JAX;
- `new_size_build`: then a model of another length (64), whose weights have new shapes;
- `same_size_build`: then a third model of length 64;
- `first_fit`: the first model's `fit` of 4 epochs on 60 signals, batch 16 (its steps
  compiled, validation each epoch, then the comparison and the calibration);
- `second_fit`: the same `fit` of the second model (length 64).

Usage (from the repository root, machine otherwise idle):

    .venv/bin/python benchmarks/bench_build.py --before 40e333c
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_speed import ROOT, _checkout, _environment

STEPS = ("first_build", "new_size_build", "same_size_build", "first_fit", "second_fit")


def _phase() -> dict:
    import sigae

    def waves(n: int, length: int) -> np.ndarray:
        rng = np.random.default_rng(0)
        t = np.linspace(0.0, 1.0, length)
        return np.sin(2 * np.pi * rng.uniform(1, 4, (n, 1, 1)) * t[None, :, None]
                      ).astype("float32")

    def config(length: int) -> sigae.ModelConfig:
        return sigae.ModelConfig(length=length, latent_dim=4, linear_path=False,
                                 blocks=(sigae.ConvBlock(4, 3, 2), sigae.ConvBlock(8, 3, 2)))

    seconds = {}

    def timed(name: str, work):
        start = time.perf_counter()
        value = work()
        seconds[name] = time.perf_counter() - start
        return value

    first = timed("first_build", lambda: sigae.SignalAutoencoder(config(48), seed=0))
    second = timed("new_size_build", lambda: sigae.SignalAutoencoder(config(64), seed=1))
    timed("same_size_build", lambda: sigae.SignalAutoencoder(config(64), seed=2))
    settings = {"epochs": 4, "batch_size": 16, "patience": None, "seed": 0, "verbose": 0}
    timed("first_fit", lambda: first.fit(waves(60, 48), **settings))
    timed("second_fit", lambda: second.fit(waves(60, 64), **settings))
    return seconds


def _run(source: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        result = subprocess.run([sys.executable, __file__, "--phase"], check=True,
                                capture_output=True, text=True, cwd=ROOT,
                                env=_environment(source, SIGAE_CACHE_DIR=cache))
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="40e333c", help="the commit to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase()))
        return
    before = _checkout(args.before)
    runs: dict[str, list[dict]] = {"before": [], "now": []}
    for _ in range(args.repeats):
        runs["before"].append(_run(before))
        runs["now"].append(_run(None))
    print(f"{platform.processor() or platform.machine()}, {args.repeats} repeats, "
          f"medians, seconds, empty compilation cache")
    print(f"| step | {args.before} | now | ratio |\n|---|---|---|---|")
    for step in STEPS:
        old, new = (float(np.median([run[step] for run in runs[key]]))
                    for key in ("before", "now"))
        print(f"| {step} | {old:.3f} | {new:.3f} | {old / new:.1f}x |")


if __name__ == "__main__":
    main()
