"""Speed: plain Keras, an earlier sigae commit and this code, side by side in one run, under
each vector ISA asked for.

On the embedded dataset (`sigae.datasets.oscillations()`: 1500 training signals of 501
samples, `validation_split=0.2`, batch 100, Adam):

- the question's own code in plain Keras (no sigae imported), and the `question` preset:
  median seconds per epoch (epochs 2..end);
- the default design at the demo's size: training signals per second, the final
  validation loss after a fixed number of epochs (at a constant 1e-3 where the code has
  schedules, so that both codes take the same steps), and the fixed cost of a `fit` call
  (its wall time less epochs x the median epoch), with an empty and with a filled
  compilation cache (which holds the compiled steps too, `sigae.architecture.stepcache`);
- `encode` of the default design on 10,000 signals in memory, default batch and batch 1000;
- `sigae demo`, wall time of the whole command;
- this machine's sgemm (XLA's float32 matrix product, 2000 x 2000), measured in the same
  run, and each figure as a share of it (FLOPs counted from the layers: 2 per
  multiply-add; training = 3 x the forward pass, plus the validation's forward pass).

With `--parts quality` (or `quality speed`), time to quality too: for the demo's data and two
sets of `benchmarks/representation.py`, the time and epochs each code's default takes to reach
the earlier commit's test loss (`benchmarks/time_to_quality.py`, whose docstring says how).

Every measurement is a fresh process; the phases of one repeat run one after the other,
so the commits are measured side by side under the same conditions; medians over repeats.
Plain Keras runs with the environment this script was started with (sigae's process
settings, set when sigae is imported, never reach it). With `--isa AVX2` every process of
the run, plain Keras's included, gets `XLA_FLAGS=--xla_cpu_max_isa=AVX2`, so an AVX-512
machine stands in for an AVX2 one; `--isa native AVX2` measures both, and the result
records for each the CPU, the ISA in use, NumPy's and XLA's float32 matmul, and what the
setting does to XLA's code (`_isa_phase`: a fused kernel of XLA's own and its matrix product).

Usage (from the repository root, machine otherwise idle):

    .venv/bin/python benchmarks/bench_speed.py --before 6a7717b --isa native AVX2 \
        --out benchmarks/out/speed.json

`--before` is a commit checked out (with `git worktree`) under benchmarks/out/; its code
runs with this environment's packages.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Before Keras is imported anywhere (a phase imports it before sigae): JAX, sigae's default.
os.environ.setdefault("KERAS_BACKEND", "jax")
CLEAN = dict(os.environ)
"""The environment before sigae is imported here: what every child process starts from."""
ISA_FLAGS = {"native": "", "AVX2": "--xla_cpu_max_isa=AVX2"}


# -- phases (each in its own process) -------------------------------------------------

def question_autoencoder(keras):
    """The question's model (shared/origin/question.md) in plain Keras, compiled as it was."""
    from keras import layers

    def encoder():
        x = keras.Input((501, 1))
        h = layers.MaxPooling1D(2)(layers.Conv1D(256, 3, activation="tanh")(x))
        h = layers.MaxPooling1D(2)(layers.Conv1D(32, 3, activation="tanh")(h))
        return keras.Model(x, layers.Dense(32, activation="tanh")(layers.Flatten()(h)))

    def decoder():
        y = keras.Input((32,))
        h = layers.Conv1D(32, 3, activation="tanh")(layers.Reshape((32, 1))(y))
        h = layers.Conv1D(256, 3, activation="tanh")(layers.UpSampling1D(2)(h))
        h = layers.Dense(501)(layers.Flatten()(layers.UpSampling1D(2)(h)))
        return keras.Model(y, layers.Reshape((501, 1))(h))

    x = keras.Input((501, 1))
    autoencoder = keras.Model(x, decoder()(encoder()(x)))
    autoencoder.compile(optimizer="adam", loss="mse")
    return autoencoder


