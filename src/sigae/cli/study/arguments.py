"""The options of `sigae generate`, `score` and `report`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sigae.cli.options import (
    DATA_HELP,
    OUT_HELP,
    add_batch_size,
    add_data_options,
    add_factor_options,
    add_label_options,
    add_model,
    add_scheduler,
    command,
    non_negative_float,
    number,
    positive_int,
)
from sigae.cli.study.handlers import generate, report, score


def register(commands: Any) -> None:
    def study_command(name: str, handler: Any, help_text: str, description: str, *,
                      data: bool = True) -> argparse.ArgumentParser:
        sub = command(commands, name, handler, help_text, description)
        add_model(sub)
        if data:
            sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
            add_data_options(sub)
        return sub

    sub = study_command(
        "generate", generate, "Decode codes sampled from the training codes' density.",
        "Sample codes from the density fitted to the training codes (stored in the model by "
        "fit) and decode them. Codes less likely than 99% of the training codes are counted "
        "as outside the training distribution.", data=False)
    sub.add_argument("-n", type=positive_int, required=True, help="number of signals")
    sub.add_argument("--out", type=Path, required=True, help=OUT_HELP)
    sub.add_argument("--sampler", choices=["gaussian", "gmm", "prior"], default="gaussian",
                     help="gaussian (default), gmm (a Gaussian mixture), or prior (N(0, I), "
                     "variational models only)")
    sub.add_argument("--seed", type=int, default=None, help="seed of the sampling")
    sub.add_argument("--codes", type=Path, metavar="FILE.csv",
                     help="also write the codes, their log-density and the outside flag")
    sub.add_argument("--plot", type=Path, metavar="FILE.png", help="plot some samples")

    sub = study_command(
        "score", score, "Anomaly scores: reconstruction error per signal and a threshold.",
        "Per-signal reconstruction MSE and MAE (normalized units) and an is_anomaly flag: MSE "
        "above --threshold, or by default above the --percentile of the validation signals' "
        "errors, stored in the model by fit.")
    sub.add_argument("--out", type=Path, required=True, metavar="SCORES.csv",
                     help="CSV: source_row, source_start, mse, mae, is_anomaly")
    threshold = sub.add_mutually_exclusive_group()
    threshold.add_argument("--threshold", type=non_negative_float, help="MSE threshold")
    threshold.add_argument("--percentile", default=99.0,
                           type=number(float, "in [0, 100]", lambda v: 0 <= v <= 100),
                           help="percentile of the validation errors stored at fit "
                           "(default: 99); not with --threshold")
    sub.add_argument("--plot", type=Path, metavar="FILE.png",
                     help="histogram of the errors with the threshold")
    add_batch_size(sub)
    add_scheduler(sub)

    sub = study_command(
        "report", report, "One self-contained HTML report of a model on signals.",
        "Write one HTML file (images embedded, no network needed): model, training curves, "
        "reconstructions, errors and threshold, latent statistics, projection and traversals; "
        "with --labels, the projection coloured by them and how well the codes separate them "
        "(sigae latent probe); with --factors, which units carry which quantity (sigae latent "
        "factors).")
    sub.add_argument("--out", type=Path, required=True, metavar="REPORT.html")
    add_label_options(sub)
    sub.add_argument("--frontier", action="store_true",
                     help="with --labels: also train the model's design at each weight of "
                     "the contrastive dial and show what each costs in reconstruction and "
                     "gains in separation (sigae latent probe --frontier)")
    add_factor_options(sub, required=False)
    sub.add_argument("--max-signals", type=positive_int, default=5000,
                     help="use the first N signals of DATA (default: 5000)")
