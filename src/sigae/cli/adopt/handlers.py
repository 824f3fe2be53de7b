"""What `sigae adopt` do: each handler returns its command's `Outcome`."""

from __future__ import annotations

import argparse

from sigae.cli.options import blame, load_data, save_trained
from sigae.cli.printer import Outcome
from sigae.errors import SigaeError


def adopt(args: argparse.Namespace) -> Outcome:
    from sigae.adoption import adopt as adopt_model
    from sigae.adoption import adopt_pair
    from sigae.core.outputs import check_output_file

    lines: list[str] = []
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
    counts = model.param_counts()
    lines.append(getattr(config, "origin", "adopted a Keras model"))
    lines.append(f"signals ({config.length}, {config.channels}) -> codes ({config.latent_dim},); "
                 f"parameters: encoder {counts['encoder']:,}, decoder {counts['decoder']:,}")
    mean_now, std_now = model.normalization
    given = "" if args.mean is not None else " (none: the model sees data as given)"
    lines.append(f"normalization ({config.normalization}): mean {mean_now.tolist()}, std "
                 f"{std_now.tolist()}{given}")
    if model.comparison is not None:
        lines.append(model.comparison.summary())
    lines.append(f"saved {args.out}; check it with: sigae check {args.out}")
    return Outcome(lines)
