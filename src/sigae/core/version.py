"""sigae's version, in one place (`sigae.__version__`, the model file's manifest, `--version`)."""

__version__ = "0.1.0"
