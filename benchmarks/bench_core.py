"""Core benchmark: the `question` preset against sigae's default design, side by side.

On the embedded dataset (1500 x 501 training signals, batch 100, validation split 0.2):

- median seconds per epoch of each design;
- the validation loss the `question` preset reaches after 100 epochs, and the wall time the
  default design needs to reach it (median over seeds) at the question's latent size (32),
  and, separately, at ModelConfig's own default latent size;
- encode throughput in signals/s (median of repeats);
- peak resident memory of each training run (each run is its own process).

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_core.py --out benchmarks/out/core.json

Each phase runs in a fresh subprocess so that timings and peak memory are not mixed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# Before Keras is imported anywhere: JAX, as sigae itself defaults to.
os.environ.setdefault("KERAS_BACKEND", "jax")

QUESTION_EPOCHS = 100


def _train_phase(preset: str, seed: int, epochs: int, patience: int | None,
                 target: float | None, latent_dim: int | None) -> dict:
    import keras

    import sigae  # first: it makes JAX Keras's default backend

    train, test = sigae.datasets.oscillations(seed=0)
    overrides = {"latent_dim": latent_dim} if latent_dim else {}
    model = sigae.SignalAutoencoder.from_preset(preset, length=501, seed=seed, **overrides)
    epoch_ends: list[tuple[float, float]] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            epoch_ends.append((time.perf_counter() - start, float(logs["val_loss"])))

    # Time the epochs through an extra callback on the autoencoder's own fit.
    fit = model.autoencoder.fit
    model.autoencoder.fit = lambda *a, **k: fit(
        *a, **{**k, "callbacks": [*k["callbacks"], Clock()]}
    )
    start = time.perf_counter()
    # The question's split (last 20% for validation), given explicitly so that no model
    # sees the validation signals: the default design fits its PCA start on what `fit` is
    # given, which with validation_split would include them.
    n_val = len(train) // 5
    history = model.fit(train[:-n_val], validation_data=train[-n_val:], epochs=epochs,
                        patience=patience, seed=seed, verbose=0)
    total = time.perf_counter() - start
    durations = np.diff([0.0] + [t for t, _ in epoch_ends])
    reached = None
    if target is not None:
        reached = next((t for t, v in epoch_ends if v <= target), None)

    x = np.concatenate([test] * 20)  # 10,000 signals
    model.encode(x[:1000], batch_size=1000)  # compile
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        model.encode(x, batch_size=1000)
        rates.append(len(x) / (time.perf_counter() - t0))
    return {
        "preset": preset,
        "latent_dim": model.config.latent_dim,
        "seed": seed,
        "parameters": model.param_counts()["autoencoder"],
        "epochs": history.epochs,
        "total_seconds": total,
        # The first epoch includes compilation; the median is over the rest.
        "median_epoch_seconds": float(np.median(durations[1:])),
        "first_epoch_seconds": float(durations[0]),
        "initial_val_loss": history.initial_loss,
        "final_val_loss": history.val_loss[-1],
        "best_val_loss": min(history.val_loss),
        "seconds_to_target": reached,
        "encode_signals_per_second": float(np.median(rates)),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_phase(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *args], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/core.json"))
    parser.add_argument("--seeds", type=int, default=3, help="default-design runs (seeds)")
    parser.add_argument("--default-epochs", type=int, default=100)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        preset, seed, epochs, patience, target, latent_dim = args.phase
        result = _train_phase(preset, int(seed), int(epochs),
                              None if patience == "none" else int(patience),
                              None if target == "none" else float(target),
                              None if latent_dim == "none" else int(latent_dim))
        print(json.dumps(result))
        return

    question = _run_phase("question", "0", str(QUESTION_EPOCHS), "none", "none", "none")
    target = question["final_val_loss"]
    print(f"question: {question}", flush=True)
    # The default design at the question's latent size (32): the like-for-like comparison.
    defaults = []
    for seed in range(args.seeds):
        run = _run_phase("default", str(seed), str(args.default_epochs), "10", repr(target),
                         str(question["latent_dim"]))
        print(f"default seed {seed}: {run}", flush=True)
        defaults.append(run)
    # And at ModelConfig's own default latent size, with half the code dimensions.
    own = _run_phase("default", "0", str(args.default_epochs), "10", repr(target), "none")
    print(f"default, own latent size: {own}", flush=True)

    reach = [r["seconds_to_target"] for r in defaults]
    reached = [t for t in reach if t is not None]
    summary = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "question": question,
        "default_runs": defaults,
        "default_own_latent_run": own,
        "target_val_loss": target,
        "question_wall_seconds_100_epochs": question["total_seconds"],
        "default_median_seconds_to_target": float(np.median(reached)) if len(reached) == len(reach)
        else None,
        "default_median_epoch_seconds": float(np.median([r["median_epoch_seconds"]
                                                         for r in defaults])),
    }
    if summary["default_median_seconds_to_target"] is not None:
        summary["time_ratio"] = (summary["default_median_seconds_to_target"]
                                 / summary["question_wall_seconds_100_epochs"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k not in ("question", "default_runs")},
                     indent=2))


if __name__ == "__main__":
    main()
