"""Never worse than PCA: the default design against PCA on a suite of small datasets.

Each dataset kind has a realistic character and its own training size (about 30, 100 or
1000 signals) and a held-out test set of 300 signals. For latent sizes 4, 8 and 16 it trains
the default design with its data-size defaults and reports the test NMSE (mean squared error
in normalized units divided by the variance of the normalized test signals) of the model
and of PCA with the same number of dimensions and the same normalization, their ratio, and
the training wall time.

Usage (from the repository root):

    .venv/bin/python benchmarks/suite.py --out benchmarks/out/suite.json

Targets: ratio <= 1.0 in every cell, <= 0.8 in at least half, each training under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Before Keras is imported anywhere: JAX, as sigae itself defaults to.
os.environ.setdefault("KERAS_BACKEND", "jax")

N_TEST = 300


def _damped(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    import sigae

    train, test = sigae.datasets.oscillations(n_signals=2 * n, length=length,
                                              seed=int(rng.integers(1 << 30)))
    return np.concatenate([train, test])[:n]


def _spikes(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Impulsive events (a few spikes with a fast attack and exponential decay) on noise.
    x = np.zeros((n, length))
    kernel = np.exp(-np.arange(30) / 6.0)
    for i in range(n):
        events = np.zeros(length)
        for _ in range(rng.integers(1, 5)):
            events[rng.integers(0, length - 30)] += rng.uniform(0.5, 3.0)
        x[i] = np.convolve(events, kernel)[:length]
    return x + rng.normal(0, 0.05, x.shape)


def _steps(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Piecewise-constant levels with 1 to 4 jumps at random places.
    x = np.zeros((n, length))
    for i in range(n):
        cuts = np.sort(rng.choice(np.arange(5, length - 5), rng.integers(1, 5), replace=False))
        levels = rng.normal(0, 1, len(cuts) + 1)
        x[i] = levels[np.searchsorted(cuts, np.arange(length), side="right")]
    return x + rng.normal(0, 0.05, x.shape)


def _chirps(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Linear chirps with random start frequency, sweep, phase and a Hann-like envelope.
    t = np.linspace(0, 1, length)
    f0 = rng.uniform(2, 8, (n, 1))
    sweep = rng.uniform(5, 25, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    envelope = np.sin(np.pi * t) ** rng.uniform(0.5, 2, (n, 1))
    x = envelope * np.sin(2 * np.pi * (f0 * t + 0.5 * sweep * t**2) + phase)
    return x + rng.normal(0, 0.05, x.shape)


def _mixed_channels(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Three sensors seeing random mixtures of two sources (a sine and a sawtooth).
    t = np.linspace(0, 1, length)
    sine = np.sin(2 * np.pi * rng.uniform(2, 6, (n, 1)) * t + rng.uniform(0, 6.3, (n, 1)))
    saw = ((rng.uniform(1, 4, (n, 1)) * t + rng.uniform(0, 1, (n, 1))) % 1.0) * 2 - 1
    sources = np.stack([sine, saw], axis=-1)  # (n, length, 2)
    mixing = rng.normal(0, 1, (n, 2, 3)) * 0.3 + np.array([[1.0, 0.5, 0.2], [0.1, 0.6, 1.0]])
    x = np.einsum("nls,nsc->nlc", sources, mixing)
    return x + rng.normal(0, 0.05, x.shape)


def _beats(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Very short heartbeat-like windows: P, QRS and T waves as Gaussian bumps.
    t = np.linspace(0, 1, length)
    x = np.zeros((n, length))
    for centre, width, height in ((0.2, 0.05, 0.15), (0.45, 0.02, 1.0), (0.75, 0.07, 0.3)):
        c = centre + rng.normal(0, 0.03, (n, 1))
        h = height * rng.uniform(0.7, 1.3, (n, 1))
        x += h * np.exp(-0.5 * ((t - c) / width) ** 2)
    return x + rng.normal(0, 0.02, x.shape)


def _long_vibration(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    # Long records: two or three damped modes excited at random times.
    t = np.linspace(0, 1, length)
    x = np.zeros((n, length))
    for _ in range(3):
        start = rng.uniform(0, 0.6, (n, 1))
        f = rng.uniform(10, 40, (n, 1))
        active = t >= start
        decay = np.exp(-(t - start) * rng.uniform(3, 10, (n, 1)))
        x += active * rng.uniform(0.2, 1, (n, 1)) * decay * np.sin(2 * np.pi * f * (t - start))
    return x + rng.normal(0, 0.05, x.shape)


# name -> (generator, training signals, length)
DATASETS: dict[str, tuple[Callable[..., np.ndarray], int, int]] = {
    "damped oscillations": (_damped, 1000, 501),
    "damped oscillations, tiny": (_damped, 30, 200),
    "spikes": (_spikes, 100, 256),
    "steps": (_steps, 100, 128),
    "chirps": (_chirps, 1000, 512),
    "3 mixed channels": (_mixed_channels, 100, 200),
    "short beats": (_beats, 30, 24),
    "long vibration": (_long_vibration, 100, 1500),
}


def make(name: str, seed: int = 0, n_train: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and test signals of one dataset kind, float32 `(n, length, channels)`;
    `n_train` replaces the kind's own training size."""
    generator, size, length = DATASETS[name]
    n_train = size if n_train is None else n_train
    rng = np.random.default_rng(seed)
    x = generator(rng, n_train + N_TEST, length)
    x = x if x.ndim == 3 else x[:, :, None]
    x = x.astype("float32")
    return x[:n_train], x[n_train:]


