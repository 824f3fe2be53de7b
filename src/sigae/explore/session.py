"""What the explorer page asks of a model, as plain functions over arrays: no web here.

An `ExploreSession` holds a trained model, optionally signals with their codes, anomaly
scores, labels and a 2-D map of the codes, and answers the page's questions: decode this
code, show signal i, its neighbours, the path between two signals, samples from the
density. Every answer is JSON-ready data; every input is validated and refused with a
`ConfigError` or `DataError` saying what was wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigae.core.validate import check_choice, check_number
from sigae.data.checks import check_signals
from sigae.data.streaming import PREDICT_BATCH
from sigae.errors import ConfigError, DataError, NotFittedError
from sigae.io import Signals
from sigae.io.arrays import SignalArray
from sigae.model import SignalAutoencoder
from sigae.stats.calibration import Density
from sigae.study import latent
from sigae.study.factors import FactorsResult
from sigae.study.probe import probe

# Sliders span this many standard deviations of the training codes each way.
SLIDER_SPAN = 3.0
MAX_STEPS = 64
MAX_SAMPLES = 64
MAX_NEIGHBORS = 32
# Above this many codes the map is made with PCA even when UMAP is installed (UMAP on
# 100,000 codes takes minutes).
UMAP_LIMIT = 20_000

CALLS: dict[str, dict[str, Any]] = {
    "info": {}, "map": {}, "decode": {"code": None}, "signal": {"index": None},
    "neighbors": {"index": None, "k": 6},
    "interpolate": {"from": None, "to": None, "steps": 8, "method": "linear"},
    "generate": {"n": 6, "sampler": "gaussian", "seed": None},
}
"""What the explorer asks (`ExploreSession.answer`): each question and its parameters, with
their defaults (`None` where a parameter has none or its default is `None`)."""


@dataclass(frozen=True, eq=False)
class CodeSpace:
    """The centre and scale of the sliders: the mean and standard deviation of the
    training codes, and the density whose 1st-percentile floor marks a code as outside."""

    mean: np.ndarray
    std: np.ndarray
    density: Density


@dataclass(frozen=True, eq=False)
class Explored:
    """The signals an explorer was given, with what the model says of them: their codes,
    anomaly scores (MSE) and 2-D map points, from the `projection` named."""

    signals: Signals
    codes: np.ndarray
    scores: np.ndarray
    points: np.ndarray
    projection: str


class ExploreSession:
    """A trained model, and optionally signals, for the explorer.

    Args:
        model: A trained model.
        signals: Signals to map and pick from, with their provenance; `None` for the
            sliders and generation alone.
        labels: One label per signal to colour the map by (numbers or text).
        label_name: What the labels are, for the page.
        factors: Which unit carries which quantity (`sigae.study.factors.factors`):
            hovering a slider names the quantity it moves.
        projection: `"auto"` (UMAP if installed and at most `UMAP_LIMIT` codes, else PCA),
            `"pca"` or `"umap"`.
        batch_size: Signals per forward pass.

    Raises:
        NotFittedError: If the model has no stored code density and no signals are given
            to measure one.
        DataError: If the labels do not match the signals.
    """

    def __init__(self, model: SignalAutoencoder, signals: Signals | None = None, *,
                 labels: np.ndarray | None = None, label_name: str = "label",
                 projection: str = "auto", batch_size: int = PREDICT_BATCH,
                 factors: FactorsResult | None = None) -> None:
        model.require_fitted("explore")
        self.model = model
        self.units = None if factors is None else unit_captions(factors)
        self.labels, self.label_name = labels, label_name
        self.data: Explored | None = None
        checked = None if signals is None else check_signals(signals, model.config)
        if signals is not None and checked is not None:
            codes, scores, _ = latent.codes_and_errors(model, checked, batch_size=batch_size)
            if labels is not None and len(labels) != len(signals):
                raise DataError(f"the labels hold {len(labels)} values but the data has "
                                f"{len(signals)} signals; give one label per signal.")
            points, projection = _project(codes, projection)
            self.data = Explored(signals, codes, scores, points, projection)
        self.probe = None if labels is None or checked is None else _probe(model, checked,
                                                                           labels)
        self.space = self._code_space()

    def _code_space(self) -> CodeSpace:
        calibration = self.model.calibration
        if calibration is not None:
            density = calibration.gaussian
        elif self.data is not None:
            from sigae.stats.calibration import calibrate

            density = calibrate(self.data.codes, self.data.scores).gaussian
        else:
            raise NotFittedError(
                "Cannot explore: the model has no stored code density (it was adopted or "
                "given without signals). Give DATA to explore, or measure the model: sigae "
                "adopt ... --data DATA.")
        mean = density.means[0]
        std = np.sqrt(np.diag(density.covariances[0]))
        return CodeSpace(mean, np.where(std > 0, std, 1.0), density)

    # -- answers ------------------------------------------------------------------------

    def answer(self, call: Any, params: Any) -> dict[str, Any]:
        """The answer to one of the explorer's questions (`CALLS`) by name, with its
        parameters as a JSON object: how the notebook widget asks (the page's server
        calls the same methods through its routes).

        Raises:
            ConfigError: For an unknown question.
            DataError: For parameters that are not an object, unknown ones, or bad values.
        """
        call = check_choice("call", call, tuple(CALLS))
        if not isinstance(params, dict):
            raise DataError(f"params must be a JSON object; received {_short(params)}.")
        unknown = sorted(set(params) - set(CALLS[call]))
        if unknown:
            raise DataError(f"{call} takes {', '.join(CALLS[call]) or 'no parameters'}; "
                            f"received {', '.join(map(str, unknown))}.")
        values = [params.get(name, default) for name, default in CALLS[call].items()]
        return getattr(self, call)(*values)

    def info(self) -> dict[str, Any]:
        """What the page needs to start: shapes, the sliders' scale, what the data holds."""
        config = self.model.config
        return {
            "length": config.length, "channels": config.channels,
            "latent_dim": config.latent_dim, "span": SLIDER_SPAN,
            "mean": self.space.mean.tolist(), "std": self.space.std.tolist(),
            "n_signals": 0 if self.data is None else len(self.data.signals),
            "source": None if self.data is None else self.data.signals.source,
            "samplers": ["gaussian", "gmm"] + (["prior"] if config.variational else []),
            "projection": None if self.data is None else self.data.projection,
            "label_name": self.label_name if self.labels is not None else None,
            "probe": self.probe,
            "units": self.units,
        }

    def decode(self, code: Any) -> dict[str, Any]:
        """The signal a code decodes to, and whether the code lies outside the training
        codes' density. `code` is in the code's own units (see `info()["mean"]`)."""
        codes = self._code(code)
        return {"code": _floats(codes[0]),
                "signal": self._signal_list(self.model.decode(codes)[0]),
                "outside": bool(self._outside(codes)[0])}

    def map(self) -> dict[str, Any]:
        """The 2-D map of the data's codes, coloured by anomaly score or the labels."""
        data = self._require_data("map")
        colour = data.scores if self.labels is None else self.labels
        numeric = np.asarray(colour).dtype.kind in "iuf"
        return {
            "x": _floats(data.points[:, 0]), "y": _floats(data.points[:, 1]),
            "row": data.signals.row.tolist(), "start": data.signals.start.tolist(),
            "name": None if data.signals.row_names is None
            else [str(n) for n in data.signals.row_names],
            "colour": _floats(colour) if numeric else [str(v) for v in colour],
            "colour_name": "anomaly score (MSE)" if self.labels is None else self.label_name,
            "numeric": bool(numeric), "projection": data.projection,
        }

    def signal(self, index: Any) -> dict[str, Any]:
        """Signal `index` of the data, its reconstruction, code and anomaly score."""
        data, i = self._pick(index)
        x = np.asarray(data.signals.data[i : i + 1], "float32")
        code = data.codes[i : i + 1]
        # A padded recording is shown at its own length, its padding cropped.
        lengths = data.signals.lengths
        own = int(lengths[i]) if data.signals.padded and lengths is not None else x.shape[1]
        return {
            "index": i, "row": int(data.signals.row[i]), "start": int(data.signals.start[i]),
            "signal": self._signal_list(x[0, :own]),
            "reconstruction": self._signal_list(self.model.decode(code)[0, :own]),
            "code": code[0].tolist(), "score": float(data.scores[i]),
            "outside": bool(self._outside(code)[0]),
        }

    def neighbors(self, index: Any, k: Any = 6) -> dict[str, Any]:
        """The `k` signals nearest to signal `index` in code space."""
        data, i = self._pick(index)
        k = check_number("k", k, integer=True, minimum=1, maximum=MAX_NEIGHBORS)
        found, distances = latent.neighbors(data.codes, i, k)
        return {"index": i, "neighbors": [
            {"index": int(j), "row": int(data.signals.row[j]), "distance": float(d),
             "signal": self._signal_list(np.asarray(data.signals.data[j : j + 1])[0])}
            for j, d in zip(found, distances, strict=True)]}

    def interpolate(self, start: Any, end: Any, steps: Any = 8, method: Any = "linear"
                    ) -> dict[str, Any]:
        """The decoded path between the codes of signals `start` and `end`."""
        (data, i), (_, j) = self._pick(start), self._pick(end)
        steps = check_number("steps", steps, integer=True, minimum=2, maximum=MAX_STEPS)
        method = check_choice("method", method, ("linear", "slerp"))
        codes, decoded = latent.interpolate(self.model, data.codes[i], data.codes[j],
                                            steps=steps, method=method)
        return {"from": i, "to": j, "method": method, "codes": np.asarray(codes).tolist(),
                "signals": [self._signal_list(s) for s in decoded],
                "outside": self._outside(codes).tolist()}

    def generate(self, n: Any = 6, sampler: Any = "gaussian", seed: Any = None
                 ) -> dict[str, Any]:
        """`n` codes sampled from the training codes' density (or the prior), decoded."""
        n = check_number("n", n, integer=True, minimum=1, maximum=MAX_SAMPLES)
        sampler = check_choice("sampler", sampler, tuple(self.info()["samplers"]))
        seed = check_number("seed", seed, integer=True, minimum=0, alternatives=(None,))
        if self.model.calibration is None:
            rng = np.random.default_rng(seed)
            codes = self.space.density.sample(n, rng)
            decoded, outside = self.model.decode(codes), self._outside(codes)
        else:
            result = latent.generate(self.model, n, sampler=sampler, seed=seed)
            codes, decoded, outside = result.codes, result.signals, result.outside
        return {"samples": [{"code": c.tolist(), "signal": self._signal_list(s),
                             "outside": bool(o)}
                            for c, s, o in zip(codes, decoded, outside, strict=True)]}

    # -- validation -----------------------------------------------------------------------

    def _code(self, value: Any) -> np.ndarray:
        latent_dim = self.model.config.latent_dim
        if (not isinstance(value, list) or len(value) != latent_dim
                or not all(_is_number(v) for v in value)):
            raise DataError(f"code must be a list of {latent_dim} finite numbers "
                            f"(latent_dim); received {_short(value)}.")
        return np.asarray([value], dtype="float32")

    def _pick(self, value: Any) -> tuple[Explored, int]:
        """The data, and `value` checked as an index into it."""
        data = self._require_data("pick a signal")
        n = len(data.signals)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
            raise DataError(f"index must be an integer in 0..{n - 1}; received {_short(value)}.")
        return data, value

    def _require_data(self, action: str) -> Explored:
        if self.data is None:
            raise ConfigError(f"Cannot {action}: the explorer was started without DATA.")
        return self.data

    def _outside(self, codes: np.ndarray) -> np.ndarray:
        density = self.space.density
        return density.log_density(codes) < density.floor

    @staticmethod
    def _signal_list(signal: np.ndarray) -> list[list[float]]:
        """`(length, channels)` as a list per channel, rounded for JSON."""
        return [_floats(channel) for channel in np.asarray(signal).T]


