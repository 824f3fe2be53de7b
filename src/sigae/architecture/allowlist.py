"""What a Keras architecture may name before anything deserializes it: built-in classes only.

A Keras configuration is data that names classes. Deserializing it imports and calls what
it names, and a `Lambda` layer carries Python bytecode; Keras' `safe_mode` is meant to stop
that but has been bypassed repeatedly (CVE-2025-1550, CVE-2025-8747, CVE-2025-9906,
CVE-2026-1462). So before Keras sees a configuration, from a `.sigae` file or from a
`.keras` / `.h5` file given to `sigae adopt`, `check_architecture` walks all of it: every
object must be a built-in Keras layer, model, initializer, regularizer, constraint or
dtype policy on the lists below, from a `keras` module,
with no registered name pointing elsewhere, and no function anywhere. `safe_mode=True`
is still passed to Keras, as a second line.
"""

from __future__ import annotations

from typing import Any

from sigae.errors import ModelFileError

# Layers that compute with their weights and their inputs only (no code, no files).
LAYERS = frozenset({
    "InputLayer", "Dense", "EinsumDense", "Identity", "Activation", "Flatten", "Reshape",
    "Permute", "RepeatVector", "Cropping1D", "ZeroPadding1D", "UpSampling1D",
    "Conv1D", "Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D",
    "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D",
    "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Normalization", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell", "Bidirectional",
    "TimeDistributed", "MultiHeadAttention", "Attention",
})
MODELS = frozenset({"Functional", "Sequential", "Model"})
OBJECTS = frozenset({
    # initializers
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Zeros",
    # regularizers and constraints
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
    # dtype policies
    "DTypePolicy", "FloatDTypePolicy",
})
# Keras' own markers for plain data inside a configuration.
MARKERS = frozenset({"__keras_tensor__", "__tuple__"})
ALLOWED = LAYERS | MODELS | OBJECTS | MARKERS
# Keys under which a function, that is code, would be stored.
CODE_KEYS = frozenset({"function", "function_type", "output_shape_type", "module_objects"})
# Training settings (optimizer, loss) that sigae never deserializes: it loads models with
# compile=False, which makes Keras drop them, and strips them from the parts it stores.
IGNORED_KEYS = frozenset({"compile_config"})


def check_architecture(config: Any, where: str) -> None:
    """Refuses a Keras configuration that names anything outside the allowlist.

    Args:
        config: A Keras configuration (JSON data): a model, a layer, or a part of one.
        where: Names the configuration in messages, e.g. the file it came from.

    Raises:
        ModelFileError: Naming the refused class and its path inside the configuration,
            e.g. `'double' (Lambda) at encoder.layers[3]`, before anything is deserialized.
    """
    _walk(config, where, "model")


def _walk(node: Any, where: str, path: str) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, where, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    here = path
    if "class_name" in node:
        here, name = _check_object(node, where, path)
        path = name or path  # inside a named object, paths start at its name
    for key, value in node.items():
        if key in IGNORED_KEYS:
            continue
        if key in CODE_KEYS and value is not None:
            raise ModelFileError(
                f"{where}: refused: {here} holds a function ({key!r}); sigae never runs code "
                "from a model file. Rebuild the model from built-in Keras layers.")
        _walk(value, where, path if key == "config" else f"{path}.{key}")


def _check_object(node: dict[str, Any], where: str, path: str) -> tuple[str, str | None]:
    """Refuses an object outside the allowlist; returns how to name it, and its name."""
    class_name = node.get("class_name")
    config = node.get("config")
    name = node.get("name") or (config.get("name") if isinstance(config, dict) else None)
    name = name if isinstance(name, str) else None
    here = f"{name!r} ({class_name}) at {path}" if name else f"{class_name} at {path}"
    module = node.get("module")
    registered = node.get("registered_name")
    if class_name == "Lambda":
        raise ModelFileError(
            f"{where}: refused: {here} is a Lambda layer, which holds Python code; sigae never "
            "runs code from a model file. Replace it with built-in Keras layers.")
    if not isinstance(class_name, str) or class_name not in ALLOWED:
        raise ModelFileError(
            f"{where}: refused: {here} is not one of sigae's allowed built-in Keras classes "
            "(a custom or unknown class would run code on loading). Use built-in Keras "
            "layers only.")
    if module is not None and not (isinstance(module, str) and (
            module == "keras" or module.startswith("keras."))):
        raise ModelFileError(
            f"{where}: refused: {here} comes from module {module!r}, not from Keras; sigae "
            "loads built-in Keras classes only.")
    if registered is not None and registered != class_name:
        raise ModelFileError(
            f"{where}: refused: {here} is registered as {registered!r}, which points outside "
            "Keras' built-in classes.")
    return here, name
