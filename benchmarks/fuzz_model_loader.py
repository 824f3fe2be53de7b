"""Fuzzes `sigae.load` with many more damaged model files than CI runs.

Each case flips 1 to 8 random bytes of a small real model file, and truncates it in 30% of
the cases; it must raise `SigaeError` (or load), within the memory bound of
`tests/test_model_fuzz.py`, writing nothing. Any other exception, or a crash of the process
(each batch of cases runs in a child process, so a crash is counted, not fatal), is an
escape.

    .venv/bin/python benchmarks/fuzz_model_loader.py --cases 5000 --out benchmarks/out/fuzz.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, tracemalloc
from pathlib import Path
import sigae
import sigae.saving.model_file  # imports Keras and the backend first, outside the measured peaks

results = []
for path in sys.argv[1:]:
    tracemalloc.start()
    try:
        sigae.load(path)
        outcome = "loaded"
    except sigae.SigaeError as error:
        outcome = type(error).__name__
    except BaseException as error:
        outcome = f"ESCAPED {type(error).__name__}: {error}"
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"path": path, "outcome": outcome, "peak": peak}), flush=True)
"""


def sample_model(directory: Path) -> bytes:
    import sigae

    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 8, 48))[None, :, None] * rng.uniform(1, 2, (60, 1, 1))
    config = sigae.ModelConfig(length=48, latent_dim=4,
                               blocks=(sigae.ConvBlock(4, 3, 2), sigae.ConvBlock(8, 3, 2)))
    model = sigae.SignalAutoencoder(config, seed=0)
    model.fit(x.astype("float32"), epochs=2, batch_size=16, seed=0, verbose=0)
    model.save(directory / "model.sigae")
    return (directory / "model.sigae").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        content = sample_model(directory)
        paths = []
        for i in range(args.cases):
            data = bytearray(content)
            for _ in range(rng.integers(1, 9)):
                data[rng.integers(len(data))] = rng.integers(256)
            if rng.random() < 0.3:
                data = data[: rng.integers(len(data))]
            path = directory / f"case{i}.sigae"
            path.write_bytes(bytes(data))
            paths.append(str(path))
        before = set(os.listdir(directory))
        results, crashes = [], []
        for start in range(0, len(paths), args.batch):
            batch = paths[start : start + args.batch]
            while batch:
                child = subprocess.run([sys.executable, "-c", CHILD, *batch],
                                       capture_output=True, text=True, check=False)
                done = [json.loads(line) for line in child.stdout.splitlines()]
                results += done
                if child.returncode == 0:
                    break
                crashed = batch[len(done)]  # the case the child died on
                crashes.append({"path": crashed, "returncode": child.returncode})
                batch = batch[len(done) + 1 :]
        written = sorted(set(os.listdir(directory)) - before)
    outcomes: dict[str, int] = {}
    for result in results:
        key = "escaped" if result["outcome"].startswith("ESCAPED") else result["outcome"]
        outcomes[key] = outcomes.get(key, 0) + 1
    report = {
        "cases": args.cases,
        "outcomes": outcomes,
        "crashes": len(crashes),
        "escapes": [r for r in results if r["outcome"].startswith("ESCAPED")][:20],
        "max_peak_bytes": max(r["peak"] for r in results),
        "files_written": written,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
