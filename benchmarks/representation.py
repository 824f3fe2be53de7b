"""The codes as a representation: how well they classify and cluster, against PCA codes, an
SVM on the raw signals and TS2Vec's published accuracy (issue 22).

Protocol (`sigae.study.probe`, as in TS2Vec): the model is trained without labels on the
training split, at latent 32 with `--seed 0`; an RBF SVM (`gamma="scale"`, `C` by 5-fold grid
search unless the training split is small) is fitted on the training codes and scored on
the test codes. Beside it: 1-NN accuracy, the adjusted Rand index of k-means on the test
codes, the test reconstruction error against PCA-32 fitted on the training split (in the
model's normalized units and in the data's units), and the training time.

Sets (`representation_data.py`): JapaneseVowels and PickupGestureWiimoteZ (the `_eq`
files of the aeon 1.6.0 wheel), PLAID from the sktime 1.2.0 wheel (each recording
linearly resampled to 500 samples), and fresh seeded draws of the generators of
cylinder-bell-funnel, two patterns and synthetic control at the archive's split sizes.

Usage (from the repository root):

    .venv/bin/python benchmarks/representation.py --out benchmarks/out/representation.json
    .venv/bin/python benchmarks/representation.py --contrast 0.01 --unguarded ...

`--contrast W` trains with the contrastive term on the code (`ModelConfig.contrast`).
`--unguarded` is an experiment, not a sigae option: it keeps the last epoch's weights
instead of the guard's choice (the epoch of least validation error, the PCA start if none
beats it), to show what the objective does to the codes when reconstruction does not
decide; it trains 100 epochs on all the training signals.
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


def run(name: str, train: np.ndarray, y_train: np.ndarray, test: np.ndarray,
        y_test: np.ndarray, args: argparse.Namespace) -> dict:
    import sigae
    from sigae.stats.pca import fit_pca, pca_reconstruct
    from sigae.study.probe import probe, score_codes

    began = time.perf_counter()
    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=32,
        contrast=args.contrast)
    settings = ({"augment": "none", "validation_split": 0.0, "epochs": 100, "patience": None}
                if args.unguarded else {"tolerance": args.tolerance})
    model.fit(train, seed=args.seed, verbose=0, **settings)
    seconds = time.perf_counter() - began
    result = probe(model, train, y_train, test=test, test_labels=y_test, seed=args.seed)
    raw = score_codes(train, y_train, test, y_test, seed=args.seed)

    def ratio(mean: np.ndarray, std: np.ndarray) -> float:
        # The model's test error over PCA-32's, both in the units (x - mean) / std.
        units = (test - mean) / std
        components, center = fit_pca((train - mean) / std, 32, seed=args.seed)
        pca = np.mean(np.square(pca_reconstruct(units, components, center) - units))
        return float(np.mean(np.square((model.reconstruct(test) - mean) / std - units)) / pca)

    choice = getattr(model.learned, "choice", None)
    dial = getattr(model.learned, "dial", None)
    return {"dataset": name, "n_train": len(train), "n_test": len(test),
            "length": train.shape[1], "channels": train.shape[2],
            "codes": result.model.__dict__, "pca": result.pca.__dict__, "raw": raw.__dict__,
            "ts2vec": sets.PUBLISHED_TS2VEC.get(name),
            "ratio": ratio(*model.normalization), "data_ratio": ratio(0.0, 1.0),
            "epochs": model.history.epochs, "best_epoch": model.history.best_epoch,
            "choice": choice.winner.name if choice else None,
            "dial": dial.to_dict() if dial else None, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/representation.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="dataset names to run (default: all)")
    parser.add_argument("--contrast", type=lambda t: t if t == "auto" else float(t),
                        default=0.0, help="weight of the contrastive term "
                        "(ModelConfig.contrast), or auto: the dial")
    parser.add_argument("--tolerance", type=float, default=1.0,
                        help="with --contrast auto: the dial's tolerance")
    parser.add_argument("--unguarded", action="store_true",
                        help="experiment: keep the last of 100 epochs, not the guard's choice")
    args = parser.parse_args()
    if args.unguarded:
        from sigae.training.guard import GuardCallback

        GuardCallback.restore = lambda self: None  # type: ignore[method-assign]
    rows = []
    print(f"{'set':22s} {'codes':>6s} {'PCA':>6s} {'raw':>6s} {'TS2Vec':>6s} "
          f"{'1-NN':>5s} {'ARI':>5s} {'ratio':>6s} {'data':>6s} {'s':>4s}", flush=True)
    for name, (train, y_train, test, y_test) in sets.datasets(args.seed).items():
        if args.only and name not in args.only:
            continue
        row = run(name, train, y_train, test, y_test, args)
        rows.append(row)
        ts2vec = f"{row['ts2vec']:.3f}" if row["ts2vec"] is not None else "-"
        print(f"{name:22s} {row['codes']['svm']:6.3f} {row['pca']['svm']:6.3f} "
              f"{row['raw']['svm']:6.3f} {ts2vec:>6s} {row['codes']['nearest']:5.3f} "
              f"{row['codes']['clusters']:5.3f} {row['ratio']:6.3f} {row['data_ratio']:6.3f} "
              f"{row['seconds']:4.0f}", flush=True)
    summary = {"machine": machine.describe(), "contrast": args.contrast,
               "tolerance": args.tolerance,
               "unguarded": args.unguarded, "seed": args.seed, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
