"""Which representation term on the code is worth keeping (issue 33): each variant trained
without the reconstruction guard (the last of 100 epochs on all the training signals, as
`representation.py --unguarded`), at a few weights, on the six sets of
`representation_data.py`; for each, the test SVM accuracy of the codes (TS2Vec's protocol,
`sigae.study.probe`) and the test reconstruction error over PCA-32's fitted on the training
split.

Variants (the library's `Contrast` patched here, as an experiment):

- `raw`: today's term, `weight * InfoNCE` added to the MSE in normalized units;
- `normalized`: both terms normalized, so one weight means the same on every set: the loss
  is `MSE / e + weight * InfoNCE / log(2B - 1)` (times `e`, which leaves Adam's steps
  alike), `e` being PCA-32's training error in the model's units and `log(2B - 1)` the
  InfoNCE of codes that say nothing about their signal (B signals a batch);
- `ts2vec`: normalized, with TS2Vec's views in place of sigae's: two overlapping random
  crops of each batch (the rest masked to the mean) and each time step masked with
  probability 0.5 (Yue et al., AAAI 2022).

Usage: .venv/bin/python benchmarks/representation_terms.py --variant normalized
           --weights 0.1 0.3 1 --out benchmarks/out/terms-normalized.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).parent))

import machine
import representation_data as sets

SCALE = {"e": 1.0}  # PCA's training error of the set being trained, for `normalized`


def patch(variant: str) -> None:
    """Makes `Contrast` compute the variant's term."""
    from keras import ops

    from sigae.architecture.contrast import Contrast
    from sigae.training.guard import GuardCallback

    GuardCallback.restore = lambda self: None  # the last epoch, not the guard's choice
    if variant == "raw":
        return
    plain = Contrast.loss

    def normalized(self, encode, x):
        n = ops.cast(ops.shape(x)[0], "float32")
        return plain(self, encode, x) * SCALE["e"] / ops.log(2.0 * n - 1.0)

    Contrast.loss = normalized
    if variant == "ts2vec":
        Contrast.view = ts2vec_view


def ts2vec_view(self, x):
    """TS2Vec's augmentation for a global code: a random crop (each view's contains a
    common segment, as TS2Vec's overlapping crops do), the rest set to the mean (0 in
    normalized units), and every time step masked with probability 0.5."""
    import keras
    from keras import ops

    length = x.shape[1]
    seed = self.seed_generator
    common = keras.random.randint((), length // 4, length + 1, seed=seed)
    left = keras.random.randint((), 0, length + 1, seed=seed) % (length - common + 1)
    right = left + common
    before = keras.random.randint((), 0, length + 1, seed=seed) % (left + 1)
    after = right + keras.random.randint((), 0, length + 1, seed=seed) % (length - right + 1)
    t = ops.arange(length)[None, :, None]
    kept = ops.cast((t >= before) & (t < after), x.dtype)
    batch = ops.shape(x)[0]
    timestamps = ops.cast(keras.random.uniform((batch, length, 1), seed=seed) >= 0.5, x.dtype)
    return x * kept * timestamps


def run(name, train, y_train, test, y_test, weight, seed, epochs=100) -> dict:
    import sigae
    from sigae.stats.pca import fit_pca, pca_reconstruct
    from sigae.study.probe import probe

    mean, std = float(train.mean()), float(train.std())
    units = (train - mean) / std
    components, center = fit_pca(units, 32, seed=seed)
    SCALE["e"] = float(np.mean(np.square(pca_reconstruct(units, components, center) - units)))
    began = time.perf_counter()
    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=32,
        contrast=weight)
    model.fit(train, seed=seed, verbose=0, augment="none", validation_split=0.0, epochs=epochs,
              patience=None)
    seconds = time.perf_counter() - began
    result = probe(model, train, y_train, test=test, test_labels=y_test, seed=seed)
    model_mean, model_std = model.normalization
    test_units = (test - model_mean) / model_std
    components, center = fit_pca((train - model_mean) / model_std, 32, seed=seed)
    pca = np.mean(np.square(pca_reconstruct(test_units, components, center) - test_units))
    own = np.mean(np.square((model.reconstruct(test) - model_mean) / model_std - test_units))
    return {"dataset": name, "weight": weight, "codes": result.model.__dict__,
            "pca": result.pca.__dict__, "ratio": float(own / pca), "pca_train_error":
            SCALE["e"], "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["raw", "normalized", "ts2vec"], required=True)
    parser.add_argument("--weights", type=float, nargs="+", required=True)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    patch(args.variant)
    rows = []
    data = sets.datasets(args.seed)
    print(f"{args.variant}: {'set':22s} {'weight':>6s} {'SVM':>6s} {'1-NN':>5s} {'ARI':>5s} "
          f"{'ratio':>6s} {'s':>4s}", flush=True)
    for weight in args.weights:
        for name, (train, y_train, test, y_test) in data.items():
            if args.only and name not in args.only:
                continue
            row = run(name, train, y_train, test, y_test, weight, args.seed, args.epochs)
            rows.append(row)
            codes = row["codes"]
            print(f"{args.variant}: {name:22s} {weight:6g} {codes['svm']:6.3f} "
                  f"{codes['nearest']:5.3f} {codes['clusters']:5.3f} {row['ratio']:6.3f} "
                  f"{row['seconds']:4.0f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine.describe(), "variant": args.variant,
                                    "seed": args.seed, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
