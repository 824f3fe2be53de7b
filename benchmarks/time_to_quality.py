"""Time to quality: how long the default design takes to reach the test loss an earlier
commit's default reaches, that commit and this code side by side in one run.

For the demo's data (`sigae.datasets.oscillations()`, 1500 training and 500 test signals,
latent 16) and two sets of `benchmarks/representation.py` (two patterns, 1,000 / 1,000 at
128 samples; PLAID, 537 / 537 recordings resampled to 500 samples; latent 32), each code
trains the default design with its own automatic settings, seed 0, in a fresh process with
a filled compilation cache (a first run per code fills it and is not counted). After every
epoch a callback measures the test loss (MSE in the model's normalized units) and stops the
clock while it does, so the times are those of the `fit` alone. The target of a set is the
median final test loss of the earlier commit; reported per code: the `fit`'s wall time,
its epochs, the final test loss of the model `fit` returns, and the time and epochs until
an epoch's weights first reach the target (DAWNBench's time-to-accuracy), or the whole
`fit` where only the weights it returns do (a kept start). The question's
own model in plain Keras (no sigae imported; Adam 1e-3, batch 100, its data standardized
by the training signals' mean and standard deviation, the units sigae's losses are in)
trains on the demo's data for up to `--question-epochs` epochs, once, to the same target.

Usage (from the repository root, machine otherwise idle):

    .venv/bin/python benchmarks/time_to_quality.py --before ab468fc \
        --out benchmarks/out/time-to-quality.json

`bench_speed.py --parts quality` runs this too. `--before` is checked out with `git
worktree` under benchmarks/out/ and runs with this environment's packages.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
HERE = Path(__file__).resolve().parent
SETS = ("demo", "TwoPatterns", "PLAID")


def _data(name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """`(train, test, latent_dim)` of a set, float32 `(n, length, channels)`."""
    if name == "demo":
        import sigae

        train, test = sigae.datasets.oscillations(seed=0)[:2]
        return train, test, 16
    import representation_data

    x_train, _, x_test, _ = representation_data.datasets(seed=0)[name]
    return x_train.astype("float32"), x_test.astype("float32"), 32


def _test_loss(keras, test: np.ndarray, scale):
    """A Keras callback: the test loss after every epoch (`curve`: `[seconds, loss]` per
    epoch), with the clock stopped meanwhile (`excluded`)."""

    class TestLoss(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.excluded, self.curve = time.perf_counter(), 0.0, []

        def on_epoch_end(self, epoch, logs=None):
            pause = time.perf_counter()
            reconstruction = self.model.predict(test, batch_size=500, verbose=0)
            loss = float(np.mean(np.square((reconstruction - test) / scale())))
            self.curve.append([pause - self.start - self.excluded, loss])
            self.excluded += time.perf_counter() - pause

    return TestLoss()


def _sigae_phase(name: str) -> dict:
    import keras

    import sigae

    train, test, latent = _data(name)
    model = sigae.SignalAutoencoder.from_preset(
        "default", length=train.shape[1], channels=train.shape[2], latent_dim=latent, seed=0)
    watch = _test_loss(keras, test, lambda: model.normalization[1])
    start = time.perf_counter()
    history = model.fit(train, seed=0, verbose=0, callbacks=[watch])
    seconds = time.perf_counter() - start - watch.excluded
    final = float(np.mean(np.square((model.reconstruct(test) - test)
                                    / model.normalization[1])))
    return {"fit_seconds": seconds, "epochs": history.epochs, "curve": watch.curve,
            "final_test_loss": final}


def _plain_phase(epochs: int) -> dict:
    """The question's code in plain Keras on the demo's data, its test loss every epoch."""
    import keras
    from bench_speed import question_autoencoder

    train, test = _demo_arrays()
    mean, std = train[:1200].mean(), train[:1200].std()  # the training part's, as sigae
    train, test = (train - mean) / std, (test - mean) / std
    autoencoder = question_autoencoder(keras)
    watch = _test_loss(keras, test, lambda: 1.0)
    start = time.perf_counter()
    autoencoder.fit(train, train, epochs=epochs, batch_size=100, validation_split=0.2,
                    verbose=0, callbacks=[watch])
    return {"fit_seconds": time.perf_counter() - start - watch.excluded,
            "epochs": epochs, "curve": watch.curve}


def _demo_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The demo's data without importing sigae (for plain Keras): saved by the parent."""
    saved = np.load(os.environ["SIGAE_BENCH_DEMO"])
    return saved["train"], saved["test"]


def _reached(run: dict, target: float) -> tuple[float, int] | None:
    """`(seconds, epochs)` until the first epoch whose test loss is at most `target`, or
    the whole `fit` if only the weights it returns do (the starting weights, kept)."""
    reached = next(((seconds, epoch + 1) for epoch, (seconds, loss) in enumerate(run["curve"])
                    if loss <= target), None)
    if reached is None and run.get("final_test_loss", float("inf")) <= target:
        return run["fit_seconds"], run["epochs"]
    return reached


