"""Makes the README's pictures: the demo model studied with the command line.

Usage (from the repository root, after `./dev demo`, which writes sigae-demo/):

    .venv/bin/python docs/make_pictures.py sigae-demo
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import sigae
from sigae.cli import main


def make(demo: Path, images: Path) -> None:
    model = str(demo / "model.sigae")
    _, test = sigae.datasets.oscillations(seed=0)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        np.save(work / "test.npy", test)
        data = str(work / "test.npy")
        for argv in (
            ["latent", "stats", model, data, "--out", str(work)],
            ["latent", "project", model, data, "--out", str(work)],
            ["latent", "traverse", model, "--dims", "0,1,2", "--out", str(work)],
            ["latent", "interpolate", model, data, "--from", "0", "--to", "5", "--out",
             str(work)],
            ["latent", "neighbors", model, data, "--index", "3", "-k", "3", "--out", str(work)],
            ["generate", model, "-n", "200", "--seed", "0", "--out", str(work / "g.npy"),
             "--plot", str(work / "generated.png")],
            ["score", model, data, "--out", str(work / "s.csv"), "--plot",
             str(work / "errors.png")],
        ):
            assert main(argv) == 0, argv
        for name in ("stats", "projection", "traversal", "interpolation", "neighbors",
                     "generated", "errors"):
            shutil.copy(work / f"{name}.png", images / f"{name}.png")


if __name__ == "__main__":
    make(Path(sys.argv[1] if len(sys.argv) > 1 else "sigae-demo"), Path(__file__).parent / "images")
