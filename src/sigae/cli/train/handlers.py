"""What `sigae demo` and `sigae train` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse
from typing import Any

from sigae.cli.options import (
    EXIT_FAILED_CHECK,
    auto,
    blame,
    load_data,
    raise_if_interrupted,
    save_trained,
    stop_on_signals,
    verbosity,
)
from sigae.cli.printer import Outcome
from sigae.errors import ConfigError, DataError, SigaeError


def demo(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import output_directory
    from sigae.demo import run_demo

    output_directory(args.out)
    with stop_on_signals() as stop:
        result = run_demo(args.out, epochs=auto(args.epochs), seed=args.seed,
                          verbose=verbosity(args), stop=stop, save=save_trained)
    check = result.check
    lines = [
        f"trained the default design for {result.epochs} epochs",
        f"best validation loss   {result.best_val_loss:.5f} (MSE, normalized units)",
        f"baseline               {result.comparison.summary()}",
        f"test MSE               {result.test_mse:.5f} (normalized units, 500 test signals)",
        f"consistency check      {'passed' if check.passed else 'FAILED'}: shared weights "
        f"{check.shared_weights}, max |eD - AE| = {check.views_max_abs_difference:.3g}, "
        f"save/load equal {check.round_trip_weights_equal}",
        f"model                  {result.model_path}",
        f"plots                  {result.loss_plot}, {result.reconstruction_plot}",
        f"report                 {result.report}",
        f"explore it             {_sigae()} explore {result.model_path} {result.test_signals}",
        *_stopped(result.history),
    ]
    failed = 0 if check.passed else EXIT_FAILED_CHECK
    return Outcome(lines, _stopped_code(result.history, stop) or failed)


def train(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import check_output_file, check_writable
    from sigae.saving.model_file import estimated_size
    from sigae.training import checkpoint as checkpoints
    from sigae.training.devices import initialize, is_primary

    if args.coordinator is not None or args.num_processes is not None:
        initialize(args.coordinator, args.num_processes, args.process_id)  # before JAX runs
    check_output_file(args.out, (".sigae",), inputs=[args.data])
    x = load_data(args, args.data, length=args.length)
    validation = (None if args.validation_data is None else
                  load_data(args, args.validation_data, length=x.shape[1]))
    model = _model(args, x.shape)
    _refuse_too_few(args, len(x), model.config.latent_dim,
                    None if validation is None else len(validation))
    check_writable(args.out, estimated_size(model.config, model.views, args.epochs or 1000))
    checkpoint = checkpoints.beside(args.out)
    lines = []
    if not checkpoints.refuse_unasked(checkpoint, args.resume) and args.resume:
        lines.append(f"no checkpoint {checkpoint}: trained from the start")
    with stop_on_signals() as stop, blame(args.data):
        history = model.fit(x, config=_settings(args), validation_data=validation,
                            verbose=verbosity(args), stop=stop,
                            callbacks=_callbacks(args), checkpoint=checkpoint,
                            keep_checkpoint=True,  # until the model itself is safe
                            devices=args.devices)
        raise_if_interrupted()
        if not is_primary():
            return Outcome(["trained; process 0 of this multi-host run writes the model"])
        try:
            save_trained(model, args.out, near=args.data)
        except SigaeError as error:
            kept = f"; the last checkpoint is kept: {checkpoint}" if checkpoint.exists() else ""
            raise SigaeError(f"{error}{kept}") from None
    checkpointed = checkpoint.exists()
    checkpoints.release(checkpoint, history, args.keep_checkpoint)
    lines += _trained(args, model, len(x), history)
    if checkpoint.exists():
        lines.append(f"kept the checkpoint {checkpoint}" + (" (--resume continues the run)"
                                                            if history.interrupted else ""))
    elif not checkpointed and history.epochs:
        lines.append(f"no checkpoint could be written to {checkpoint} during training (sigae "
                     "--debug train ... says why)")
    return Outcome(lines + _stopped(history), _stopped_code(history, stop))


def _model(args: argparse.Namespace, shape: tuple[int, ...]) -> Any:
    """The untrained model `--preset` and its options describe, for signals of `shape`."""
    from sigae.model import SignalAutoencoder

    _, length, channels = shape
    if args.length is not None and length != args.length:
        raise DataError(f"{args.data}: holds signals of {length} samples; --length "
                        f"{args.length} applies to recordings of different lengths (an "
                        "unequal .ts file, a folder), made that long by --lengths.")
    overrides: dict[str, Any] = {"noise_std": args.noise_std, "contrast": args.contrast}
    if args.latent_dim is not None:
        overrides["latent_dim"] = args.latent_dim
    if args.variational:  # the PCA start of the linear path is not a posterior
        overrides.update(variational=True, beta=args.beta, linear_path=False)
    model = SignalAutoencoder.from_preset(args.preset, length=length, channels=channels,
                                          seed=args.seed, **overrides)
    if model.config.latent_dim >= length * channels:
        raise ConfigError(
            f"{args.data}: --latent-dim {model.config.latent_dim} is at least the "
            f"{length * channels} values of one signal (length {length} x {channels} "
            "channel(s)): the code could copy its input and the model would learn nothing. "
            "Choose a smaller --latent-dim; if the rows of a table are the samples of one "
            "recording and its columns are channels, read it so with --layout channels and "
            "cut it into windows with --window LENGTH (or its columns as separate recordings "
            "with --layout columns).")
    return model


def _refuse_too_few(args: argparse.Namespace, n: int, latent_dim: int,
                    n_validation: int | None) -> None:
    """Refuses fewer signals than a result needs (`sigae.training.minimum`) unless
    --force."""
    from sigae.training import minimum

    n_train, n_val = minimum.sizes(n, args.validation_split, n_validation)
    if args.force or minimum.shortfall(n_train, n_val, latent_dim) is None:
        return
    counts = (f"{n} signals leave {n_train} for training and {n_val} for validation"
              if n_validation is None else
              f"{n} training signals and {n_val} in --validation-data")
    raise DataError(
        f"{args.data}: {counts}; "
        f"a result needs at least {minimum.minimum_training(latent_dim)} training signals "
        f"({minimum.MIN_TRAINING}, or twice --latent-dim where that is more) and "
        f"{minimum.MIN_VALIDATION} validation signals. Give more signals (cut long recordings "
        "into windows with --window), a smaller --latent-dim, or train anyway with --force "
        "(the model then carries a warning).")


def _settings(args: argparse.Namespace) -> Any:
    """The `TrainingConfig` the options describe (those left unset: automatic)."""
    from sigae.training.settings import TrainingConfig

    return TrainingConfig.with_augment(
        args.augment, epochs=auto(args.epochs), batch_size=auto(args.batch_size),
        validation_split=args.validation_split,
        patience=None if args.patience == 0 else auto(args.patience),
        learning_rate=auto(args.learning_rate), schedule=args.schedule,
        weight_decay=args.weight_decay, seed=args.seed,
        precision=args.precision, tolerance=args.tolerance)


def _callbacks(args: argparse.Namespace) -> list[Any]:
    """The Keras callbacks the options ask for: TensorBoard's logger."""
    if args.tensorboard is None:
        return []
    from sigae.core.outputs import output_directory
    from sigae.training.tensorboard import TensorBoardLogger

    return [TensorBoardLogger(output_directory(args.tensorboard))]


