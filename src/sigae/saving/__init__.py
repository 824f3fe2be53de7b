"""Models on disk: the `.sigae` file (`model_file`) and export for use without sigae
(`export`: plain `.keras` files and ONNX). Both take what a model is made of (its
architecture, views and learned record), never the `SignalAutoencoder` facade, which calls
down into them as Keras' `Model.save` calls into `keras.saving`."""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
