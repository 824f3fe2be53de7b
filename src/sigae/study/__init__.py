"""Studying a trained model: its code space, its figures and its reports.

- `sigae.study.latent`: statistics, projections, traversals, interpolations, neighbours,
  generation and anomaly scores;
- `sigae.study.plotting`: a matplotlib `Figure` for each;
- `sigae.study.report`: the self-contained HTML report;
- `sigae.study.summary`: the text of `sigae info`.
"""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
