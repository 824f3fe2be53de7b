"""The explorer inside a notebook: an anywidget over an `ExploreSession`.

The widget runs the page's own script (`static/explorer.js`, shipped in the package, no
CDN) with another door: its questions travel to the kernel as custom messages, where
`ExploreSession.answer` answers them with the functions the page's server calls. What the
user picks comes back as traits: `selected` (the indices picked on the map; shift-click adds
or removes one) and `code` (the code the sliders show); setting either from Python moves the
widget too.

Needs the optional extra: `pip install 'sigae[notebook]'` (anywidget).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import anywidget
import numpy as np
import traitlets

from sigae.errors import SigaeError
from sigae.explore.session import ExploreSession

_STATIC = resources.files("sigae.explore").joinpath("static")

_DOOR = r"""
// The notebook's door: each call is a custom message to the kernel, answered by
// ExploreSession.answer; `code` and `selected` are traits both ways.
function close(a, b) {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * (1 + Math.abs(v)));
}
export default {
  render({ model, el }) {
    const view = Math.random().toString(36).slice(2);
    const waiting = new Map();
    let count = 0;
    const listen = message => {
      const call = waiting.get(message.id);
      if (!call) return;  // another view's answer
      waiting.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(message.error));
      else call.resolve(message.answer);
    };
    model.on("msg:custom", listen);
    const request = (call, params) => new Promise((resolve, reject) => {
      const id = `${view}-${count++}`;
      waiting.set(id, { resolve, reject });
      model.send({ id, call, params });
    });
    const root = document.createElement("div");
    el.append(root);
    const state = startExplorer(root, request, {
      code: code => {
        if (!close(code, model.get("code"))) { model.set("code", code); model.save_changes(); }
      },
      pick: (i, add) => {
        const now = model.get("selected");
        const next = !add ? [i] : now.includes(i) ? now.filter(j => j !== i) : [...now, i];
        model.set("selected", next); model.save_changes();
        state.select(next);
      },
    });
    const codeChanged = () => {
      const code = model.get("code");
      if (state.info && code.length && !close(code, state.code)) state.setCode(code);
    };
    const selectedChanged = () => state.select(model.get("selected"));
    model.on("change:code", codeChanged);
    model.on("change:selected", selectedChanged);
    el.sigae = state;  // for tests and benchmarks: what the widget drew, and how fast
    (window.sigaeWidgets = window.sigaeWidgets || []).push(state);
    return () => {
      model.off("msg:custom", listen);
      model.off("change:code", codeChanged);
      model.off("change:selected", selectedChanged);
    };
  },
};
"""


class ExplorerWidget(anywidget.AnyWidget):
    """The explorer as a notebook widget; make one with `sigae.explore.widget`.

    Attributes:
        selected: Indices of the signals picked on the map (a click picks one, a
            shift-click adds or removes one), in the order picked.
        code: The code the sliders show, in the code's own units.
        session: The `ExploreSession` that answers the widget.
    """

    _esm = _STATIC.joinpath("explorer.js").read_text("utf-8") + _DOOR
    _css = _STATIC.joinpath("explorer.css").read_text("utf-8")
    selected = traitlets.List(traitlets.Int()).tag(sync=True)
    code = traitlets.List(traitlets.Float()).tag(sync=True)

    def __init__(self, session: ExploreSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.on_msg(self._answer)

    def _answer(self, _: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or "id" not in content:
            return  # not a question of the explorer's script
        reply: dict[str, Any] = {"id": content["id"]}
        try:
            reply["answer"] = self.session.answer(content.get("call"), content.get("params", {}))
        except SigaeError as error:
            reply["error"] = " ".join(str(error).split())
        self.send(reply)

    @traitlets.validate("selected")
    def _valid_selection(self, proposal: Any) -> list[int]:
        n = 0 if self.session.data is None else len(self.session.data.signals)
        indices = [int(i) for i in proposal["value"]]
        if any(not 0 <= i < n for i in indices):
            raise traitlets.TraitError(f"selected holds indices of the {n} signals given, "
                                       f"0 to {n - 1}; received {indices}.")
        return indices

    @traitlets.validate("code")
    def _valid_code(self, proposal: Any) -> list[float]:
        code = [float(v) for v in proposal["value"]]
        latent_dim = self.session.model.config.latent_dim
        if code and (len(code) != latent_dim or not np.all(np.isfinite(code))):
            raise traitlets.TraitError(f"code holds {latent_dim} finite numbers (latent_dim); "
                                       f"received {len(code)} values.")
        return code
