"""TS2Vec, the reference implementation (the `ts2vec` package of the package index, its
authors' code), trained on the sets `representation_peer.py` exports; it writes each set's
train and test representations. Runs in its own environment (PyTorch 2.13.0, CPU; never a
dependency of sigae), made by `representation_peer.py`.

TS2Vec's own settings for classification (`train.py` of its repository): batch 8, learning
rate 0.001, 200 iterations for sets of up to 100,000 values (600 above), hidden size 64,
depth 10, `max_train_length` 3000; the representation of a series is the max over time of
its timestamps' (`encoding_window="full_series"`). The signals are standardized per channel
with the training split's statistics, as TS2Vec's UEA loader does.

Usage: python ts2vec_peer.py SETS.npz OUT.npz --dims 32 320 --seed 0
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from ts2vec import TS2Vec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets")
    parser.add_argument("out")
    parser.add_argument("--dims", type=int, nargs="+", default=[32, 320])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = np.load(args.sets)
    names = json.loads(str(data["names"]))
    results, seconds = {}, {}
    for name in names:
        if args.only and name not in args.only:
            continue
        train, test = data[f"{name}/train"], data[f"{name}/test"]
        mean, std = train.mean(axis=(0, 1)), train.std(axis=(0, 1))
        train, test = (train - mean) / std, (test - mean) / std
        for dims in args.dims:
            torch.manual_seed(args.seed)
            np.random.seed(args.seed)
            began = time.perf_counter()
            model = TS2Vec(input_dims=train.shape[2], output_dims=dims, device="cpu",
                           batch_size=8, lr=0.001, max_train_length=3000)
            model.fit(train.astype("float64"), verbose=False)
            spent = time.perf_counter() - began
            for part, x in (("train", train), ("test", test)):
                results[f"{name}/{dims}/{part}"] = model.encode(
                    x.astype("float64"), encoding_window="full_series")
            seconds[f"{name}/{dims}"] = spent
            print(f"{name:22s} TS2Vec-{dims:<4d} {spent:6.1f} s", flush=True)
    np.savez(args.out, seconds=json.dumps(seconds), **results)


if __name__ == "__main__":
    main()
