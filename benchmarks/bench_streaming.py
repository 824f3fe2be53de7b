"""Streaming benchmark: encode and train from a 4 GB `.npy` file with bounded memory.

Measures, each phase in a fresh process so that peak resident memory (RSS) is its own:

- `sigae encode` of a 2,000,000 x 501 float32 `.npy` (4.0 GB) to a codes file, through
  the command line: wall time, signals/s, peak RSS (target < 1.5 GB);
- `encode` of 200,000 of the same signals held in memory: signals/s, the in-memory
  reference for the throughput above;
- one training epoch of the default design on the whole file, streamed (`fit` on
  `sigae.load_signals(...)`): wall time, peak RSS (target < 2 GB);
- training throughput on 50,000 signals, streamed from disk and in memory, side by side.

Two more phases, run alone with `--phase NAME --data FILE --model MODEL`: `encode-memmap`
(the same encode through `np.memmap`, to show why sigae does not use it) and `encode-30`
(the process's size with almost no data).

Usage (from the repository root; needs 8 GB of free disk for the data and codes):

    .venv/bin/python benchmarks/bench_streaming.py --dir /tmp/sigae-bench \\
        --out benchmarks/out/streaming.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

N_SIGNALS, LENGTH = 2_000_000, 501


def make_data(path: Path) -> None:
    """2,000,000 noisy damped oscillations, written block by block (never all in memory)."""
    import sigae
    from sigae.io import open_writer

    if path.exists() and path.stat().st_size > N_SIGNALS * LENGTH * 4:
        return
    block = 50_000
    with open_writer(path, (N_SIGNALS, LENGTH, 1)) as writer:
        for i in range(N_SIGNALS // block):
            train, test = sigae.datasets.oscillations(n_signals=block, seed=100 + i)
            writer.write(np.concatenate([train, test]))


def make_model(data: Path, model: Path) -> None:
    import sigae

    x = np.asarray(sigae.load_signals(data).data[:10_000])
    ae = sigae.SignalAutoencoder.from_preset("default", length=LENGTH, seed=0)
    ae.fit(x, epochs=5, seed=0, verbose=0)
    ae.save(model)


# -- phases, each run in its own process ----------------------------------------------------


def phase(name: str, data: str, model: str, work: str) -> dict:
    import sigae

    start = time.perf_counter()
    if name == "encode-stream":
        from sigae.cli import main

        code = main(["encode", model, data, "--out", str(Path(work) / "codes.npy"),
                     "--batch-size", "1000"])
        assert code == 0
        n = N_SIGNALS
    elif name == "encode-memmap":  # the alternative sigae does not take, for comparison
        ae = sigae.load(model)
        x = np.load(data, mmap_mode="r")
        start = time.perf_counter()
        for first in range(0, len(x), 4000):
            ae.encode(x[first : first + 4000], batch_size=1000)
        n = len(x)
    elif name == "encode-30":  # what the process needs with almost no data
        ae = sigae.load(model)
        x = np.asarray(sigae.load_signals(data).data[:30])
        start = time.perf_counter()
        ae.encode(x, batch_size=1000)
        n = len(x)
    elif name == "encode-memory":
        ae = sigae.load(model)
        x = np.asarray(sigae.load_signals(data).data[:200_000])
        start = time.perf_counter()
        ae.encode(x, batch_size=1000)
        n = len(x)
    elif name == "epoch-stream":
        ae = sigae.SignalAutoencoder.from_preset("default", length=LENGTH, seed=0)
        ae.fit(sigae.load_signals(data), epochs=1, seed=0, verbose=0)
        n = N_SIGNALS
    elif name in ("train-50k-disk", "train-50k-memory"):
        signals = sigae.load_signals(data)
        x = signals.data.subset(0, 50_000)
        if name.endswith("memory"):
            x = np.asarray(x[:])
        else:  # stream it although it would fit in memory
            import sigae.data.streaming

            sigae.data.streaming.IN_MEMORY_BYTES = 0
        ae = sigae.SignalAutoencoder.from_preset("default", length=LENGTH, seed=0)
        start = time.perf_counter()
        ae.fit(x, epochs=1, seed=0, verbose=0, validation_split=0.0)
        n = 50_000
    else:
        raise ValueError(name)
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": name, "seconds": seconds, "signals_per_s": n / seconds,
            "peak_rss_mib": rss_mib}


def run_phase(name: str, data: Path, model: Path, work: Path) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--data", str(data),
               "--model", str(model), "--dir", str(work)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sigae-bench"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/streaming.json"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--phase")
    parser.add_argument("--data")
    parser.add_argument("--model")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.data, args.model, str(args.dir))))
        return

    args.dir.mkdir(parents=True, exist_ok=True)
    data, model = args.dir / "signals.npy", args.dir / "model.sigae"
    make_data(data)
    make_model(data, model)
    results: dict[str, list[dict]] = {}
    for name in ("encode-stream", "encode-memory", "train-50k-disk", "train-50k-memory"):
        results[name] = [run_phase(name, data, model, args.dir) for _ in range(args.repeats)]
    results["epoch-stream"] = [run_phase("epoch-stream", data, model, args.dir)]
    summary = {
        name: {
            "runs": len(runs),
            "median_seconds": statistics.median(r["seconds"] for r in runs),
            "median_signals_per_s": statistics.median(r["signals_per_s"] for r in runs),
            "max_peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        }
        for name, runs in results.items()
    }
    machine = {"platform": platform.platform(), "python": platform.python_version(),
               "cpus": os.cpu_count(), "data_bytes": data.stat().st_size}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "summary": summary, "runs": results},
                                   indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
