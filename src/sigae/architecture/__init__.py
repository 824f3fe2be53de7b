"""What a model is made of: its configuration, its layers and its three views.

- `config`: `ModelConfig`, `ConvBlock` and the presets (plain data);
- `designs`: sigae's built-in designs, their layers built once, and the weight shapes a
  config implies; `fastpath`: the fast layers they are made of; `initializers`: their
  initial weights, drawn by NumPy;
- `parts`: `PartsConfig`, a Keras encoder and decoder as data, and their views;
  `allowlist`: the built-in Keras classes such parts may name;
- `views`: `Views` over one set of layers, with the normalization layer inside;
- `build`: the one dispatch on the kind of architecture.
"""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
