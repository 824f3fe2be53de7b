"""Which learning-rate schedule: the test loss and training time of the default design under
each candidate, on the demo's data and on the 1,000-signal kinds of
`benchmarks/small_data_probe.py`, seeded, side by side in one process.

Candidates: `constant` (the settings before issue 36: a constant 1e-3, 100 epochs, patience
10), `linear` (warm-up, then a linear decay to the 45th epoch, peak 3e-3), `cosine` (warm-up
then a cosine decay over 40 epochs, peak 2e-3, set per epoch by a callback: not an option of
sigae) and `plateau` (the automatic setting: warm-up, hold at 3e-3 until the validation loss
levels off, decay over 40% of the epochs so far). The demo's data at latent 16, the small-data
kinds at latent 8; test losses in the model's normalized units, and for the small-data kinds
as a ratio to PCA's of the same size fitted on the training signals (as
`small_data_probe.py`).

Usage (from the repository root):

    .venv/bin/python benchmarks/schedules.py --seeds 0 1 2 --out benchmarks/out/schedules.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import small_data_probe
import suite

CANDIDATES = {
    "constant": {"schedule": "constant", "learning_rate": 1e-3, "epochs": 100},
    "linear": {"schedule": "linear", "learning_rate": 3e-3, "epochs": 45},
    "cosine": {"schedule": "constant", "learning_rate": 2e-3, "epochs": 40},
    "plateau": {},  # the automatic settings
}
SETS = ("demo", "damped oscillations, tiny", "spikes", "steps", "3 mixed channels",
        "long vibration")


def _cosine(keras, peak: float, epochs: int, warmup: int = 2):
    class Cosine(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rate = (peak * (epoch + 1) / (warmup + 1) if epoch < warmup else peak * 0.5 * (
                1 + math.cos(math.pi * (epoch - warmup + 0.5) / (epochs - warmup))))
            self.model.optimizer.learning_rate.assign(rate)

    return Cosine()


def run(name: str, seed: int, candidate: str) -> dict:
    import keras

    import sigae

    if name == "demo":
        train, test = sigae.datasets.oscillations(seed=seed)[:2]
        latent = 16
    else:
        train, test = suite.make(name, seed, n_train=1000)
        latent = small_data_probe.LATENT
    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=latent, seed=seed)
    settings = dict(CANDIDATES[candidate])
    callbacks = [_cosine(keras, 2e-3, 40)] if candidate == "cosine" else []
    start = time.perf_counter()
    history = model.fit(train, seed=seed, verbose=0, callbacks=callbacks, **settings)
    seconds = time.perf_counter() - start
    mean, std = model.normalization
    result = {"set": name, "seed": seed, "candidate": candidate, "seconds": seconds,
              "epochs": history.epochs,
              "test_loss": float(np.mean(np.square((model.reconstruct(test) - test) / std)))}
    if name != "demo":
        result["ratio"] = (small_data_probe.test_nmse(model, test)
                           / suite.pca_nmse(train, test, latent, mean, std))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/schedules.json"))
    args = parser.parse_args()
    results = []
    for name in args.sets:
        for seed in args.seeds:
            for candidate in args.candidates:
                results.append(run(name, seed, candidate))
                print(json.dumps(results[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
