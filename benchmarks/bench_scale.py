"""Scale: training on 1, 2 and 4 simulated CPU devices; Dask encode with 1 and 2 local
workers against the single-process command; the cost of a checkpoint per epoch.

Simulated devices share the same CPU cores, so the device figures measure the overhead of
data parallelism, not a speed-up. Each device count runs in its own process (the flag must
be set before JAX starts).

    .venv/bin/python benchmarks/bench_scale.py --out benchmarks/out/scale.json
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

DEVICES = """
import json, time, sys
import numpy as np, sigae
train, _ = sigae.datasets.oscillations(seed=0)  # the demo's 1500 signals, 1200 to train
model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501), seed=0)
model.fit(train, epochs=1, batch_size=100, seed=0, verbose=0, devices={devices})  # compile
times = []
for _ in range(3):
    started = time.perf_counter()
    model.fit(train, epochs=2, batch_size=100, patience=None, seed=0, verbose=0,
              devices={devices})
    times.append((time.perf_counter() - started) / 2)
print(json.dumps({{"seconds_per_epoch": sorted(times)[1]}}))
"""

CHECKPOINT = """
import json, time, tempfile, os
import sigae
train, _ = sigae.datasets.oscillations(seed=0)
times = {{}}
for label in ("without", "with", "without", "with", "without", "with"):
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501), seed=0)
    path = os.path.join(tempfile.mkdtemp(), "run.checkpoint") if label == "with" else None
    started = time.perf_counter()
    model.fit(train, epochs={epochs}, patience=None, seed=0, verbose=0, checkpoint=path)
    times.setdefault(label, []).append(time.perf_counter() - started)
print(json.dumps({{k: sorted(v)[1] for k, v in times.items()}}))
"""


def run(script: str, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def devices() -> dict:
    out = {}
    for count in (1, 2, 4):
        flags = {"XLA_FLAGS": f"--xla_force_host_platform_device_count={count}"}
        value = "None" if count == 1 else str(count)
        out[str(count)] = run(DEVICES.format(devices=value), flags)["seconds_per_epoch"]
    return out


def dask_encode() -> dict:
    import sigae
    from sigae import distributed

    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        train, _ = sigae.datasets.oscillations(seed=0)
        model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501), seed=0)
        model.fit(train, epochs=2, seed=0, verbose=0)
        model.save(directory / "m.sigae")
        many, _ = sigae.datasets.oscillations(n_signals=134_000, seed=1)
        x = many[:100_000]
        np.save(directory / "x.npy", x)
        del many
        result = {"signals": len(x)}
        times = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sigae", "encode", str(directory / "m.sigae"),
                            str(directory / "x.npy"), "--out", str(directory / "c.npy")],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        result["single_process_s"] = sorted(times)[1]
        for workers in (1, 2):
            with distributed.local_client(workers) as client:
                distributed.encode(directory / "m.sigae", x[:2000], out=directory / "w.zarr",
                                   client=client)  # each worker loads and compiles once
                times = []
                for _ in range(3):
                    started = time.perf_counter()
                    distributed.encode(directory / "m.sigae", directory / "x.npy",
                                       out=directory / "d.zarr", client=client)
                    times.append(time.perf_counter() - started)
            result[f"dask_{workers}_workers_s"] = sorted(times)[1]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    result = {"devices_seconds_per_epoch": devices()}
    print(json.dumps(result), flush=True)
    result["checkpoint_seconds"] = run(CHECKPOINT.format(epochs=args.epochs))
    print(json.dumps(result), flush=True)
    result["dask_encode"] = dask_encode()
    checkpoint = result["checkpoint_seconds"]
    result["checkpoint_share_per_epoch"] = (checkpoint["with"] - checkpoint["without"]) / \
        checkpoint["without"]
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