def summarize(runs: dict) -> dict:
    """Medians per set and code, against the target of the earlier commit's final loss."""
    summary: dict = {}
    for name in SETS:
        target = float(np.median([r["final_test_loss"] for r in runs[f"before_{name}"]]))
        figures: dict = {"target": target}
        for code in ("before", "new"):
            done = runs[f"{code}_{name}"]
            reached = [_reached(r, target) for r in done]
            figures[code] = {
                "fit_seconds": float(np.median([r["fit_seconds"] for r in done])),
                "epochs": float(np.median([r["epochs"] for r in done])),
                "final_test_loss": float(np.median([r["final_test_loss"] for r in done])),
                "reached": sum(r is not None for r in reached),
                "seconds_to_target": (float(np.median([r[0] for r in reached]))
                                      if all(reached) else None),
                "epochs_to_target": (float(np.median([r[1] for r in reached]))
                                     if all(reached) else None)}
        figures["fit_ratio"] = figures["new"]["fit_seconds"] / figures["before"]["fit_seconds"]
        summary[name] = figures
    if "plain_question" in runs:
        plain = runs["plain_question"][0]
        reached = _reached(plain, summary["demo"]["target"])
        summary["plain_question"] = {
            "epochs": plain["epochs"], "fit_seconds": plain["fit_seconds"],
            "best_test_loss": min(loss for _, loss in plain["curve"]),
            "seconds_to_target": None if reached is None else reached[0],
            "epochs_to_target": None if reached is None else reached[1]}
    return summary


def table(summary: dict) -> str:
    """The summary as the Markdown table of benchmarks/README.md."""
    rows = ["| set (target: the earlier default's test loss) | code | `fit` (s) | epochs | "
            "final test loss | time to target (s) | epochs to target |",
            "|---|---|---|---|---|---|---|"]
    for name in SETS:
        figures = summary[name]
        for code in ("before", "new"):
            f = figures[code]
            to = ("not reached" if f["seconds_to_target"] is None
                  else f"{f['seconds_to_target']:.1f}")
            epochs = "" if f["epochs_to_target"] is None else f"{f['epochs_to_target']:.0f}"
            rows.append(f"| {name} ({figures['target']:.5f}) | {code} | {f['fit_seconds']:.1f} "
                        f"| {f['epochs']:.0f} | {f['final_test_loss']:.5f} | {to} | {epochs} |")
    if "plain_question" in summary:
        p = summary["plain_question"]
        to = ("not reached" if p["seconds_to_target"] is None
              else f"{p['seconds_to_target']:.1f} ({p['epochs_to_target']} epochs)")
        rows.append(f"| demo, plain Keras question | | {p['fit_seconds']:.1f} | {p['epochs']} "
                    f"| best {p['best_test_loss']:.5f} | {to} | |")
    return "\n".join(rows)


def run(before: str, repeats: int, question_epochs: int) -> dict:
    """Every phase, side by side: `{"runs": ..., "summary": ...}`."""
    from bench_speed import _checkout, _environment

    import sigae

    sources = {"before": _checkout(before), "new": None}
    work = Path(tempfile.mkdtemp(prefix="sigae-quality-"))
    train, test = sigae.datasets.oscillations(seed=0)[:2]
    np.savez(work / "demo.npz", train=train, test=test)
    runs: dict[str, list] = {}

    def phase(args: list[str], source: Path | None, cache: str) -> dict:  # a fresh process
        environment = _environment(source, SIGAE_CACHE_DIR=cache,
                                   SIGAE_BENCH_DEMO=str(work / "demo.npz"))
        done = subprocess.run([sys.executable, __file__, "--phase", *args], check=True,
                              capture_output=True, text=True, env=environment, cwd=HERE.parent)
        return json.loads(done.stdout.strip().splitlines()[-1])

    for repeat in range(-1, repeats):  # repeat -1 fills each code's compilation cache
        for name in SETS:
            for code, source in sources.items():
                result = phase(["sigae", name], source, str(work / f"cache-{code}"))
                if repeat >= 0:
                    runs.setdefault(f"{code}_{name}", []).append(result)
                    print(f"{code} {name}: {result['fit_seconds']:.1f} s, {result['epochs']} "
                          f"epochs, test {result['final_test_loss']:.5f}", flush=True)
    if question_epochs:
        runs["plain_question"] = [phase(["plain", str(question_epochs)], None, "")]
    return {"runs": runs, "summary": summarize(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="ab468fc", help="the commit to compare with")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "time-to-quality.json")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--question-epochs", type=int, default=40,
                        help="epochs of the plain Keras question model (0: not run)")
    parser.add_argument("--table", type=Path, help="print the table of a result file")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        kind, value = args.phase
        result = _plain_phase(int(value)) if kind == "plain" else _sigae_phase(value)
        print(json.dumps(result))
        return
    if args.table:
        result = json.loads(args.table.read_text())  # summarized as this version does
        print(table(summarize(result["runs"])))
        return
    import machine

    result = run(args.before, args.repeats, args.question_epochs)
    result["machine"] = machine.describe()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["machine"]))
    print(table(result["summary"]))


if __name__ == "__main__":
    main()
