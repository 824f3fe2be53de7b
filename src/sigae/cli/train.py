"""`sigae demo` and `sigae train`."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    EXIT_FAILED_CHECK,
    add_data_options,
    auto,
    blame,
    command,
    fraction,
    load_data,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    raise_if_interrupted,
    save_trained,
    stop_on_signals,
    verbosity,
)
from sigae.errors import DataError, SigaeError
from sigae.training.automatic import automatic_default


def demo(args: argparse.Namespace) -> int:
    from sigae.core.outputs import output_directory
    from sigae.demo import run_demo

    output_directory(args.out)
    with stop_on_signals() as stop:
        result = run_demo(args.out, epochs=auto(args.epochs), seed=args.seed,
                          verbose=verbosity(args), stop=stop, save=save_trained)
    check = result.check
    print(f"trained the default design for {result.epochs} epochs")
    print(f"best validation loss   {result.best_val_loss:.5f} (MSE, normalized units)")
    print(f"baseline               {result.comparison.summary()}")
    print(f"test MSE               {result.test_mse:.5f} (normalized units, 500 test signals)")
    print(f"consistency check      {'passed' if check.passed else 'FAILED'}: shared weights "
          f"{check.shared_weights}, max |eD - AE| = {check.views_max_abs_difference:.3g}, "
          f"save/load equal {check.round_trip_weights_equal}")
    print(f"model                  {result.model_path}")
    print(f"plots                  {result.loss_plot}, {result.reconstruction_plot}")
    print(f"report                 {result.report}")
    print(f"explore it             sigae explore {result.model_path} {result.test_signals}")
    return _interrupted(result.history) or (0 if check.passed else EXIT_FAILED_CHECK)


def train(args: argparse.Namespace) -> int:
    from sigae.core.outputs import check_output_file, check_writable
    from sigae.model import SignalAutoencoder
    from sigae.saving.model_file import estimated_size
    from sigae.training.devices import initialize, is_primary

    if args.coordinator is not None or args.num_processes is not None:
        initialize(args.coordinator, args.num_processes, args.process_id)  # before JAX runs
    check_output_file(args.out, (".sigae",), inputs=[args.data])
    x = load_data(args, args.data, length=args.length)
    _, length, channels = x.shape
    if args.length is not None and length != args.length:
        raise DataError(f"{args.data}: holds signals of {length} samples; --length "
                        f"{args.length} applies to recordings of different lengths (an "
                        "unequal .ts file, a folder), made that long by --lengths.")
    overrides: dict[str, Any] = {"noise_std": args.noise_std, "contrast": args.contrast}
    if args.latent_dim is not None:
        overrides["latent_dim"] = args.latent_dim
    if args.variational:  # the PCA start of the linear path is not a posterior
        overrides.update(variational=True, beta=args.beta, linear_path=False)
    model = SignalAutoencoder.from_preset(
        args.preset, length=length, channels=channels, seed=args.seed, **overrides
    )
    check_writable(args.out, estimated_size(model.config, model.views, args.epochs or 1000))
    checkpoint = args.out.with_name(args.out.name + ".checkpoint")
    if checkpoint.exists() and not args.resume:
        raise SigaeError(f"{checkpoint}: an earlier run of this training left a checkpoint; add "
                         "--resume to continue it, or delete it to start over.")
    if args.resume and not checkpoint.exists():
        print(f"no checkpoint {checkpoint}: training from the start")
    callbacks = []
    if args.tensorboard is not None:
        from sigae.core.outputs import output_directory
        from sigae.training.tensorboard import TensorBoardLogger

        callbacks.append(TensorBoardLogger(output_directory(args.tensorboard)))
    with stop_on_signals() as stop, blame(args.data):
        history = model.fit(
            x,
            epochs=auto(args.epochs),
            batch_size=auto(args.batch_size),
            validation_split=args.validation_split,
            patience=None if args.patience == 0 else auto(args.patience),
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            seed=args.seed,
            verbose=verbosity(args),
            stop=stop,
            callbacks=callbacks,
            checkpoint=checkpoint,
            keep_checkpoint=True,  # until the model itself is safe
            devices=args.devices,
            augment=args.augment,
            precision=args.precision,
        )
        raise_if_interrupted()
        if not is_primary():
            print("trained; process 0 of this multi-host run writes the model")
            return 0
        try:
            save_trained(model, args.out, near=args.data)
        except SigaeError as error:
            kept = f"; the last checkpoint is kept: {checkpoint}" if checkpoint.exists() else ""
            raise SigaeError(f"{error}{kept}") from None
    checkpointed = checkpoint.exists()
    if history.interrupted is None and not args.keep_checkpoint:
        checkpoint.unlink(missing_ok=True)
    print(f"trained {args.preset!r} on {len(x)} signals of length {length} x {channels} channel(s) "
          f"for {history.epochs} epochs; "
          + ("kept the starting weights" if model.history.best_epoch is None
             else f"kept epoch {model.history.best_epoch + 1}"))
    learned = model.learned
    if learned is not None and learned.choice is not None:
        print("\n".join(learned.choice.summary()))
    if model.comparison is not None:
        print(model.comparison.summary())
    print(f"saved {args.out}")
    if checkpoint.exists():
        print(f"kept the checkpoint {checkpoint}" + (" (--resume continues the run)"
                                                     if history.interrupted else ""))
    elif not checkpointed and history.epochs:
        print(f"no checkpoint could be written to {checkpoint} during training (sigae --debug "
              "train ... says why)")
    return _interrupted(history)


def _augment(text: str) -> Any:
    if text in ("auto", "none"):
        return text
    from sigae.data.augment import Augmentation
    from sigae.errors import ConfigError

    try:
        return Augmentation.parse(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _devices(text: str) -> int | str:
    if text == "all":
        return "all"
    return positive_int(text)


def _interrupted(history: Any) -> int:
    """0, or for a run stopped by a signal, 128 + its number, after saying what was kept."""
    if history.interrupted is None:
        return 0
    reason = history.interrupted.split()[0]
    print(f"training was stopped by {history.interrupted}; the best weights so far were saved")
    return 128 + int(getattr(signal, reason, signal.SIGINT))


def register(commands: Any) -> None:
    sub = command(commands, "demo", demo, "Train the default design on the embedded "
                  "oscillations, save it, plot it and check its consistency (about a minute "
                  "on 2 cores).")
    sub.add_argument("--out", type=Path, default=Path("sigae-demo"),
                     help="output directory (default: sigae-demo)")
    sub.add_argument("--epochs", type=positive_int,
                     help="maximum epochs (default: 100, with early stopping)")
    sub.add_argument("--seed", type=int, default=0, help="seed of data, weights and shuffling")
    sub.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    sub = command(commands, "train", train, "Train a model on signals and save it as a "
                  ".sigae file.")
    sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
    sub.add_argument("--out", type=Path, required=True, metavar="MODEL",
                     help="model file to write, ending in .sigae")
    add_data_options(sub)
    sub.add_argument("--length", type=positive_int, metavar="N",
                     help="recordings of different lengths: resample or pad them to N "
                     "samples, the model's length (default: their median length when "
                     "resampled, the longest when padded; pad to the longest recording the "
                     "model will ever see)")
    sub.add_argument("--preset", choices=["default", "question"], default="default",
                     help="design: sigae's default or the question's model (default: default)")
    sub.add_argument("--latent-dim", type=positive_int, help="size of the code")
    sub.add_argument("--noise-std", type=non_negative_float, default=0.0,
                     help="denoising: std of the Gaussian noise added to the normalized "
                     "inputs in training only (default: 0)")
    sub.add_argument("--contrast", type=non_negative_float, default=0.0, metavar="W",
                     help="add W times a contrastive loss on the code (two random views of "
                     "each signal: near codes; of different signals: far ones) to the "
                     "training loss; the epoch kept is still the one of least validation "
                     "error (default: 0, off)")
    sub.add_argument("--variational", action="store_true",
                     help="a variational autoencoder (without the linear PCA path): codes "
                     "are sampled in training, encode returns their mean")
    sub.add_argument("--beta", type=non_negative_float, default=1.0,
                     help="weight of the KL term of --variational (default: 1)")
    sub.add_argument("--epochs", type=positive_int,
                     help=f"maximum epochs (default: {automatic_default('epochs')})")
    sub.add_argument("--batch-size", type=positive_int,
                     help=f"signals per step (default: {automatic_default('batch_size')})")
    sub.add_argument("--validation-split", type=fraction, default=0.2,
                     help="fraction held out from the end for validation (default: 0.2)")
    sub.add_argument("--patience", type=non_negative_int,
                     help="early-stopping patience in epochs (doubled until an epoch beats "
                     "the start), 0 to train all epochs; the best weights are kept either "
                     f"way (default: {automatic_default('patience')})")
    sub.add_argument("--learning-rate", type=positive_float, default=1e-3,
                     help="Adam's learning rate (default: 0.001)")
    sub.add_argument("--weight-decay", type=non_negative_float, default=0.0,
                     help="AdamW weight decay of the convolutional path (default: 0, plain "
                     "Adam)")
    # sigae.training.settings.PRECISIONS, written out: importing it brings NumPy into --help
    sub.add_argument("--precision", choices=["float32", "bfloat16"], default="float32",
                     help="float32 (default), or bfloat16: mixed precision for GPUs and TPUs "
                     "(bfloat16 compute; float32 weights, normalization, loss, validation "
                     "and everything measured)")
    sub.add_argument("--augment", type=_augment, default="auto", metavar="auto|none|LIST",
                     help="augmentation of the training batches: 'auto' (default) chooses by "
                     "5-fold cross-validation on 10 to 499 signals (with automatic --epochs) "
                     "between PCA, PCA of augmented signals and the convolutional path with or "
                     "without augmentation, else none; 'none'; or a list of changes with "
                     "optional strengths, e.g. shift=0.03,scale=0.1,noise=0.5,warp=0.1,mix=0.2 "
                     "(fraction=F: share of signals changed, default 0.5)")
    sub.add_argument("--seed", type=int, default=None,
                     help="seed of weights, shuffling and augmentation, for a reproducible run")
    sub.add_argument("--devices", type=_devices, metavar="N|all",
                     help="train data-parallel on N devices (or all): GPUs, or CPU devices "
                     "(XLA_FLAGS=--xla_force_host_platform_device_count=N); --batch-size must "
                     "split evenly across them")
    sub.add_argument("--coordinator", metavar="HOST:PORT",
                     help="multi-host: the address of process 0; run the same command on "
                     "every host (also KERAS_DISTRIBUTION_JOB_ADDRESSES)")
    sub.add_argument("--num-processes", type=positive_int, metavar="N",
                     help="multi-host: the number of processes")
    sub.add_argument("--process-id", type=non_negative_int, metavar="I",
                     help="multi-host: this process's index (process 0 writes the files)")
    sub.add_argument("--resume", action="store_true",
                     help="continue from the checkpoint (MODEL.checkpoint, written after every "
                     "epoch) of a run that was killed or stopped; a run killed and resumed ends "
                     "with the same weights as one never stopped (with --seed, on CPU)")
    sub.add_argument("--keep-checkpoint", action="store_true",
                     help="keep MODEL.checkpoint after a successful run (default: removed)")
    sub.add_argument("--tensorboard", type=Path, metavar="DIR",
                     help="write the loss and validation loss of every epoch to DIR for "
                     "TensorBoard (needs pip install 'sigae[tensorboard]')")
    sub.add_argument("--quiet", action="store_true", help="no per-epoch progress")
