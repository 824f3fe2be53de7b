"""The options of `sigae demo` and `sigae train`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    add_data_options,
    command,
    fraction,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from sigae.cli.train.handlers import demo, train
from sigae.training.automatic import automatic_default


def _augment(text: str) -> Any:
    if text in ("auto", "none"):
        return text
    from sigae.data.augment import Augmentation
    from sigae.errors import ConfigError

    try:
        return Augmentation.parse(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _contrast(text: str) -> float | str:
    return "auto" if text == "auto" else non_negative_float(text)


def _devices(text: str) -> int | str:
    if text == "all":
        return "all"
    return positive_int(text)


def register(commands: Any) -> None:
    _register_demo(commands)
    sub = command(commands, "train", train, "Train a model on signals and save it as a "
                  ".sigae file.")
    sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
    sub.add_argument("--out", type=Path, required=True, metavar="MODEL",
                     help="model file to write, ending in .sigae")
    add_data_options(sub)
    _design_options(sub)
    _fit_options(sub)
    _run_options(sub)


def _register_demo(commands: Any) -> None:
    sub = command(commands, "demo", demo, "Train the default design on the embedded "
                  "oscillations, save it, plot it and check its consistency (about half a "
                  "minute on 2 cores).")
    sub.add_argument("--out", type=Path, default=Path("sigae-demo"),
                     help="output directory (default: sigae-demo)")
    sub.add_argument("--epochs", type=positive_int,
                     help="maximum epochs (default: 100, with early stopping)")
    sub.add_argument("--seed", type=int, default=0, help="seed of data, weights and shuffling")
    sub.add_argument("--quiet", action="store_true", help="no per-epoch progress")


def _design_options(sub: argparse.ArgumentParser) -> None:
    """The model: its length, preset and what changes it."""
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
    sub.add_argument("--contrast", type=_contrast, default=0.0, metavar="auto|W",
                     help="add W times a contrastive loss on the code (two random views of "
                     "each signal: near codes; of different signals: far ones) to the "
                     "training loss; the epoch kept is still the one of least validation "
                     "error; 'auto': the largest weight of a small grid whose held-out "
                     "reconstruction is within --tolerance x PCA's (default: 0, off)")
    sub.add_argument("--tolerance", type=positive_float, default=1.0, metavar="T",
                     help="with --contrast auto: the held-out reconstruction error allowed, "
                     "as a multiple of PCA's of the same size (default: 1, never worse "
                     "than PCA)")
    sub.add_argument("--variational", action="store_true",
                     help="a variational autoencoder (without the linear PCA path): codes "
                     "are sampled in training, encode returns their mean")
    sub.add_argument("--beta", type=non_negative_float, default=1.0,
                     help="weight of the KL term of --variational (default: 1)")


def _fit_options(sub: argparse.ArgumentParser) -> None:
    """How to train (`TrainingConfig`)."""
    sub.add_argument("--epochs", type=positive_int,
                     help=f"maximum epochs (default: {automatic_default('epochs')})")
    sub.add_argument("--batch-size", type=positive_int,
                     help=f"signals per step (default: {automatic_default('batch_size')})")
    sub.add_argument("--validation-split", type=fraction, default=0.2,
                     help="fraction held out for validation, a seeded random draw (whole "
                     "recordings for windows), not the file's end (default: 0.2)")
    sub.add_argument("--validation-data", type=Path, metavar="FILE",
                     help="validation signals from another file or folder, read with the same "
                     "options, instead of --validation-split")
    sub.add_argument("--force", action="store_true",
                     help="train on fewer signals than a result needs (twice --latent-dim, "
                     "at least 10, for training and 10 for validation); the model then "
                     "carries a warning that info, score and the report repeat")
    sub.add_argument("--patience", type=non_negative_int,
                     help="early-stopping patience in epochs (doubled until an epoch beats "
                     "the start), 0 to train all epochs; the best weights are kept either "
                     f"way (default: {automatic_default('patience')})")
    sub.add_argument("--learning-rate", type=positive_float,
                     help="Adam's learning rate, the peak of a schedule (default: "
                     f"{automatic_default('learning_rate')})")
    # sigae.training.schedule.SCHEDULES, written out: importing it brings Keras into --help
    sub.add_argument("--schedule", choices=["auto", "constant", "linear", "plateau"],
                     default="auto",
                     help="the learning rate over the epochs: constant; linear (rising over "
                     "the first epochs, up to 3, then falling towards zero at the last); or "
                     "plateau (the same rise, held until the validation loss has not improved "
                     "for 5 epochs, then falling over 40%% of the epochs so far, at least 10, "
                     f"and training ends) (default: {automatic_default('schedule')})")
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


def _run_options(sub: argparse.ArgumentParser) -> None:
    """Where and how the run goes: seed, devices, hosts, checkpoint, logs."""
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