def unit_captions(result: FactorsResult) -> list[str | None]:
    """For each unit, the quantity it carries most and its share of the unit's importance,
    in words (`None` for a unit no quantity uses)."""
    importance = result.codes.importance
    captions: list[str | None] = []
    for row, name in zip(importance, result.carried(), strict=True):
        share = row.max() / row.sum() if row.sum() > 0 else 0.0
        captions.append(None if name is None else f"{name} ({share:.0%} of its importance)")
    return captions


def _project(codes: np.ndarray, projection: str) -> tuple[np.ndarray, str]:
    """The codes' 2-D map points, and the projection that made them (`"auto"` takes UMAP
    when it is installed and the codes are at most `UMAP_LIMIT`, else PCA)."""
    check_choice("projection", projection, ("auto", "pca", "umap"))
    if projection == "auto":
        try:
            import umap  # noqa: F401
            projection = "umap" if len(codes) <= UMAP_LIMIT else "pca"
        except ImportError:
            projection = "pca"
    points, _ = latent.project(codes, projection)
    return np.asarray(points, "float32"), projection


def _is_number(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value))


def _floats(values: Any) -> list[float]:
    """Values as float32, each written with the fewest digits that give back the same
    float32: short JSON, and the page draws exactly what the model computed."""
    return [float(str(v)) for v in np.asarray(values, "float32")]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _probe(model: SignalAutoencoder, x: SignalArray, labels: np.ndarray) -> list[str]:
    """How well the codes separate the labels (`sigae.study.probe`), as lines for the page,
    or why it cannot be said (labels that are not classes, or classes too small)."""
    try:
        return probe(model, x, labels).lines()
    except DataError as error:
        return [f"The probe cannot run: {error}"]
