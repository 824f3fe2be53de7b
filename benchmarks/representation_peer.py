"""TS2Vec run here, side by side with sigae (issue 33): the reference implementation
(`ts2vec_peer.py`, in an environment of its own with PyTorch 2.13.0, CPU) trained on the same
training splits as `representation.py`, its representations at 32 and 320 dimensions scored
by the same protocol (`sigae.study.probe.score_codes`: an RBF SVM as TS2Vec's `fit_svm`).

Usage (from the repository root; the first run makes benchmarks/out/ts2vec-venv):

    .venv/bin/python benchmarks/representation_peer.py --out benchmarks/out/ts2vec.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).parent))

import machine
import representation_data as sets

HERE = Path(__file__).parent
VENV = HERE / "out" / "ts2vec-venv"
PEER = ["torch==2.13.0", "ts2vec==0.1", "numpy<2.5", "scikit-learn"]


def peer_python() -> Path:
    """The peer environment's Python, made on first use (PyTorch's CPU wheel)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER], check=True)
    return python


def main() -> None:
    from sigae.study.probe import score_codes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "ts2vec.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dims", type=int, nargs="+", default=[32, 320])
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    data = {name: parts for name, parts in sets.datasets(args.seed).items()
            if not args.only or name in args.only}
    exported = HERE / "out" / f"sets-{args.seed}.npz"
    np.savez(exported, names=json.dumps(list(data)),
             **{f"{name}/{part}": x for name, (train, _, test, _) in data.items()
                for part, x in (("train", train), ("test", test))})
    codes_file = HERE / "out" / f"ts2vec-codes-{args.seed}.npz"
    subprocess.run([str(peer_python()), str(HERE / "ts2vec_peer.py"), str(exported),
                    str(codes_file), "--dims", *map(str, args.dims), "--seed",
                    str(args.seed)], check=True)
    codes = np.load(codes_file)
    seconds = json.loads(str(codes["seconds"]))
    rows = []
    for name, (_, y_train, _, y_test) in data.items():
        for dims in args.dims:
            scores = score_codes(codes[f"{name}/{dims}/train"], y_train,
                                 codes[f"{name}/{dims}/test"], y_test, seed=args.seed)
            rows.append({"dataset": name, "dims": dims, "scores": scores.__dict__,
                         "seconds": seconds[f"{name}/{dims}"],
                         "published": sets.PUBLISHED_TS2VEC.get(name)})
            print(f"{name:22s} TS2Vec-{dims:<4d} SVM {scores.svm:.3f}  1-NN "
                  f"{scores.nearest:.3f}  ARI {scores.clusters:.3f}  "
                  f"{seconds[f'{name}/{dims}']:6.1f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine.describe(), "seed": args.seed,
                                    "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
