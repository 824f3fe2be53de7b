"""A trained Keras model as a flat graph of layer calls, and where to cut it in two.

`parse` reads a model's architecture (a Keras 3 configuration, or the Keras 2 one inside a
legacy `.h5` file) into `Graph`: every call of every layer in topological order, nested
models inlined, with the layer objects taken from a live model or newly created from
the configuration. Keras 2 numbers the calls of a nested model from 1 (its call 0 is
its own construction), which Keras 3 refuses to read; here a reference is resolved by
its rank among the references to that layer, which is right for both.

`cut` finds the code: the tensor every path from input to output passes through with the
fewest values. `bodies` replays the calls before and after it on fresh inputs: the encoder
and decoder bodies, which hold the very layer objects of the graph.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import keras

from sigae.errors import ConfigError

Ref = tuple[int, int]
"""A tensor: `(call index, output index)`."""

MODELS = ("Functional", "Sequential", "Model")
# Names that mark a code, to break ties between equally narrow tensors.
CODE_NAME = re.compile(r"latent|code|bottleneck|(^|_)z($|_)", re.IGNORECASE)


@dataclass
class Call:
    """One call of a layer: `layer(inputs)`; a graph input when `layer` is None."""

    layer: keras.layers.Layer | None
    name: str
    inputs: list[Ref]
    many: bool = False  # the layer takes a list of tensors (Add, Concatenate, ...)
    kwargs: dict[str, Any] = field(default_factory=dict)
    top: str = ""  # the top-level layer it belongs to: where a .h5 file keeps its weights
    shape: tuple[int | None, ...] = ()  # of a graph input


@dataclass
class Graph:
    """Layer calls in topological order, with the graph's inputs and outputs."""

    calls: list[Call] = field(default_factory=list)
    inputs: list[Ref] = field(default_factory=list)
    outputs: list[Ref] = field(default_factory=list)
    # Top-level nested models, in order: (name, output refs), for the two-parts rule.
    parts: list[tuple[str, list[Ref]]] = field(default_factory=list)
    tensors: dict[Ref, Any] = field(default_factory=dict)  # after `build`

    def add(self, call: Call) -> int:
        self.calls.append(call)
        return len(self.calls) - 1

    def layers(self) -> list[keras.layers.Layer]:
        """Every layer object, once, in call order."""
        seen: dict[int, keras.layers.Layer] = {}
        for call in self.calls:
            if call.layer is not None:
                seen.setdefault(id(call.layer), call.layer)
        return list(seen.values())

    def build(self) -> None:
        """Calls every layer on fresh inputs, creating the variables of new layers and
        giving every tensor its shape (`self.tensors`)."""
        feeds = {ref: keras.Input(self.calls[ref[0]].shape[1:]) for ref in self.inputs}
        self.tensors = self.replay(feeds, range(len(self.calls)))
        self._produces: dict[int, list[Ref]] = {}
        for ref in sorted(self.tensors):
            self._produces.setdefault(ref[0], []).append(ref)

    def replay(self, feeds: dict[Ref, Any], calls: Iterable[int]) -> dict[Ref, Any]:
        """Calls the layers of `calls` (in order) on `feeds` and what they produce."""
        tensors = dict(feeds)
        for index in calls:
            call = self.calls[index]
            if call.layer is None:
                continue
            arguments = [tensors[ref] for ref in call.inputs]
            outputs = call.layer(arguments if call.many else arguments[0], **call.kwargs)
            if isinstance(outputs, list | tuple):
                tensors.update({(index, i): t for i, t in enumerate(outputs)})
            else:
                tensors[(index, 0)] = outputs
        return tensors

    def producer(self, ref: Ref) -> str:
        call = self.calls[ref[0]]
        return "the input" if call.layer is None else repr(call.name)

    def consumers(self) -> dict[Ref, list[int]]:
        result: dict[Ref, list[int]] = {}
        for index, call in enumerate(self.calls):
            for ref in call.inputs:
                result.setdefault(ref, []).append(index)
        return result

    def refs_of(self, index: int) -> list[Ref]:
        """The tensors call `index` produces (after `build`)."""
        return self._produces.get(index, [])

    def ancestors(self, ref: Ref) -> set[int]:
        """The calls `ref` depends on, its own producer included."""
        seen, stack = {ref[0]}, [ref[0]]
        while stack:
            for source, _ in self.calls[stack.pop()].inputs:
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
        return seen