def _trained(args: argparse.Namespace, model: Any, n_signals: int, history: Any) -> list[str]:
    """What was trained and kept, the small-data choice, the comparison, where it is."""
    config = model.config
    kept = ("kept the starting weights" if model.history.best_epoch is None
            else f"kept epoch {model.history.best_epoch + 1}")
    lines = [f"trained {args.preset!r} on {n_signals} signals of length {config.length} x "
             f"{config.channels} channel(s) for {history.epochs} epochs; {kept}"]
    if model.learned is not None and model.learned.choice is not None:
        lines += model.learned.choice.summary()
    if model.learned is not None and model.learned.dial is not None:
        lines += model.learned.dial.summary()
    if model.comparison is not None:
        lines.append(model.comparison.summary())
    if model.learned is not None:
        lines += [f"WARNING: {caveat}" for caveat in model.learned.caveats]
    return [*lines, f"saved {args.out}"]


def _sigae() -> str:
    """The command that runs sigae here, as a user can type it: `sigae` where it is on the
    PATH, else the script that runs now (`.venv/bin/sigae` after `./dev demo`)."""
    import shutil
    import sys
    from pathlib import Path

    if shutil.which("sigae"):
        return "sigae"
    script = Path(sys.argv[0])
    return str(script) if script.name == "sigae" else f"{sys.executable} -m sigae"


def _stopped(history: Any) -> list[str]:
    """What was kept of a run stopped by a signal (nothing to say otherwise)."""
    if history.interrupted is None:
        return []
    return [f"training was stopped by {history.interrupted}; the best weights so far were saved"]


def _stopped_code(history: Any, stop: Any) -> int:
    """0, or for a run stopped by a signal, 128 + its number (`StopRequest.signum`)."""
    return 0 if history.interrupted is None or stop.signum is None else 128 + stop.signum
