"""Why the default design keeps PCA on 30-100 signals: two probes of the suite's kinds.

1. Training curves without early stopping (`patience=None`, 150 epochs) on the suite's small
   kinds at latent 8, with the test NMSE of every epoch: does *any* epoch beat PCA on
   held-out signals, and what happens to the training loss meanwhile?
2. The same small kinds with 1000 training signals instead, default settings: is the gap a
   matter of data size or of the kind of signal?

Usage (from the repository root):

    .venv/bin/python benchmarks/small_data_probe.py --out benchmarks/out/small_data_probe.json
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

import suite

SMALL_KINDS = ("damped oscillations, tiny", "spikes", "steps", "3 mixed channels")
LATENT = 8


def test_nmse(model, test: np.ndarray) -> float:
    mean, std = model.normalization
    # The autoencoder view works mid-fit, where `reconstruct` (a fitted model's) does not.
    error = (model.autoencoder.predict(test, batch_size=300, verbose=0) - test) / std
    return float(np.mean(np.square(error)) / np.var((test - mean) / std))


def curves(name: str, seed: int) -> dict:
    """Train, validation and test error of every epoch, trained 150 epochs without stopping."""
    import keras

    import sigae

    train, test = suite.make(name, seed)
    per_epoch: list[float] = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            per_epoch.append(test_nmse(model, test))

    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=LATENT, seed=seed)
    history = model.fit(train, epochs=150, patience=None, seed=seed, verbose=0,
                        callbacks=[Recorder()])
    mean, std = model.normalization
    pca = suite.pca_nmse(train, test, LATENT, mean, std)
    best = int(np.argmin(per_epoch))
    return {"dataset": name, "n_train": len(train), "pca_test_nmse": pca,
            "first_loss": history.loss[0], "final_loss": history.loss[-1],
            "best_test_epoch": best, "best_test_ratio": per_epoch[best] / pca,
            "final_test_ratio": per_epoch[-1] / pca}


def with_1000(name: str, seed: int) -> dict:
    """The default design with its default settings on 1000 signals of a small kind."""
    import sigae

    train, test = suite.make(name, seed, n_train=1000)
    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=LATENT, seed=seed)
    history = model.fit(train, seed=seed, verbose=0)
    mean, std = model.normalization
    return {"dataset": name, "n_train": 1000, "epochs": history.epochs,
            "ratio": test_nmse(model, test) / suite.pca_nmse(train, test, LATENT, mean, std)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/small_data_probe.json"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result: dict[str, list[dict]] = {"curves": [], "with_1000": []}
    for name in SMALL_KINDS:
        row = curves(name, args.seed)
        result["curves"].append(row)
        print(f"{name:26s} n={row['n_train']}: training loss {row['first_loss']:.3f} -> "
              f"{row['final_loss']:.3f}; best test epoch {row['best_test_epoch']} at "
              f"{row['best_test_ratio']:.3f} x PCA, last {row['final_test_ratio']:.3f} x PCA",
              flush=True)
    for name in (*SMALL_KINDS, "long vibration"):
        row = with_1000(name, args.seed)
        result["with_1000"].append(row)
        print(f"{name:26s} n=1000: {row['epochs']} epochs, {row['ratio']:.3f} x PCA", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