# -- reading an architecture --------------------------------------------------------------------


class LayerSource(Protocol):
    """Where the layer objects of a configuration come from."""

    def layer(self, entry: dict[str, Any]) -> keras.layers.Layer: ...

    def nested(self, entry: dict[str, Any]) -> LayerSource: ...


class LiveLayers:
    """The layers of a live Keras model, found by name: the graph holds the model's own."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model

    def layer(self, entry: dict[str, Any]) -> keras.layers.Layer:
        return self.model.get_layer(entry_name(entry))

    def nested(self, entry: dict[str, Any]) -> LayerSource:
        return LiveLayers(self.layer(entry))


class NewLayers:
    """New Keras 3 layers made from (possibly Keras 2) layer configurations."""

    def layer(self, entry: dict[str, Any]) -> keras.layers.Layer:
        config = dict(entry["config"])
        for key in ("batch_input_shape", "batch_shape", "input_shape", "input_dim"):
            config.pop(key, None)  # the shapes come from the graph's inputs
        axis = config.get("axis")
        if entry["class_name"] == "BatchNormalization" and isinstance(axis, list) and len(
                axis) == 1:  # Keras 2 writes the axis as a list
            config["axis"] = axis[0]
        for key, default in (("renorm", False), ("fused", None), ("virtual_batch_size", None),
                             ("adjustment", None), ("renorm_clipping", None),
                             ("renorm_momentum", 0.99)):
            if key in config and config[key] in (default, None, False):
                del config[key]  # Keras 2 options Keras 3 dropped, at their defaults
        try:
            return keras.layers.deserialize({"module": "keras.layers",
                                             "class_name": entry["class_name"],
                                             "config": config, "registered_name": None})
        except Exception as error:  # Keras raises many kinds for configurations it rejects
            raise ConfigError(f"layer {entry_name(entry)!r} ({entry['class_name']}) cannot be "
                              f"rebuilt with Keras {keras.__version__}: {error}") from None

    def nested(self, entry: dict[str, Any]) -> LayerSource:
        return self


def entry_name(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or entry["config"]["name"])


def parse(config: dict[str, Any], layers: LayerSource) -> Graph:
    """The flat call graph of a model configuration (`{"class_name", "config"}`).

    Raises:
        ConfigError: For an architecture sigae cannot follow (an unsupported call form,
            a reference to a layer that is never called).
    """
    graph = Graph()
    kind, inner = config.get("class_name"), config.get("config")
    if kind not in MODELS or not isinstance(inner, dict):
        raise ConfigError(f"the architecture is a {kind!r}, not a Sequential or functional "
                          "model.")
    shapes = _input_shapes(kind, inner)
    graph.inputs = [(graph.add(Call(None, "input", [], shape=shape)), 0) for shape in shapes]
    graph.outputs = _inline(kind, inner, layers, graph, graph.inputs, top=None)
    return graph


def _input_shapes(kind: str, inner: dict[str, Any]) -> list[tuple[int | None, ...]]:
    entries = inner.get("layers") or []

    def shape_of(config: dict[str, Any]) -> tuple[int | None, ...] | None:
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        return tuple(shape) if shape else None

    if kind == "Sequential":
        first = entries[0] if entries else {}
        shape = shape_of(first.get("config", {})) or (
            tuple(inner["build_input_shape"]) if inner.get("build_input_shape") else None)
        if shape is None:
            raise ConfigError("the Sequential model has no input shape; build it (give it an "
                              "Input) before saving.")
        return [shape]
    by_name = {entry_name(e): e for e in entries}
    shapes = []
    for name, _, _ in _layer_refs(inner.get("input_layers")):
        shape = shape_of(by_name.get(name, {}).get("config", {}))
        if shape is None:
            raise ConfigError(f"the input {name!r} has no shape.")
        shapes.append(shape)
    return shapes


def _layer_refs(value: Any) -> list[tuple[str, int, int]]:
    """`input_layers` / `output_layers`: `[name, node, tensor]` or a list of them."""
    if not value:
        return []
    if isinstance(value[0], str):
        value = [value]
    return [(str(v[0]), int(v[1]), int(v[2])) for v in value]


def _inline(kind: str, inner: dict[str, Any], layers: LayerSource, graph: Graph,
            feeds: list[Ref], top: str | None) -> list[Ref]:
    entries = [e for e in inner.get("layers") or [] if e.get("class_name") != "InputLayer"]
    if kind == "Sequential":
        current = feeds[0]
        for entry in entries:
            name = entry_name(entry)
            if entry["class_name"] in MODELS:
                outputs = _inline(entry["class_name"], entry["config"], layers.nested(entry),
                                  graph, [current], top or name)
                if top is None:
                    graph.parts.append((name, outputs))
                current = outputs[0]
            else:
                current = (graph.add(Call(layers.layer(entry), name, [current],
                                          top=top or name)), 0)
        return [current]
    return _inline_functional(inner, layers, graph, feeds, top)


def _inline_functional(inner: dict[str, Any], layers: LayerSource, graph: Graph,
                       feeds: list[Ref], top: str | None) -> list[Ref]:
    entries = inner.get("layers") or []
    # A reference's node index is resolved by its rank among the indices that refer to
    # that layer: Keras 2 counts a nested model's calls from 1, Keras 3 from 0.
    referenced: dict[str, set[int]] = {}
    for entry in entries:
        for node in entry.get("inbound_nodes") or []:
            for name, node_index, _ in _node_refs(node):
                referenced.setdefault(name, set()).add(node_index)
    outputs_spec = _layer_refs(inner.get("output_layers"))
    for name, node_index, _ in outputs_spec:
        referenced.setdefault(name, set()).add(node_index)
    produced: dict[str, dict[int, Any]] = {}
    n_calls = {entry_name(e): len(e.get("inbound_nodes") or []) for e in entries}
    for (name, _, _), ref in zip(_layer_refs(inner.get("input_layers")), feeds, strict=True):
        produced[name], n_calls[name] = {0: [ref]}, 1

    def resolve(name: str, node_index: int, tensor_index: int) -> Ref | None:
        ranks = sorted(referenced.get(name, {node_index}))
        position = (ranks.index(node_index) if len(ranks) <= n_calls.get(name, 0)
                    else node_index)
        found = produced.get(name, {}).get(position)
        if found is None:
            return None
        return found[tensor_index] if isinstance(found, list) else (found, tensor_index)

    pending = [(entry, k, node) for entry in entries
               if entry.get("class_name") != "InputLayer"
               for k, node in enumerate(entry.get("inbound_nodes") or [])]
    while pending:
        waiting = []
        for entry, k, node in pending:
            found = [resolve(*r) for r in _node_refs(node)]
            refs = [ref for ref in found if ref is not None]
            if len(refs) < len(found):
                waiting.append((entry, k, node))
                continue
            name = entry_name(entry)
            many, kwargs = _node_form(node, name)
            if entry["class_name"] in MODELS:
                outputs = _inline(entry["class_name"], entry["config"], layers.nested(entry),
                                  graph, refs, top or name)
                if top is None:
                    graph.parts.append((name, outputs))
                produced.setdefault(name, {})[k] = outputs
            else:
                index = graph.add(Call(layers.layer(entry), name, refs, many, kwargs,
                                       top=top or name))
                produced.setdefault(name, {})[k] = index
        if len(waiting) == len(pending):
            names = sorted({entry_name(entry) for entry, _, _ in waiting})
            raise ConfigError(f"the layers {names} take inputs no layer of the model produces.")
        pending = waiting
    found = [resolve(*r) for r in outputs_spec]
    outputs = [ref for ref in found if ref is not None]
    if len(outputs) < len(found):
        raise ConfigError("the model's outputs are not produced by its layers.")
    return outputs


def _tensor_history(value: Any) -> tuple[str, int, int] | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        name, node_index, tensor_index = value["config"]["keras_history"]
        return str(name), int(node_index), int(tensor_index)
    return None


def _node_refs(node: Any) -> list[tuple[str, int, int]]:
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        args = node.get("args") or []
        first = args[0] if args else None
        items = first if isinstance(first, list) else [first]
        return [h for h in (_tensor_history(item) for item in items) if h is not None]
    # Keras 2: [[name, node, tensor, kwargs], ...]
    return [(str(e[0]), int(e[1]), int(e[2])) for e in node]


def _node_form(node: Any, name: str) -> tuple[bool, dict[str, Any]]:
    """Whether a call takes a list of tensors, and its plain keyword arguments."""
    if isinstance(node, dict):
        args, kwargs = node.get("args") or [], node.get("kwargs") or {}
        if len(args) != 1 or (not isinstance(args[0], list) and _tensor_history(args[0]) is None):
            raise ConfigError(f"layer {name!r} is called with arguments sigae cannot follow "
                              "(only one tensor or a list of tensors).")
        many = isinstance(args[0], list)
    else:
        many = len(node) > 1
        kwargs = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    if "__keras_tensor__" in repr(kwargs):
        raise ConfigError(f"layer {name!r} takes a tensor as a keyword argument (a mask or a "
                          "state); sigae cannot follow it.")
    return many, {k: v for k, v in kwargs.items() if v is not None}


# -- the cut ----------------------------------------------------------------------------------


def values(tensor: Any) -> int | None:
    """Values per signal of a symbolic tensor, or None if a dimension is unknown."""
    shape = tuple(tensor.shape[1:])
    return None if any(d is None for d in shape) else math.prod(shape)


def check_form(graph: Graph, where: str, what: str = "an autoencoder of signals"
               ) -> tuple[int, int]:
    """Refuses a graph that is not one `(length, channels)` input and one output.

    Returns:
        `(length, channels)`.
    """
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ConfigError(f"{where} has {len(graph.inputs)} input(s) and {len(graph.outputs)} "
                          f"output(s); {what} has one of each.")
    shape = tuple(graph.tensors[graph.inputs[0]].shape[1:])
    if len(shape) != 2 or None in shape:
        raise ConfigError(f"{where} takes input of shape {shape}; sigae needs signals of shape "
                          "(length, channels), e.g. (501, 1).")
    return shape[0], shape[1]


def cut(graph: Graph, split: str | None, where: str) -> Ref:
    """The tensor that becomes the code.

    Without `split`: for a model made of an encoder model and a decoder model, the
    encoder's output; otherwise the tensor every path from input to output passes
    through with the fewest values per signal (ties: a name like latent, code, z or
    bottleneck, then the earliest). With `split`: the output of that layer.

    Raises:
        ConfigError: If the named layer does not exist (the candidates are listed), a
            connection crosses the cut (its layers are named), or the model has no
            bottleneck.
    """
    source, target = graph.inputs[0], graph.outputs[0]
    consumers = graph.consumers()
    candidates = [ref for ref in _between(graph, source, target, consumers)
                  if values(graph.tensors[ref]) is not None]
    if split is not None:
        return _named(graph, split, where, candidates, consumers)
    tops = {call.top for call in graph.calls if call.layer is not None}
    if len(graph.parts) == 2 and tops == {name for name, _ in graph.parts} and len(
            graph.parts[0][1]) == 1:
        code = graph.parts[0][1][0]  # the question's Model(x, Decoder()(Encoder()(x)))
        _check_crossing(graph, code, where, consumers)
        return code
    dominators = [ref for ref in candidates if not _reaches(graph, source, target, ref,
                                                            consumers)]
    if not dominators:
        raise ConfigError(f"{where}: no tensor lies on every path from input to output, so "
                          "there is no code to cut at; name one with --split (split=).")

    def rank(ref: Ref) -> tuple[int, int, int]:
        return (values(graph.tensors[ref]) or 0,
                0 if CODE_NAME.search(graph.calls[ref[0]].name) else 1, ref[0])

    best, narrowest = min(dominators, key=rank), min(candidates, key=rank)
    if rank(narrowest)[0] < rank(best)[0]:
        _check_crossing(graph, narrowest, where, consumers)
    size_in = values(graph.tensors[source]) or 0
    if rank(best)[0] >= size_in:
        raise ConfigError(f"{where}: every tensor on all paths from input to output holds at "
                          f"least as many values as the input ({size_in}): the model has no "
                          "bottleneck to take as the code. Name a layer with --split.")
    return best


def _named(graph: Graph, split: str, where: str, candidates: list[Ref],
           consumers: dict[Ref, list[int]]) -> Ref:
    for name, outputs in graph.parts:
        if name == split and len(outputs) == 1:
            _check_crossing(graph, outputs[0], where, consumers)
            return outputs[0]
    found = [i for i, call in enumerate(graph.calls) if call.layer is not None
             and call.name == split]
    if not found:
        names = list(dict.fromkeys(graph.calls[ref[0]].name for ref in candidates))
        raise ConfigError(f"{where} has no layer {split!r} to split at; its layers between "
                          f"input and output are: {', '.join(names)}.")
    if len(found) > 1:
        raise ConfigError(f"layer {split!r} is called {len(found)} times in {where}; split at a "
                          "layer called once.")
    code = (found[0], 0)
    if code not in candidates:
        raise ConfigError(f"the output of layer {split!r} is not between the input and the "
                          f"output of {where}; choose a layer inside the model.")
    _check_crossing(graph, code, where, consumers)
    return code


def _between(graph: Graph, source: Ref, target: Ref, consumers: dict[Ref, list[int]]
             ) -> list[Ref]:
    """Tensors on some path from `source` to `target`, both excluded, in call order."""
    after = _descendants(graph, source, consumers)
    leading = graph.ancestors(target)
    before = {ref for ref in graph.tensors if any(i in leading for i in consumers.get(ref, []))}
    return sorted((after & before) - {source, target})


def _descendants(graph: Graph, start: Ref, consumers: dict[Ref, list[int]],
                 avoid: Ref | None = None) -> set[Ref]:
    seen, stack = {start}, [start]
    while stack:
        for index in consumers.get(stack.pop(), []):
            for ref in graph.refs_of(index):
                if ref not in seen and ref != avoid:
                    seen.add(ref)
                    stack.append(ref)
    return seen


def _reaches(graph: Graph, source: Ref, target: Ref, avoid: Ref,
             consumers: dict[Ref, list[int]]) -> bool:
    return target in _descendants(graph, source, consumers, avoid=avoid)


def _check_crossing(graph: Graph, code: Ref, where: str,
                    consumers: dict[Ref, list[int]]) -> None:
    """Refuses a cut that a connection goes around, naming the crossing layers."""
    after = _descendants(graph, code, consumers)
    crossing = []
    for call in graph.calls:
        if call.layer is None or not any(ref in after for ref in call.inputs):
            continue
        for ref in call.inputs:
            if ref not in after:
                crossing.append(f"{graph.producer(ref)} -> {call.name!r}")
    if graph.outputs[0] not in after:
        raise ConfigError(f"{where}: the output of {graph.producer(code)} does not lead to the "
                          "model's output; split at a layer on the way from input to output.")
    if crossing:
        raise ConfigError(
            f"{where}: a connection crosses the cut at {graph.producer(code)}: "
            f"{', '.join(dict.fromkeys(crossing))} (a skip connection, U-Net style), so the "
            "decoder would need more than the code. Split at another layer with --split, or "
            "adopt a model whose paths all pass through its code.")


def bodies(graph: Graph, code: Ref) -> tuple[keras.Model, keras.Model]:
    """The encoder body (input -> code) and the decoder body (code -> output), replayed
    on fresh inputs over the graph's own layer objects. A code that is not a vector is
    flattened by the encoder and reshaped back by the decoder."""
    source, target = graph.inputs[0], graph.outputs[0]
    consumers = graph.consumers()
    shape = tuple(graph.tensors[code].shape[1:])
    signals = keras.Input(graph.calls[source[0]].shape[1:], name="signals_in")
    code_tensor = graph.replay({source: signals}, sorted(graph.ancestors(code)))[code]
    if len(shape) > 1:
        code_tensor = keras.layers.Flatten(name="code_flatten")(code_tensor)
    encoder = keras.Model(signals, code_tensor, name="encoder_body")

    code_in = keras.Input((math.prod(shape),), name="code_in")
    start = (keras.layers.Reshape(shape, name="code_reshape")(code_in) if len(shape) > 1
             else code_in)
    after = _descendants(graph, code, consumers) - {code}
    later = sorted({ref[0] for ref in after})
    output = graph.replay({code: start}, later)[target]
    return encoder, keras.Model(code_in, output, name="decoder_body")


def whole(graph: Graph, name: str) -> keras.Model:
    """The graph as one functional model, on a fresh input, over its own layer objects."""
    source, target = graph.inputs[0], graph.outputs[0]
    signals = keras.Input(graph.calls[source[0]].shape[1:], name=f"{name}_in")
    return keras.Model(signals, graph.replay({source: signals}, range(len(graph.calls)))[target],
                       name=name)