def _plain_keras_phase(data: str, epochs: int) -> dict:
    """The question's code (shared/origin/question.md) in plain Keras."""
    import keras

    train = np.load(data)
    train = (train - train.mean()) / train.std()
    autoencoder = question_autoencoder(keras)
    clock = _clock(keras)
    autoencoder.fit(train, train, epochs=epochs, batch_size=100, validation_split=0.2,
                    verbose=0, callbacks=[clock])
    return {"epoch_seconds": clock.durations,
            "forward_flops": _forward_flops(keras, autoencoder),
            "signals": len(train), "peak_bytes": _peak_bytes()}


def _sigae_phase(preset: str, data: str, epochs: int, encode: bool,
                 precision: str = "float32") -> dict:
    import keras

    import sigae

    train = np.load(data)
    model = sigae.SignalAutoencoder.from_preset(preset, length=train.shape[1], seed=0)
    clock = _clock(keras)  # each epoch, its validation included, timed in Keras' own fit
    start = time.perf_counter()
    mixed = {} if precision == "float32" else {"precision": precision}  # older commits
    if "schedule" in inspect.signature(model.fit).parameters:  # the same steps as before
        mixed |= {"schedule": "constant", "learning_rate": 1e-3}
    history = model.fit(train, epochs=epochs, patience=None, seed=0, verbose=0,
                        callbacks=[clock], **mixed)
    total = time.perf_counter() - start
    result = {"sigae": sigae.__file__, "epoch_seconds": clock.durations,
              "fit_seconds": total, "final_val_loss": history.val_loss[-1],
              "forward_flops": _forward_flops(keras, model.autoencoder),
              "encoder_flops": _forward_flops(keras, model.encoder), "signals": len(train)}
    if encode:
        x = np.concatenate([train] * 7)[:10_000]
        for name, kwargs in (("encode_default_batch", {}), ("encode_batch_1000",
                                                            {"batch_size": 1000})):
            model.encode(x[:1000], **kwargs)  # compiled
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                model.encode(x, **kwargs)
                times.append(time.perf_counter() - t0)
            result[name] = len(x) / float(np.median(times))
    elif preset == "default":  # a second model in this process: what a fit costs once
        # the process has trained one (a notebook, a sweep, the small-data choice)
        again = sigae.SignalAutoencoder.from_preset(preset, length=train.shape[1], seed=0)
        clock = _clock(keras)
        start = time.perf_counter()
        again.fit(train, epochs=epochs, patience=None, seed=0, verbose=0, callbacks=[clock],
                  **mixed)
        result["again"] = {"epoch_seconds": clock.durations,
                           "fit_seconds": time.perf_counter() - start,
                           "final_val_loss": again.history.val_loss[-1],
                           "forward_flops": result["forward_flops"], "signals": len(train)}
    result["peak_bytes"] = _peak_bytes()
    return result


def _peak_bytes() -> int | None:
    """The device's peak memory in use (a GPU's; `None` where the device does not say)."""
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def _sgemm_phase() -> dict:
    import jax
    import jax.numpy as jnp

    a = jnp.asarray(np.random.default_rng(0).normal(size=(2000, 2000)).astype("float32"))
    product = jax.jit(lambda m: m @ m)
    product(a).block_until_ready()
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        product(a).block_until_ready()
        times.append(time.perf_counter() - t0)
    return {"gflops": 2 * 2000**3 / float(np.median(times)) / 1e9}


def _isa_phase() -> dict:
    """What the ISA setting does to XLA's code: a fused, compute-bound kernel (64 dependent
    multiply-adds per element of a 1M array: XLA's own generated code) and a float32 matrix
    product (XLA's runtime library), in GFLOP/s. `--xla_cpu_max_isa=SSE4_2` slows the first
    several times; what AVX2 does against native shows how wide the native code is."""
    import jax
    import jax.numpy as jnp

    x = jnp.linspace(0.0, 1.0, 1 << 20, dtype="float32")

    def chain(v):
        y = v
        for _ in range(64):
            y = y * 0.999 + 0.001 * v
        return y

    fused, product = jax.jit(chain), jax.jit(lambda m: m @ m)
    a = jnp.ones((2000, 2000), "float32")

    def median(function, argument, n):
        function(argument).block_until_ready()
        times = []
        for _ in range(n):
            began = time.perf_counter()
            function(argument).block_until_ready()
            times.append(time.perf_counter() - began)
        return float(np.median(times))

    return {"fused_multiply_add_gflops": round(2 * 64 * (1 << 20) / median(fused, x, 20) / 1e9, 1),
            "sgemm_gflops": round(2 * 2000**3 / median(product, a, 10) / 1e9, 1)}


