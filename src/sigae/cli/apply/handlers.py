"""What `sigae encode`, `decode` and `reconstruct` do: each handler returns an `Outcome`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    blame,
    load_data,
    load_model_data,
    raise_if_interrupted,
    run_distributed,
    save_npz,
)
from sigae.cli.printer import Outcome
from sigae.errors import DataError


def apply(args: argparse.Namespace) -> Outcome:
    from sigae.core.outputs import check_output_file, check_writable
    from sigae.data.streaming import stream
    from sigae.io.write import OUTPUT_EXTENSIONS, estimated_bytes, open_writer
    from sigae.model import load

    source = args.codes if args.command == "decode" else args.data
    if getattr(args, "scheduler", None):
        return run_distributed(args, args.command, source)
    check_output_file(args.out, (*OUTPUT_EXTENSIONS, ".ts") if args.command == "reconstruct"
                      else OUTPUT_EXTENSIONS, inputs=[args.model, source])
    model = load(args.model)
    config = model.config
    if args.command == "decode":
        signals = load_data(args, source, length=config.latent_dim)
        if signals.shape[1:] != (config.latent_dim, 1):
            values = signals.shape[1] * signals.shape[2]
            raise DataError(
                f"{signals.source}: holds codes of {values} values each; this model's codes "
                f"have {config.latent_dim} (its latent_dim): give one row of "
                f"{config.latent_dim} numbers per signal, as sigae encode writes them."
            )
        row_shape: tuple[int, ...] = (config.length, config.channels)

        def function(block: Any) -> Any:
            return model.decode(block[:, :, 0], batch_size=args.batch_size)
    else:
        signals = load_model_data(args, model)
        encode = args.command == "encode"
        row_shape = (config.latent_dim,) if encode else (config.length, config.channels)
        method = model.encode if encode else model.reconstruct

        def function(block: Any) -> Any:
            return method(block, batch_size=args.batch_size)

    if args.command == "reconstruct" and signals.lengths is not None:
        return _reconstruct_at_own_lengths(args, model, signals)
    shape = (len(signals), *row_shape)
    check_writable(args.out, estimated_bytes(args.out, shape))
    with blame(source), open_writer(
        args.out, shape, name="codes" if args.command == "encode" else "signals",
        index=(signals.row, signals.start), source=str(source), names=signals.row_names,
    ) as writer:
        def write(block: Any) -> None:
            raise_if_interrupted()  # between blocks, never inside one
            writer.write(block)

        stream(function, signals.data, write, batch_size=args.batch_size,
               what=f"{signals.source}:", progress=True)
        raise_if_interrupted()
    return Outcome([f"{args.command}: {len(signals)} rows of {source} -> {args.out} {shape}"])


def _reconstruct_at_own_lengths(args: argparse.Namespace, model: Any, signals: Any
                                ) -> Outcome:
    """Reconstructions of recordings resampled or padded to the model's length, each brought
    back to its own length (resampled back, or cropped), written as a `.ts` file (or an
    `.npz` of one array per recording)."""
    from sigae.io.archive import write_ts

    suffix = args.out.suffix.lower()
    if suffix not in (".ts", ".npz"):
        raise DataError(f"{args.out}: the reconstructions of recordings of different lengths "
                        "go back to their own lengths; write them to a .ts or .npz file.")
    restored = signals.restore(model.reconstruct(signals.data, batch_size=args.batch_size))
    raise_if_interrupted()
    if suffix == ".ts":
        write_ts(args.out, restored, problem=Path(args.data).stem)
    else:
        save_npz(args.out, lengths=signals.lengths,
                 **{f"recording_{i}": r for i, r in enumerate(restored)})
    return Outcome([f"reconstruct: {len(restored)} recordings of {args.data} -> {args.out}, "
                    f"each at its own length ({int(signals.lengths.min())} to "
                    f"{int(signals.lengths.max())} samples)"])
