"""Reading the archive's `.ts` files and folders of recordings (issue 23).

1. Speed: a seeded `.ts` file of 10,000 univariate series of 500 values (46 MB, values
   written with 6 significant digits) read by sigae whole (`read_collection`), by sigae
   lazily (`load_signals` of a file above `LAZY_BYTES`, then every row streamed in blocks
   of 1,000), and by aeon 1.6.0's own `load_from_ts_file` (in a virtual environment of its
   own, made on first use with `pip install aeon==1.6.0`), each in a fresh process, side by
   side, `--repeats` times; medians.
2. Memory: peak resident memory of a process that streams every row of a file or folder
   larger than the `LAZY_BYTES` threshold, against the size of the data: a `.ts` file of
   40,000 series of 1,000 values, and a folder of 20,000 `.npy` files of 2,048 to 6,144
   samples, resampled as they are read.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_archive.py [--repeats 3] [--skip-aeon]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import machine

ROOT = Path(__file__).resolve().parent.parent
AEON_VENV = ROOT / "benchmarks" / "out" / "aeon-venv"

READERS = {  # (imports, the timed reading)
    "sigae, whole": ("from sigae.io.archive import read_collection",
                     "collection = read_collection(Path(sys.argv[1]))"),
    "sigae, lazily": ("import sigae.io.archive\nsigae.io.archive.LAZY_BYTES = 0\n"
                      "from sigae.io import chunks, load_signals",
                      "signals = load_signals(Path(sys.argv[1]))\n"
                      "for _ in chunks(signals.data, 1000, what='x'):\n    pass"),
    "aeon 1.6.0": ("from aeon.datasets import load_from_ts_file",
                   "X, y = load_from_ts_file(sys.argv[1])"),
}
TIMED = """
import resource, sys, time
from pathlib import Path
{imports}
began = time.perf_counter()
{body}
print(time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_ts(path: Path, n: int, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w") as handle:
        handle.write("@problemName bench\n@timeStamps false\n@missing false\n@univariate "
                     f"true\n@equalLength true\n@seriesLength {length}\n@classLabel true a b"
                     "\n@data\n")
        for i in range(n):
            values = ",".join(f"{v:.6g}" for v in rng.normal(size=length))
            handle.write(f"{values}:{'ab'[i % 2]}\n")


def aeon_python() -> Path:
    python = AEON_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AEON_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "aeon==1.6.0"],
                       check=True)
    return python


def timed(python: Path | str, code: tuple[str, str], path: Path) -> tuple[float, float]:
    """Seconds (the reading, not the imports) and peak resident MB (the whole process) of
    `code` reading `path` in a fresh process."""
    imports, body = code
    out = subprocess.run([str(python), "-c", TIMED.format(imports=imports, body=body),
                          str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "KERAS_BACKEND": "jax"}).stdout.split()
    return float(out[-2]), float(out[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-aeon", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/out/bench_archive.json")
    args = parser.parse_args()
    results: dict = {"machine": machine.describe(), "speed": {}, "memory": {}}
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        speed_file = work / "speed.ts"
        write_ts(speed_file, 10_000, 500)
        readers = dict(READERS)
        if args.skip_aeon:
            del readers["aeon 1.6.0"]
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
        for _ in range(args.repeats):  # side by side, one run of each per round
            for name, body in readers.items():
                python = aeon_python() if name.startswith("aeon") else sys.executable
                runs[name].append(timed(python, body, speed_file))
        size = speed_file.stat().st_size / 2**20
        print(f"speed: {speed_file.name} {size:.0f} MB, medians of {args.repeats}")
        for name, values in runs.items():  # seconds: the reading alone
            seconds = statistics.median(v[0] for v in values)
            peak = statistics.median(v[1] for v in values)
            results["speed"][name] = {"seconds": seconds, "peak_mb": peak,
                                      "runs": values, "file_mb": size}
            print(f"  {name:14s} {seconds:6.2f} s  peak {peak:6.0f} MB")

        memory_file = work / "memory.ts"
        write_ts(memory_file, 40_000, 1_000, seed=1)
        folder = work / "folder"
        folder.mkdir()
        rng = np.random.default_rng(2)
        for i in range(20_000):
            n = int(rng.integers(2_048, 6_145))
            np.save(folder / f"rec{i:05d}.npy", rng.normal(size=n).astype("float32"))
        stream = READERS["sigae, lazily"]
        for name, path, data_bytes in (
                (".ts file", memory_file, memory_file.stat().st_size),
                ("folder of .npy", folder, sum(f.stat().st_size for f in folder.iterdir()))):
            seconds, peak = timed(sys.executable, stream, path)
            results["memory"][name] = {"data_mb": data_bytes / 2**20, "peak_mb": peak,
                                       "seconds": seconds}
            print(f"memory: {name:15s} {data_bytes / 2**20:7.0f} MB of data streamed in "
                  f"{seconds:5.1f} s, peak resident {peak:5.0f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
