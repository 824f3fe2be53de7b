"""Trained Keras models read from files: `.keras` (Keras 3) and legacy `.h5` (tf.keras 2 or
Keras 3), every architecture checked against `sigae.architecture.allowlist` before Keras sees it.

A `.h5` file is read here, not by Keras: its architecture JSON becomes a `Graph` of new
Keras 3 layers (`sigae.adoption.graph`), and the weights are assigned layer by layer from
the file's HDF5 groups. Keras 3 refuses the nested form of the question,
`Model(x, Decoder()(Encoder()(x)))` saved by tf.keras 2; sigae reads it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from sigae.adoption.graph import Graph, LiveLayers, NewLayers, parse
from sigae.architecture.allowlist import check_architecture
from sigae.errors import ConfigError, ModelFileError

SUFFIXES = (".keras", ".h5", ".hdf5")
_MAX_CONFIG_BYTES = 64 * 2**20


def read_graph(source: Any) -> tuple[Graph, str]:
    """The call graph of a live `keras.Model` or of a model file, with its trained weights.

    Returns:
        `(graph, name)`: the built graph, and the file name or model name for messages.

    Raises:
        ModelFileError: For a missing, unreadable, truncated or foreign file, or an
            architecture naming a class outside `sigae.architecture.allowlist` (nothing is
            executed).
        ConfigError: For an architecture sigae cannot follow.
    """
    if isinstance(source, keras.Model):
        config = _serialize(source)
        check_architecture(config, f"model {source.name!r}")
        graph = parse(config, LiveLayers(source))
        graph.build()
        return graph, f"model {source.name!r}"
    path = Path(source)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file. Check the path.")
    if path.suffix.lower() not in SUFFIXES:
        raise ModelFileError(f"{path}: expected a Keras model file (.keras, or a legacy .h5 "
                             f"saved with model.save); received {path.suffix or 'no extension'}.")
    if path.suffix.lower() == ".keras":
        return _read_keras(path), path.name
    return _read_h5(path), path.name


def _serialize(model: keras.Model) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    except Exception as error:  # Keras raises many kinds for objects it cannot describe
        raise ConfigError(f"model {model.name!r} cannot be described as data ({error}); "
                          "use built-in Keras layers only.") from None


def _read_keras(path: Path) -> Graph:
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo("config.json").file_size > _MAX_CONFIG_BYTES:
                raise ModelFileError(f"{path}: the architecture is implausibly large; refused.")
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError) as error:
        raise ModelFileError(f"{path}: not a readable .keras file ({error}); it is truncated "
                             "or of another format.") from None
    check_architecture(config, str(path))
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for files it cannot read
        raise ModelFileError(f"{path}: Keras {keras.__version__} cannot load it "
                             f"({' '.join(str(error).split())[:300]}).") from None
    graph = parse(_serialize(model), LiveLayers(model))
    graph.build()
    return graph


def _read_h5(path: Path) -> Graph:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
            if raw is None:
                raise ModelFileError(
                    f"{path}: holds weights only, no architecture; save the whole model "
                    "with model.save(...) and adopt that file.")
            config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            check_architecture(config, str(path))
            graph = parse(config, NewLayers())
            graph.build()
            _assign(graph, handle.get("model_weights", handle), path)
    except ModelFileError:
        raise
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: not a readable Keras .h5 model ({error}); it is "
                             "truncated or damaged.") from None
    return graph


def _assign(graph: Graph, group: Any, path: Path) -> None:
    """Sets every layer's weights from the file, matched by layer and variable names."""
    tops = {id(call.layer): call.top for call in graph.calls if call.layer is not None}
    for layer in graph.layers():
        if not layer.weights:
            continue
        top = tops[id(layer)]
        stored = [_text(n) for n in group[top].attrs.get("weight_names", [])]
        prefix = f"{layer.name}/"
        own = [n for n in stored if n.startswith(prefix)] or (stored if top == layer.name else [])
        arrays = {n.removeprefix(prefix).removesuffix(":0"): np.asarray(group[top][n])
                  for n in own}
        values = _match(layer, arrays)
        if values is None:
            raise ModelFileError(
                f"{path}: the stored weights of layer {layer.name!r} ({sorted(arrays)}) do not "
                f"fit its variables ({[v.name for v in layer.weights]}).")
        for variable, value in zip(layer.weights, values, strict=True):
            if tuple(variable.shape) != value.shape:
                raise ModelFileError(
                    f"{path}: weight {variable.name!r} of layer {layer.name!r} has shape "
                    f"{value.shape} in the file but {tuple(variable.shape)} in the "
                    "architecture; the file is damaged.")
            variable.assign(value)


def _match(layer: keras.layers.Layer, arrays: dict[str, np.ndarray]) -> list[np.ndarray] | None:
    """The stored arrays in the order of the layer's variables: by name, else by order."""
    names = list(arrays)
    by_name = []
    for variable in layer.weights:
        found = [n for n in names if n == variable.name or n.endswith(f"/{variable.name}")]
        if len(found) != 1:
            break
        by_name.append(arrays[found[0]])
    else:
        if len(by_name) == len(arrays):
            return by_name
    return list(arrays.values()) if len(arrays) == len(layer.weights) else None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
