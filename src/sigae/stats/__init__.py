"""Statistics over NumPy arrays, with no Keras: per-signal errors (`metrics`), PCA and the
comparison with it (`pca`), the code densities and error quantiles (`calibration`)."""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