def _clock(keras):
    """A Keras callback collecting each epoch's duration in `.durations`."""

    class Clock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self.began)

    return Clock()


def _forward_flops(keras, model) -> int:
    """Multiply-adds x 2 of one signal's forward pass through the Conv1D and Dense layers."""
    flops = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Conv1D):
            size, channels, filters = layer.kernel.shape
            flops += 2 * layer.output.shape[1] * size * channels * filters
        elif isinstance(layer, keras.layers.Dense):
            flops += 2 * int(np.prod(layer.kernel.shape))
    return flops


# -- the run ---------------------------------------------------------------------------

def _environment(source: Path | None, isa: str = "native", **env: str) -> dict[str, str]:
    """A child's environment: the one this script started with (`CLEAN`), the ISA's XLA
    flag, sigae from `source` (a checkout) or this tree, and `env` (its own cache,
    `SIGAE_CACHE_DIR`)."""
    environment = {**CLEAN, **env}
    flags = f"{environment.get('XLA_FLAGS', '')} {ISA_FLAGS[isa]}".strip()
    if flags:
        environment["XLA_FLAGS"] = flags
    if source is not None:
        environment["PYTHONPATH"] = str(source / "src")
    return environment


def _phase(args: list[str], source: Path | None, isa: str = "native", **env: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *args], check=True,
                            capture_output=True, text=True,
                            env=_environment(source, isa, **env), cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _demo_seconds(source: Path | None, cache: str, isa: str = "native") -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sigae", "demo", "--out", out], check=True,
                       capture_output=True,
                       env=_environment(source, isa, SIGAE_CACHE_DIR=cache), cwd=ROOT)
        return time.perf_counter() - start


