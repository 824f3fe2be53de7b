"""`sigae adopt`: a trained Keras autoencoder, or its encoder and decoder, as a sigae model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    add_data_options,
    blame,
    command,
    load_data,
    numbers,
    save_trained,
)
from sigae.errors import SigaeError


def adopt(args: argparse.Namespace) -> int:
    from sigae.adoption import adopt as adopt_model
    from sigae.adoption import adopt_pair
    from sigae.core.outputs import check_output_file

    pair = args.encoder is not None or args.decoder is not None
    if pair == (args.autoencoder_file is not None):
        raise SigaeError("give either AUTOENCODER, or --encoder E and --decoder D (with "
                         "--autoencoder A to check them against it); see sigae adopt --help.")
    if pair and (args.encoder is None or args.decoder is None):
        raise SigaeError("--encoder and --decoder go together; give both.")
    if not pair and args.autoencoder is not None:
        raise SigaeError("--autoencoder checks an --encoder/--decoder pair; to adopt an "
                         "autoencoder, give it as AUTOENCODER.")
    if pair and args.split is not None:
        raise SigaeError("--split cuts one autoencoder; an --encoder/--decoder pair is "
                         "already cut.")
    inputs = [args.autoencoder_file, args.encoder, args.decoder, args.autoencoder, args.data]
    check_output_file(args.out, (".sigae",), inputs=inputs)
    mean, std = (None, None) if args.mean is None else (args.mean, args.std)
    if (args.mean is None) != (args.std is None):
        raise SigaeError("--mean and --std go together; give both, or neither.")
    if pair:
        model = adopt_pair(args.encoder, args.decoder, autoencoder=args.autoencoder,
                           mean=mean, std=std)
    else:
        model = adopt_model(args.autoencoder_file, split=args.split, mean=mean, std=std)
    if args.data is not None:
        x = load_data(args, args.data, length=model.config.length)
        with blame(args.data):
            model.measure(x, seed=0)
    save_trained(model, args.out)
    config = model.config
    counts = model.count_params()
    print(f"adopted: {getattr(config, 'origin', 'a Keras model')}")
    print(f"signals ({config.length}, {config.channels}) -> codes ({config.latent_dim},); "
          f"parameters: encoder {counts['encoder']:,}, decoder {counts['decoder']:,}")
    mean_now, std_now = model.normalization
    print(f"normalization ({config.normalization}): mean {mean_now.tolist()}, std "
          f"{std_now.tolist()}" + ("" if args.mean is not None else
                                   " (none: the model sees data as given)"))
    if model.comparison is not None:
        print(model.comparison.summary())
    print(f"saved {args.out}; check it with: sigae check {args.out}")
    return 0


def register(commands: Any) -> None:
    sub = command(
        commands, "adopt", adopt,
        "Adopt a trained Keras autoencoder (or its trained encoder and decoder) as a sigae "
        "model.",
        "Adopt a trained Keras autoencoder: a .keras file, or a legacy .h5 full-model file "
        "(tf.keras 2 or Keras 3). The code is the encoder model's output for a model made of "
        "an encoder and a decoder model, else the narrowest tensor every path passes "
        "through, or --split LAYER. Or adopt a trained --encoder and --decoder; with "
        "--autoencoder they are checked against it (parts rebuilt with fresh weights are "
        "refused). Only built-in Keras layers are accepted; nothing in a file is executed.")
    sub.add_argument("autoencoder_file", type=Path, nargs="?", metavar="AUTOENCODER",
                     help="the trained autoencoder: .keras or .h5")
    sub.add_argument("--out", type=Path, required=True, metavar="MODEL",
                     help="model file to write, ending in .sigae")
    sub.add_argument("--split", metavar="LAYER",
                     help="the layer whose output is the code (default: found automatically)")
    sub.add_argument("--encoder", type=Path, metavar="E", help="a trained encoder file")
    sub.add_argument("--decoder", type=Path, metavar="D", help="a trained decoder file")
    sub.add_argument("--autoencoder", type=Path, metavar="A",
                     help="with --encoder/--decoder: the autoencoder they must reproduce")
    sub.add_argument("--mean", type=numbers, metavar="M",
                     help="the mean the training data was normalized with: one number, or "
                     "one per channel separated by commas (default: none)")
    sub.add_argument("--std", type=numbers, metavar="S",
                     help="the standard deviation that went with --mean")
    sub.add_argument("--data", type=Path, metavar="DATA",
                     help=f"signals to measure the model on: the comparison with PCA and the "
                     f"code density and error quantiles the study commands use; {DATA_HELP}")
    add_data_options(sub)
