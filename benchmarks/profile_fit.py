"""Where a `fit` call's fixed cost goes: cProfile of a 1-epoch `fit` of the default design at
the demo's size, in a process that has already fitted one model (so what is left is not
compilation, which the compilation cache or the first model paid).

Usage (from the repository root):

    .venv/bin/python benchmarks/profile_fit.py [--preset question]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import sigae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--lines", type=int, default=25)
    args = parser.parse_args()
    train = sigae.datasets.oscillations(seed=0)[0]
    for run in ("first model", "second model"):
        model = sigae.SignalAutoencoder.from_preset(args.preset, length=501, seed=0)
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        model.fit(train, epochs=1, patience=None, seed=0, verbose=0)
        profile.disable()
        print(f"{run}: fit of 1 epoch {time.perf_counter() - start:.2f} s")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(200)
    rows = [line for line in text.getvalue().splitlines()
            if "/sigae/" in line or "trainer.py" in line or "compile_or_get" in line]
    print("\n".join(rows[:args.lines]))


if __name__ == "__main__":
    main()
