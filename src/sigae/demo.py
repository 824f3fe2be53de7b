"""The main job: train the default model on the embedded dataset and show it is one model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from sigae.consistency import CheckReport, check_consistency
from sigae.data import datasets
from sigae.io.write import write_array, write_table
from sigae.model import SignalAutoencoder
from sigae.stats.metrics import signal_errors
from sigae.stats.pca import Comparison
from sigae.study.plotting import plot_history, plot_reconstruction, save_figure
from sigae.study.report import write_report
from sigae.training import StopRequest, TrainingHistory


@dataclass(frozen=True)
class DemoResult:
    """What `run_demo` produced and measured."""

    model_path: Path
    loss_plot: Path
    reconstruction_plot: Path
    report: Path
    test_signals: Path
    epochs: int
    best_val_loss: float
    test_mse: float
    comparison: Comparison
    check: CheckReport
    history: TrainingHistory


def run_demo(
    out_dir: str | Path,
    *,
    epochs: int | str = "auto",
    patience: int | str | None = "auto",
    seed: int = 0,
    verbose: str | int = "auto",
    stop: StopRequest | None = None,
    save: Callable[[SignalAutoencoder, Path], None] | None = None,
) -> DemoResult:
    """Trains the default design on `datasets.oscillations()` and writes its results.

    Writes `model.sigae`, `loss.png`, `reconstruction.png`, `report.html` (the model
    on the test signals, see `sigae.study.report`), `test.npy` (the 500 test signals,
    to study or explore the model on) and `test_factors.csv` (the amplitude, frequency,
    decay and phase each was made from, for `sigae latent factors`) to `out_dir` (created
    if needed) and runs the consistency check on the test signals.

    Args:
        out_dir: Output directory.
        epochs: Maximum epochs; `"auto"` is 100 for the 1200 training signals (the
            `"plateau"` schedule ends training once its decay is done).
        patience: Early-stopping patience; `"auto"` is 10 here.
        seed: Seed of the data split, the weights and the shuffling.
        verbose: Keras verbosity of training.
        stop: Ends training early once requested (see `SignalAutoencoder.fit`).
        save: Saves the trained model to a path; `SignalAutoencoder.save` by default.

    Returns:
        A `DemoResult`; `test_mse` is in normalized units, like the losses.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, test, _, test_factors = datasets.oscillations(seed=seed, factors=True)
    model = SignalAutoencoder.from_preset("default", length=train.shape[1], seed=seed)
    history = model.fit(train, epochs=epochs, patience=patience, seed=seed, verbose=verbose,
                        stop=stop)

    model_path = out / "model.sigae"
    (save or SignalAutoencoder.save)(model, model_path)

    reconstruction = model.reconstruct(test)
    decoded = model.decode(model.encode(test))
    test_mse = float(np.mean(signal_errors(reconstruction, test, model.normalization[1])[0]))

    loss_plot = out / "loss.png"
    save_figure(plot_history(model.history, title="Default design on the embedded "
                             "oscillations"), loss_plot)
    reconstruction_plot = out / "reconstruction.png"
    save_figure(plot_reconstruction(test[0], reconstruction[0], decoded[0],
                                    title="Test signal 0"), reconstruction_plot)
    report = out / "report.html"
    write_report(model, test, report, title="sigae demo: the default design on the embedded "
                 "oscillations (500 test signals)")
    test_signals = out / "test.npy"  # to study and explore the model on
    write_array(test_signals, test)
    write_table(out / "test_factors.csv", test_factors.columns())

    return DemoResult(
        model_path=model_path,
        loss_plot=loss_plot,
        reconstruction_plot=reconstruction_plot,
        report=report,
        test_signals=test_signals,
        epochs=history.epochs,
        best_val_loss=float(model.history.best_loss or float("nan")),
        test_mse=test_mse,
        comparison=cast(Comparison, model.comparison),  # every fit compares
        check=check_consistency(model, test),
        history=history,
    )