def _checkout(commit: str) -> Path:
    path = ROOT / "benchmarks" / "out" / f"before-{commit}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], check=True,
                       cwd=ROOT, capture_output=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="6a7717b", help="the commit to compare with")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/speed.json"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20, help="default design's epochs")
    parser.add_argument("--question-epochs", type=int, default=5)
    parser.add_argument("--isa", nargs="+", choices=list(ISA_FLAGS), default=["native"],
                        help="the vector ISAs XLA may use, one run each (AVX2: "
                        "--xla_cpu_max_isa=AVX2)")
    parser.add_argument("--parts", nargs="+", choices=["speed", "quality"], default=["speed"],
                        help="speed: the figures above; quality: time to quality "
                        "(benchmarks/time_to_quality.py, native ISA, written to --out with "
                        "-quality before its suffix)")
    parser.add_argument("--table", type=Path, help="print the Markdown tables of a result file")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.table:  # the summaries again from the runs, as this version computes them
        result = json.loads(args.table.read_text())
        for isa, summary in result["summaries"].items():
            summary = {**summary, **_summarize(result["runs"][isa], argparse.Namespace(
                before=summary["before"], repeats=summary["repeats"]))}
            print(f"\n{isa}: {summary['machine']}\n")
            print(table(summary))
        return

    if args.phase:
        kind, *rest = args.phase
        if kind == "plain":
            result = _plain_keras_phase(rest[0], int(rest[1]))
        elif kind == "sgemm":
            result = _sgemm_phase()
        elif kind == "isa":
            result = _isa_phase()
        else:
            result = _sigae_phase(rest[0], rest[1], int(rest[2]), rest[3] == "encode",
                                  *rest[4:5])
        print(json.dumps(result))
        return

    import machine

    import sigae

    if "quality" in args.parts:
        import time_to_quality

        quality = time_to_quality.run(args.before, args.repeats, question_epochs=40)
        quality["machine"] = machine.describe()
        path = args.out.with_name(f"{args.out.stem}-quality{args.out.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(quality, indent=2))
        print(time_to_quality.table(quality["summary"]))
        if "speed" not in args.parts:
            return
    before = _checkout(args.before)
    work = Path(tempfile.mkdtemp(prefix="sigae-speed-"))
    data = work / "train.npy"
    np.save(data, sigae.datasets.oscillations(seed=0)[0])
    codes = {"before": before, "new": None}
    summaries, every = {}, {}
    for isa in args.isa:
        runs: dict[str, list] = {}

        def record(name: str, value, runs=runs, isa=isa) -> None:
            runs.setdefault(name, []).append(value)
            print(f"{isa} {name}: {json.dumps(value)[:300]}", flush=True)

        for repeat in range(args.repeats):
            record("sgemm", _phase(["sgemm"], None, isa))
            record("plain_question", _phase(["plain", str(data), str(args.question_epochs)],
                                            None, isa))
            for code, source in codes.items():
                cache = str(work / f"cache-{isa}-{code}-{repeat}")  # empty: the first compiles
                record(f"{code}_question", _phase(
                    ["sigae", "question", str(data), str(args.question_epochs), "no"], source,
                    isa, SIGAE_CACHE_DIR=cache))
                record(f"{code}_default", _phase(
                    ["sigae", "default", str(data), str(args.epochs), "encode"], source, isa,
                    SIGAE_CACHE_DIR=cache))
                record(f"{code}_default_cached", _phase(  # the same again, the cache filled
                    ["sigae", "default", str(data), str(args.epochs), "no"], source, isa,
                    SIGAE_CACHE_DIR=cache))
                record(f"{code}_demo_seconds",
                       _demo_seconds(source, str(work / f"demo-{isa}-{code}"), isa))
        summary = _summarize(runs, args)
        summary["machine"] = {**machine.describe(), "isa_in_use": isa,
                              "xla_flags": ISA_FLAGS[isa],
                              "xla_code": _phase(["isa"], None, isa)}
        summaries[isa], every[isa] = summary, runs
        print(json.dumps(summary, indent=2))
        print(table(summary))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summaries": summaries, "runs": every}, indent=2))


def table(summary: dict) -> str:
    """The summary as a Markdown table: plain Keras, the earlier commit, this code."""
    plain, sgemm = summary["plain_question"], summary["sgemm_gflops"]
    old_q, new_q = summary["before_question"], summary["new_question"]
    old, new = summary["before_default"], summary["new_default"]
    old_c, new_c = summary["before_default_cached"], summary["new_default_cached"]
    old_a, new_a = summary["before_default_again"], summary["new_default_again"]

    def share(figures: dict, key: str = "share_of_sgemm") -> str:
        return f"{100 * figures[key]:.0f}%"

    def side(label: str, before: float, now: float, spec: str,
             bold: bool = False) -> tuple[str, ...]:
        """A row of the default design: blank for plain Keras, then the two commits."""
        figure = f"{now:{spec}}"
        return label, "", f"{before:{spec}}", f"**{figure}**" if bold else figure

    def both(figures_before: dict, figures_now: dict, key: str) -> tuple[float, float]:
        return figures_before[key], figures_now[key]

    rows = [
        ("`question` preset: seconds per epoch", f"{plain['epoch_seconds']:.2f}",
         f"{old_q['epoch_seconds']:.2f}", f"**{new_q['epoch_seconds']:.2f}**"),
        ("... against plain Keras", "1", f"{summary['before_question_ratio_to_plain']:.2f}",
         f"**{summary['question_ratio_to_plain']:.2f}**"),
        ("... as a share of sgemm", share(plain), share(old_q), share(new_q)),
        side("default design: one epoch (s), cache filled",
             *both(old_c, new_c, "epoch_seconds"), ".3f"),
        side("... fixed cost of one `fit` (s), cache filled",
             *both(old_c, new_c, "fixed_seconds"), ".2f", bold=True),
        side("... fixed cost against one epoch", summary["before_fixed_to_epoch"],
             summary["new_fixed_to_epoch"], ".2f", bold=True),
        side("... fixed cost, empty cache (s)", *both(old, new, "fixed_seconds"), ".2f"),
        side("... fixed cost of a second model's `fit` in that process (s)",
             *both(old_a, new_a, "fixed_seconds"), ".3f", bold=True),
        side("... that against one epoch", summary["before_again_fixed_to_epoch"],
             summary["new_again_fixed_to_epoch"], ".2f", bold=True),
        side("... that second `fit`'s time outside its epochs (s)",
             *both(old_a, new_a, "outside_epochs_seconds"), ".3f", bold=True),
        side("... training signals/s (cache filled)",
             *both(old_c, new_c, "train_signals_per_second"), ",.0f"),
        side("... validation loss after the same epochs",
             *both(old, new, "final_val_loss"), ".6f"),
        side("`encode`, default batch (100): signals/s",
             *both(old, new, "encode_default_batch"), ",.0f"),
        side("`sigae demo`, whole command (s), median of 3 sharing one cache",
             summary["before_demo_seconds"], summary["new_demo_seconds"], ".1f", bold=True),
    ]
    lines = [f"| XLA sgemm {sgemm:.0f} GFLOP/s | plain Keras (the question's code) | "
             f"sigae {summary['before']} | sigae now |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _summarize(runs: dict, args: argparse.Namespace) -> dict:
    sgemm = float(np.median([r["gflops"] for r in runs["sgemm"]]))

    def epoch(run: dict) -> float:
        return float(np.median(run["epoch_seconds"][1:]))

    def training(run: dict) -> dict:
        seconds = epoch(run)
        n_train = run["signals"] - round(run["signals"] * 0.2)
        flops = (3 * n_train + (run["signals"] - n_train)) * run["forward_flops"]
        figures = {"epoch_seconds": seconds, "train_signals_per_second": n_train / seconds,
                   "share_of_sgemm": flops / seconds / 1e9 / sgemm}
        if "fit_seconds" in run:
            epochs = len(run["epoch_seconds"])
            figures["fixed_seconds"] = run["fit_seconds"] - epochs * seconds
            figures["outside_epochs_seconds"] = run["fit_seconds"] - sum(run["epoch_seconds"])
            figures["final_val_loss"] = run["final_val_loss"]
        for name in ("encode_default_batch", "encode_batch_1000"):
            if name in run:
                figures[name] = run[name]
                figures[f"{name}_share_of_sgemm"] = (run[name] * run["encoder_flops"] / 1e9
                                                     / sgemm)
        return figures

    def median(name: str, part: str | None = None) -> dict:
        figures = [training(run if part is None else run[part]) for run in runs[name]]
        return {key: float(np.median([f[key] for f in figures])) for key in figures[0]}

    summary = {
        "before": args.before, "repeats": args.repeats, "sgemm_gflops": sgemm,
        "plain_question": median("plain_question"),
    }
    for name in ("before_question", "new_question", "before_default", "new_default",
                 "before_default_cached", "new_default_cached"):
        summary[name] = median(name)
    for code in ("before", "new"):
        summary[f"{code}_default_again"] = median(f"{code}_default_cached", "again")
    for code in ("before", "new"):
        summary[f"{code}_demo_seconds"] = float(np.median(runs[f"{code}_demo_seconds"]))
    summary["question_ratio_to_plain"] = (summary["new_question"]["epoch_seconds"]
                                         / summary["plain_question"]["epoch_seconds"])
    summary["before_question_ratio_to_plain"] = (
        summary["before_question"]["epoch_seconds"] / summary["plain_question"]["epoch_seconds"])
    for code in ("before", "new"):
        cached, again = summary[f"{code}_default_cached"], summary[f"{code}_default_again"]
        summary[f"{code}_fixed_to_epoch"] = cached["fixed_seconds"] / cached["epoch_seconds"]
        summary[f"{code}_again_fixed_to_epoch"] = again["fixed_seconds"] / again["epoch_seconds"]
    summary["default_training_speedup"] = (summary["new_default"]["train_signals_per_second"]
                                           / summary["before_default"]["train_signals_per_second"])
    summary["encode_speedup"] = (summary["new_default"]["encode_default_batch"]
                                 / summary["before_default"]["encode_default_batch"])
    return summary


if __name__ == "__main__":
    main()
