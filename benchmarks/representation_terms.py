"""Which representation term on the code is worth keeping (issue 33), measured the way the
dial uses it: for each variant, the frontier (`sigae.study.frontier`) on the six sets of
`representation_data.py` at latent 32: for each weight, the model the dial would keep
(trained on the training split, its best epoch by validation reconstruction, the PCA start
not competing), its test reconstruction error over PCA-32's fitted on the training split,
and the test accuracy of its codes (TS2Vec's SVM protocol, `sigae.study.probe`).

Variants (the library's `Contrast` patched here, as an experiment):

- `raw`: today's term, `weight * InfoNCE` added to the MSE in normalized units;
- `normalized`: both terms normalized, so one weight means the same on every set: the loss
  is `MSE / e + weight * InfoNCE / log(2B - 1)` (times `e`, which leaves Adam's steps
  alike), `e` being PCA-32's training error in the model's units and `log(2B - 1)` the
  InfoNCE of codes that say nothing about their signal (B signals a batch);
- `ts2vec`: normalized, with TS2Vec's views in place of sigae's: two overlapping random
  crops of each batch (the rest masked to the mean) and each time step masked with
  probability 0.5 (Yue et al., AAAI 2022);
- `head`: today's term on a projection head after the code (a two-layer MLP, 32 ReLU units
  then 32, as SimCLR found the features before the head keep more; Chen et al., ICML 2020),
  the head trained with the model but part of none of its views.

Usage: .venv/bin/python benchmarks/representation_terms.py --variant normalized
           --weights 0 0.1 0.3 1 --out benchmarks/out/terms-normalized.json
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

    if variant == "raw":
        return
    plain = Contrast.loss
    if variant == "head":
        import keras

        made = Contrast.__init__

        def with_head(self, *args, **kwargs):
            made(self, *args, **kwargs)
            self.head = keras.Sequential([keras.layers.Dense(32, activation="relu"),
                                          keras.layers.Dense(32)])
            self.head.build((None, 32))

        Contrast.__init__ = with_head
        Contrast.loss = lambda self, encode, x: plain(self, lambda v: self.head(encode(v)), x)
        return

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


def run(name, train, y_train, test, y_test, weights, seed) -> dict:
    import sigae
    from sigae.stats.pca import fit_pca, pca_reconstruct
    from sigae.study.frontier import frontier

    mean, std = float(train.mean()), float(train.std())
    units = (train - mean) / std
    components, center = fit_pca(units, 32, seed=seed)
    SCALE["e"] = float(np.mean(np.square(pca_reconstruct(units, components, center) - units)))
    config = sigae.ModelConfig(length=train.shape[1], channels=train.shape[2], latent_dim=32)
    began = time.perf_counter()
    traded = frontier(config, train, y_train, test=test, test_labels=y_test,
                      weights=tuple(weights), seed=seed)
    return {"dataset": name, "frontier": traded.to_dict(), "pca_train_error": SCALE["e"],
            "seconds": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["raw", "normalized", "ts2vec", "head"],
                        required=True)
    parser.add_argument("--weights", type=float, nargs="+", required=True)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    patch(args.variant)
    rows = []
    print(f"{args.variant}: {'set':22s} {'weight':>6s} {'SVM':>6s} {'1-NN':>5s} {'ARI':>5s} "
          f"{'ratio':>6s}", flush=True)
    for name, (train, y_train, test, y_test) in sets.datasets(args.seed).items():
        if args.only and name not in args.only:
            continue
        row = run(name, train, y_train, test, y_test, args.weights, args.seed)
        rows.append(row)
        for point in row["frontier"]["points"]:
            codes = point["scores"]
            print(f"{args.variant}: {name:22s} {point['weight']:6g} {codes['svm']:6.3f} "
                  f"{codes['nearest']:5.3f} {codes['clusters']:5.3f} {point['ratio']:6.3f}",
                  flush=True)
        pca = row["frontier"]["pca"]
        print(f"{args.variant}: {name:22s} {'PCA':>6s} {pca['svm']:6.3f} {pca['nearest']:5.3f} "
              f"{pca['clusters']:5.3f}  ({row['seconds']:.0f} s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine.describe(), "variant": args.variant,
                                    "seed": args.seed, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
