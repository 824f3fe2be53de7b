"""Codes that reconstruct exactly as PCA's do, in another geometry: do they classify better?

Any invertible map of PCA-32 codes reconstructs exactly as PCA does (the decoder undoes
it), so it keeps sigae's promise by construction while changing the distances an SVM
sees. Three maps, measured under `sigae.study.probe`'s protocol on the sets of
`benchmarks/representation.py` (issue 22, the second approach):

- `whitened`: each PCA axis divided by its standard deviation;
- `asinh`: each axis compressed, `s * asinh(z / s)` with `s` its standard deviation
  (large codes of loud signals brought nearer);
- `augmentation-LDA`: the linear map that maximizes the codes' variance between signals
  over their variance between two augmented views of one signal (sigae's standard
  augmentation, 8 pairs per signal; a generalized eigenproblem, regularized by 0.1 of the
  mean nuisance variance): a closed-form, linear contrastive objective.

Usage (from the repository root):

    .venv/bin/python benchmarks/representation_reparametrized.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
from scipy.linalg import eigh

sys.path.insert(0, str(Path(__file__).parent))

import machine
import representation_data as sets


def accuracies(train: np.ndarray, y_train: np.ndarray, test: np.ndarray,
               y_test: np.ndarray) -> dict[str, float]:
    """The probe's SVM accuracy of PCA-32 codes under each map."""
    from sigae.data.augment import Augmentation
    from sigae.stats.pca import fit_pca
    from sigae.study.probe import score_codes

    every = dataclasses.replace(Augmentation.standard(), fraction=1.0)
    mean, std = train.mean(), train.std()
    components, center = fit_pca((train - mean) / std, 32, seed=0)
    components = components[np.abs(components).sum(axis=1) > 0]  # the data's rank

    def codes(x: np.ndarray) -> np.ndarray:
        return (((x - mean) / std).reshape(len(x), -1) - center) @ components.T

    z_train, z_test = codes(train), codes(test)
    scale = z_train.std(axis=0)
    rng = np.random.default_rng(0)
    nuisance = np.concatenate([codes(every(train, rng)) - codes(every(train, rng))
                               for _ in range(8)])
    within = nuisance.T @ nuisance / len(nuisance) / 2
    within += 0.1 * np.trace(within) / len(within) * np.eye(len(within))
    _, axes = eigh(np.cov(z_train.T), within)
    maps = {"PCA": lambda z: z, "whitened": lambda z: z / scale,
            "asinh": lambda z: scale * np.arcsinh(z / scale), "aug-LDA": lambda z: z @ axes}
    return {key: score_codes(f(z_train), y_train, f(z_test), y_test).svm
            for key, f in maps.items()}


def main() -> None:
    print(machine.describe())
    print(f"{'set':22s} {'PCA':>6s} {'whitened':>9s} {'asinh':>6s} {'aug-LDA':>8s}")
    for name, (train, y_train, test, y_test) in sets.datasets().items():
        accuracy = accuracies(train, y_train, test, y_test)
        print(f"{name:22s} {accuracy['PCA']:6.3f} {accuracy['whitened']:9.3f} "
              f"{accuracy['asinh']:6.3f} {accuracy['aug-LDA']:8.3f}", flush=True)


if __name__ == "__main__":
    main()
