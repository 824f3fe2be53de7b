"""Statistics over NumPy arrays, with no Keras: per-signal errors (`metrics`), PCA and the
comparison with it (`pca`), the code densities and error quantiles (`calibration`)."""
