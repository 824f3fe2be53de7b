"""What each unit of the central layer means, and how many units the signals need (issue 35).

1. The default design at latent 8 on 2,000 seeded oscillations (1,500 training, 500 test):
   `sigae.study.factors` on the test signals, the model's codes beside PCA-8's: each factor's
   nonlinear and linear R² (phase circular), and DCI. Target: every factor's nonlinear R² of
   the codes >= 0.95; the codes' mean R² and informativeness above PCA's.
2. `sigae.study.size` on the oscillations (4 factors, phase counting twice: 5) and the chirps
   (3 factors): the suggested size, its time. Target: within one of the factors' count;
   six sizes on 2,000 signals within 5 minutes.
3. `factors` on 10,000 signals at latent 32: its time. Target: within 30 s on 2 cores.

Usage (from the repository root):

    .venv/bin/python benchmarks/factors.py --out benchmarks/out/factors.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).parent))

import machine

HERE = Path(__file__).parent


def recovered(seed: int) -> dict:
    import numpy as np

    import sigae
    from sigae.study.factors import factors

    data = sigae.datasets.oscillations(2000, seed=seed, factors=True)
    model = sigae.SignalAutoencoder.from_preset("default", length=501, latent_dim=8, seed=seed)
    start = time.perf_counter()
    model.fit(data.train, seed=seed, verbose=0)
    trained = time.perf_counter() - start
    # Every signal's code (the model never saw the factors): 2,000 rows for the regressors.
    x = np.concatenate([data.train, data.test])
    table = sigae.datasets.Factors(np.concatenate([data.train_factors.values,
                                                   data.test_factors.values]),
                                   data.train_factors.names, data.train_factors.circular)
    start = time.perf_counter()
    result = factors(model, x, table, seed=seed)
    return {"train_s": trained, "factors_s": time.perf_counter() - start,
            "epochs": model.history.epochs, "comparison": model.comparison.summary(),
            **result.to_dict(), "lines": result.lines()}


def sized(family: str, seed: int, dims: list[int]) -> dict:
    import sigae
    from sigae.study.size import size

    data = getattr(sigae.datasets, family)(2000, seed=seed)
    start = time.perf_counter()
    result = size(data.train, dims, seed=seed)
    return {"family": family, **result.to_dict(), "total_s": time.perf_counter() - start}


def large(seed: int) -> dict:
    import numpy as np

    import sigae
    from sigae.study.factors import factors

    data = sigae.datasets.oscillations(10_000, length=128, seed=seed, factors=True)
    model = sigae.SignalAutoencoder.from_preset("default", length=128, latent_dim=32,
                                                seed=seed)
    model.fit(data.train, epochs=3, seed=seed, verbose=0)
    x = np.concatenate([data.train, data.test])
    quantities = np.concatenate([data.train_factors.values, data.test_factors.values])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        factors(model, x, quantities, names=data.test_factors.names, circular=("phase",),
                seed=seed)
        times.append(time.perf_counter() - start)
    return {"n_signals": len(x), "seconds": times, "median_s": float(np.median(times))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "factors.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", nargs="*", default=["recovered", "size", "large"])
    args = parser.parse_args()
    result: dict = {"machine": machine.describe(), "seed": args.seed}
    if "recovered" in args.parts:
        result["recovered"] = recovered(args.seed)
        print("\n".join(result["recovered"]["lines"]), flush=True)
    if "size" in args.parts:
        result["size"] = [sized(family, args.seed, [2, 3, 4, 5, 6, 8])
                          for family in ("oscillations", "chirps")]
        for entry in result["size"]:
            print(entry["family"], entry["suggested"], entry["nmse_sigae"], entry["nmse_pca"],
                  f"{entry['total_s']:.0f} s", flush=True)
    if "large" in args.parts:
        result["large"] = large(args.seed)
        print("10,000 signals at latent 32:", result["large"]["seconds"], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
