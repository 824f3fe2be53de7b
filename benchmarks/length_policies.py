"""Each length policy on the archive's unequal sets, through the command line (issue 23).

For PickupGestureWiimoteZ and JapaneseVowels (their original, unequal `.ts` files from the
aeon 1.6.0 wheel) and PLAID (sktime 1.2.0): `sigae train TRAIN.ts --lengths P`, then
`sigae encode` and `sigae score` of the TEST file, and for resample and pad `sigae
reconstruct` of it to an `.npz`, checked to hold each recording at its own length (pad
pads to the longest recording of both splits, `--length`; window cuts windows of the
shortest recording's length every half of it). It
records what `train` said it did, the time, the model's comparison with PCA on its
validation signals, the test MSE over each recording's own samples (normalized units), and
one code per recording (or per window).

    .venv/bin/python benchmarks/length_policies.py [--epochs N]

Results: `benchmarks/out/length_policies.json` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine
import numpy as np
from representation_data import member

SETS = {
    "PickupGestureWiimoteZ": ("aeon", "aeon/datasets/data/PickupGestureWiimoteZ/"
                              "PickupGestureWiimoteZ_{}.ts"),
    "JapaneseVowels": ("aeon", "aeon/datasets/data/JapaneseVowels/JapaneseVowels_{}.ts"),
    "PLAID": ("sktime", "sktime/datasets/data/PLAID/PLAID_{}.ts"),
}
SIGAE = [sys.executable, "-m", "sigae"]


def run(*argv: str) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run([*SIGAE, *argv], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"sigae {' '.join(argv)} failed: {done.stderr.strip()}")
    return time.perf_counter() - began, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", help="a fixed number of epochs (default: sigae's automatic)")
    args = parser.parse_args()
    from sigae import load
    from sigae.io import read_collection

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for name, (wheel, pattern) in SETS.items():
            train, test = (member(wheel, pattern.format(p)) for p in ("TRAIN", "TEST"))
            sizes, trained_sizes = read_collection(test).lengths, read_collection(train).lengths
            shortest = int(min(trained_sizes.min(), sizes.min()))
            longest = int(max(trained_sizes.max(), sizes.max()))
            for policy in ("resample", "pad", "window"):
                # pad: to the longest recording of both splits, which a user who knows the
                # test recordings can be longer gives as --length
                window = {"window": ["--window", str(shortest), "--hop",
                                     str(max(1, shortest // 2))],
                          "pad": ["--length", str(longest)]}.get(policy, [])
                model = out / f"{name}-{policy}.sigae"
                seconds, said = run("train", str(train), "--out", str(model), "--lengths",
                                    policy, *window, "--seed", "0", "--quiet",
                                    *(["--epochs", args.epochs] if args.epochs else []))
                note = next((line.split(": ", 1)[1] for line in said.splitlines()
                             if line.startswith(str(train))), "")
                applied = window if policy == "window" else []
                run("encode", str(model), str(test), *applied, "--out", str(out / "c.npy"))
                run("score", str(model), str(test), *applied, "--out", str(out / "s.csv"))
                codes = np.load(out / "c.npy")
                mse = np.genfromtxt(out / "s.csv", delimiter=",", names=True)["mse"]
                own_lengths = None
                if policy != "window":
                    run("reconstruct", str(model), str(test), "--out", str(out / "r.npz"))
                    with np.load(out / "r.npz") as restored:
                        own_lengths = all(restored[f"recording_{i}"].shape[0] == n
                                          for i, n in enumerate(sizes))
                trained = load(model)
                rows.append({
                    "set": name, "policy": policy, "options": " ".join(window) or None,
                    "train_note": note, "train_s": round(seconds, 1),
                    "length": trained.config.length,
                    "epochs": trained.history.epochs,
                    "validation_ratio_to_pca": round(trained.comparison.ratio, 3),
                    "test_recordings": len(sizes), "codes": len(codes),
                    "test_mse": round(float(np.mean(mse)), 4),
                    "reconstructed_at_own_lengths": own_lengths})
                print(json.dumps(rows[-1]), flush=True)
    result = {"machine": machine.describe(), "epochs": args.epochs or "auto", "rows": rows}
    target = Path(__file__).parent / "out" / "length_policies.json"
    target.write_text(json.dumps(result, indent=1))
    print(f"\n{result['machine']}")
    print("| set | policy | what train said | train s | ratio to PCA (validation) | "
          "test MSE | codes |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['policy']} | {r['train_note'] or 'as they are'} | "
              f"{r['train_s']} | {r['validation_ratio_to_pca']} | {r['test_mse']} | "
              f"{r['codes']} for {r['test_recordings']} recordings |")


if __name__ == "__main__":
    main()
