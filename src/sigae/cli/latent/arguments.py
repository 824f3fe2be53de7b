"""The options of `sigae latent ...`."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

from sigae.cli.latent.handlers import (
    factors,
    interpolate,
    neighbors,
    probe,
    project,
    size,
    stats,
    traverse,
)
from sigae.cli.options import (
    DATA_HELP,
    Parser,
    add_batch_size,
    add_data_options,
    add_factor_options,
    add_label_options,
    add_model,
    at_least_two,
    command,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)


def _dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, received "
                                         f"{text!r}") from None
    if not dims or min(dims) < 0:
        raise argparse.ArgumentTypeError(f"expected dimensions >= 0, received {text!r}")
    return dims


def register(commands: Any) -> None:
    group = commands.add_parser(
        "latent", help="Study the code space: stats, project, probe, factors, size, traverse, "
        "interpolate, neighbors.",
        description="Study the code space of a trained model. Each command writes its "
        "arrays (with the source index) and a PNG figure to --out DIR.")
    studies = group.add_subparsers(dest="study", metavar="STUDY", parser_class=Parser,
                                   required=True)
    study = functools.partial(_study, studies)
    _register_codes(study)
    _register_paths(study)
    _register_meaning(study, studies)


def _study(studies: Any, name: str, handler: Any, help_text: str, *, data: bool = True
           ) -> argparse.ArgumentParser:
    """A `sigae latent` command with the options every study shares."""
    sub = command(studies, name, handler, help_text)
    add_model(sub)
    if data:
        sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
    sub.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="directory for the results (created if missing)")
    add_data_options(sub)
    add_batch_size(sub)
    return sub


def _register_codes(study: Any) -> None:
    """The studies of the codes themselves: stats, project, probe."""
    study("stats", stats, "Per-dimension mean, std, min, max, share of variance, inactive "
          "dimensions and the correlation matrix of the codes of DATA.")
    sub = study("project", project, "Scatter of the codes of DATA in 2-D.")
    sub.add_argument("--method", choices=["pca", "umap"], default="pca",
                     help="pca (default) or umap (needs pip install 'sigae[umap]')")
    add_label_options(sub, use="colour the points by ")
    sub.add_argument("--seed", type=int, default=0, help="seed of UMAP's layout")
    sub = study("probe", probe, "How well the codes of DATA separate its classes: an RBF "
                "SVM (the protocol of unsupervised representation papers), 1-NN and k-means, "
                "beside PCA codes of the same size.")
    add_label_options(sub, required=True)
    sub.add_argument("--test", type=Path, metavar="DATA",
                     help="test signals (read like DATA); default: a stratified 30%% of DATA")
    sub.add_argument("--test-labels", type=Path, metavar="FILE",
                     help="one label per signal of --test, like --labels")
    sub.add_argument("--seed", type=int, default=0,
                     help="seed of the held-out share, the SVM's sample and k-means")
    sub.add_argument("--frontier", action="store_true",
                     help="also train the model's design at each weight of the contrastive "
                     "dial (0, 0.01, 0.1, 1) on the training signals and show what each "
                     "costs in test reconstruction (over PCA's) and gains in separation "
                     "(SVM, 1-NN, ARI): a table, probe.json and frontier.png")


def _register_meaning(study: Any, studies: Any) -> None:
    """What each unit means (factors) and how many the signals need (size)."""
    sub = study("factors", factors, "Which units of the code carry which quantity of the "
                "signals: each quantity's cross-validated R² from a linear and a nonlinear "
                "regressor and the DCI scores (disentanglement, completeness, "
                "informativeness) with their importance matrix, beside PCA codes of the same "
                "size.")
    add_factor_options(sub)
    sub.add_argument("--seed", type=int, default=0,
                     help="seed of the folds and the tree ensembles")
    sub = command(studies, "size", size, "How many units the signals need: the default "
                  "design trained at each size (short, seeded), PCA at each size, the "
                  "intrinsic dimension (TwoNN), and the suggested size.")
    sub.add_argument("data", type=Path, metavar="DATA", help=DATA_HELP)
    sub.add_argument("--dims", type=_dims, required=True, metavar="D,D,...",
                     help="the latent sizes to try, e.g. 2,3,4,6,8,12")
    sub.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="directory for size.json and size.png (created if missing)")
    sub.add_argument("--margin", type=non_negative_float, default=0.01,
                     help="suggest the smallest size whose validation NMSE is within this "
                     "of the best, where the curve flattens among the sizes tried (where it "
                     "does not, the intrinsic dimension decides) (default: 0.01)")
    sub.add_argument("--epochs", type=positive_int, default=60,
                     help="the most epochs per size (default: 60, with early stopping)")
    sub.add_argument("--seed", type=int, default=0,
                     help="seed of the weights, the split and the batches (the same at every "
                     "size)")
    add_data_options(sub)


def _register_paths(study: Any) -> None:
    """The studies that decode codes: traverse, interpolate, neighbors."""
    sub = study("traverse", traverse, "Decode a base code with one dimension at a time moved "
                "across +/- SPAN standard deviations.", data=False)
    sub.add_argument("data", type=Path, nargs="?", metavar="DATA",
                     help="signals; the base is the code of signal --index (default: the "
                     "mean training code)")
    sub.add_argument("--index", type=non_negative_int, default=0,
                     help="signal of DATA whose code is the base (default: 0)")
    sub.add_argument("--dims", type=_dims, metavar="D,D,...",
                     help="dimensions to move (default: the 4 of largest variance)")
    sub.add_argument("--steps", type=at_least_two, default=7,
                     help="codes per dimension (default: 7)")
    sub.add_argument("--span", type=positive_float, default=2.0,
                     help="standard deviations each way (default: 2)")
    sub = study("interpolate", interpolate, "Decode the path in code space between two "
                "signals of DATA.")
    sub.add_argument("--from", dest="start", type=non_negative_int, required=True,
                     metavar="I", help="index of the first signal")
    sub.add_argument("--to", dest="end", type=non_negative_int, required=True, metavar="J",
                     help="index of the last signal")
    sub.add_argument("--steps", type=at_least_two, default=8,
                     help="codes on the path, ends included (default: 8)")
    sub.add_argument("--method", choices=["linear", "slerp"], default="linear")
    sub = study("neighbors", neighbors, "The signals of DATA nearest to one of them in code "
                "space.")
    sub.add_argument("--index", type=non_negative_int, required=True, help="the query signal")
    sub.add_argument("-k", type=positive_int, default=5, help="neighbours to find (default: 5)")