def pca_nmse(train: np.ndarray, test: np.ndarray, k: int, mean, std) -> float:
    """PCA's test NMSE with k dimensions, from numpy's SVD, in the model's normalization."""
    a = ((train - mean) / std).reshape(len(train), -1).astype("float64")
    b = ((test - mean) / std).reshape(len(test), -1).astype("float64")
    centre = a.mean(axis=0)
    _, _, axes = np.linalg.svd(a - centre, full_matrices=False)
    p = axes[:k]
    return float(np.mean(np.square((b - centre) @ p.T @ p + centre - b)) / np.var(b))


def fit_and_score(train: np.ndarray, test: np.ndarray, k: int, seed: int):
    """Fits the default design with its defaults on `train` and scores it on `test`.

    Returns:
        The columns every benchmark reports (latent size, sizes, epochs, seconds, the
        model's and PCA's test NMSE in the model's normalization and their ratio), the
        model, and its test reconstruction in float64.
    """
    import sigae

    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=k, seed=seed
    )
    start = time.perf_counter()
    history = model.fit(train, seed=seed, verbose=0)
    seconds = time.perf_counter() - start
    reconstruction = model.reconstruct(test).astype("float64")
    mean, std = model.normalization
    nmse = float(np.mean(np.square((reconstruction - test) / std))
                 / np.var((test - mean) / std))
    baseline = pca_nmse(train, test, k, mean, std)
    columns = {"latent_dim": k, "n_train": len(train), "length": train.shape[1],
               "channels": train.shape[2], "epochs": history.epochs, "seconds": seconds,
               "nmse": nmse, "pca_nmse": baseline, "ratio": nmse / baseline}
    return columns, model, reconstruction


def run_cell(name: str, k: int, seed: int) -> dict:
    train, test = make(name, seed)
    return {"dataset": name, **fit_and_score(train, test, k, seed)[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/suite.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="dataset names to run (default: all)")
    args = parser.parse_args()
    cells = []
    for name in args.only or DATASETS:
        for k in (4, 8, 16):
            cell = run_cell(name, k, args.seed)
            cells.append(cell)
            print(f"{name:28s} k={k:2d} n={cell['n_train']:4d} epochs={cell['epochs']:3d} "
                  f"{cell['seconds']:5.1f}s  model {cell['nmse']:.4f}  PCA {cell['pca_nmse']:.4f}"
                  f"  ratio {cell['ratio']:.3f}", flush=True)
    ratios = [c["ratio"] for c in cells]
    summary = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "cells": cells,
        "max_ratio": max(ratios),
        "share_at_most_0.8": float(np.mean([r <= 0.8 for r in ratios])),
        "max_seconds": max(c["seconds"] for c in cells),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "cells"}, indent=2))


if __name__ == "__main__":
    main()
