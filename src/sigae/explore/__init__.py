"""The code space, live: `sigae explore` (a local page) and `widget` (inside a notebook).

- `sigae.explore.session`: the questions the explorer asks (decode a code, a signal and its
  reconstruction, neighbours, an interpolation, samples), as plain functions;
- `sigae.explore.server`: the JSON API and the page, served by Starlette and uvicorn on
  127.0.0.1 with a per-launch token (extra `sigae[explore]`);
- `sigae.explore.notebook`: the same explorer as an anywidget, answered by the kernel
  (extra `sigae[notebook]`);
- `sigae/explore/static/`: the explorer's script and styles (`explorer.js`,
  `explorer.css`), which both run, and the page around them: no CDN, nothing from the
  network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sigae.core.lazy import submodules

if TYPE_CHECKING:
    from sigae.explore.notebook import ExplorerWidget
    from sigae.model import SignalAutoencoder
    from sigae.study.factors import FactorsResult


def widget(model: SignalAutoencoder, x: Any = None, labels: Any = None, *,
           label_name: str = "label", projection: str = "auto",
           batch_size: int = 100, factors: FactorsResult | None = None) -> ExplorerWidget:
    """The explorer as a notebook widget: sliders over the code driving the trained decoder,
    the map of the codes of `x` (hover, click to see a signal and its reconstruction),
    its neighbours, the interpolation between two picked signals, generation with the
    outside-the-density flag, and export, as `sigae explore` offers.

    Display it as a cell's last value. What is picked comes back: `w.selected` holds the
    indices picked on the map, `w.code` the code the sliders show.

    Args:
        model: A trained model.
        x: Signals to map and pick from (an array `(n, length, channels)`, `Signals`, a
            lazy array), or `None` for the sliders and generation alone.
        labels: One label per signal to colour the map by (numbers or text); by default
            the map is coloured by the anomaly score.
        label_name: What the labels are.
        projection: The map: `"auto"` (UMAP if installed and at most 20,000 codes, else
            PCA), `"pca"` or `"umap"`.
        batch_size: Signals per forward pass.
        factors: Which unit carries which quantity (`sigae.study.factors.factors`):
            hovering a slider names the quantity it moves.

    Returns:
        An `ExplorerWidget` (anywidget): JupyterLab, Notebook 7, VS Code, marimo.

    Raises:
        ImportError: Without the extra: `pip install 'sigae[notebook]'`.
        NotFittedError: If the model is untrained.
        DataError: If `x` does not fit the model or the labels do not match it.
    """
    import numpy as np

    try:
        from sigae.explore.notebook import ExplorerWidget
    except ImportError as error:
        raise ImportError("sigae.explore.widget needs anywidget: pip install "
                          f"'sigae[notebook]' ({error}).") from None
    from sigae.data.checks import check_signals
    from sigae.explore.session import ExploreSession
    from sigae.io import Signals

    signals = None
    if x is not None:
        signals = x if isinstance(x, Signals) else Signals.of(check_signals(x, model.config))
    session = ExploreSession(model, signals, labels=None if labels is None else np.asarray(labels),
                             label_name=label_name, projection=projection, batch_size=batch_size,
                             factors=factors)
    return ExplorerWidget(session)

__getattr__ = submodules(__name__)
