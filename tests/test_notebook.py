"""sigae in a notebook: the model's HTML card, and the explorer widget in a real JupyterLab
(a server on 127.0.0.1 with a token, a real kernel, Debian's chromium through Playwright)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import sigae
from conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent

# -- the card ---------------------------------------------------------------------------------


def test_a_fitted_model_shows_as_a_card_of_what_it_is_and_learned(trained):
    card = trained._repr_html_()
    assert card.startswith("<div class='sigae-card'>")
    for expected in ("(fitted)", "(48, 1) → code (4,) → (48, 1)", "encoder ",
                     "normalization</th>", "against PCA", "data units", "<svg",
                     "anomaly threshold"):
        assert expected in card
    assert f"{trained.comparison.ratio:.3f}x" in card
    assert "<script" not in card
    assert repr(trained) == "SignalAutoencoder(length=48, channels=1, latent_dim=4, fitted)"


def test_an_untrained_model_says_so_and_text_is_escaped():
    import keras

    encoder = keras.Sequential([keras.Input((16, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(2)])
    decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16),
                                keras.layers.Reshape((16, 1))])
    model = sigae.SignalAutoencoder.from_parts(encoder, decoder, origin="<b>mine</b>")
    card = model._repr_html_()
    assert "(untrained)" in card
    assert "untrained: call fit(x)" in card
    assert "&lt;b&gt;mine&lt;/b&gt;" in card
    assert "<b>mine</b>" not in card


# -- the widget, answered by the kernel ---------------------------------------------------------

anywidget = pytest.importorskip("anywidget")


def test_the_widget_answers_with_the_sessions_functions_and_refuses_in_one_line(trained, data):
    widget = sigae.explore.widget(trained, data)
    sent = []
    widget.send = lambda message, buffers=None: sent.append(message)
    widget._answer(widget, {"id": "1", "call": "decode", "params": {"code": [0.0] * 4}}, [])
    widget._answer(widget, {"id": "2", "call": "signal", "params": {"index": 10**6}}, [])
    widget._answer(widget, {"id": "3", "call": "decode", "params": {"codes": []}}, [])
    assert sent[0]["id"] == "1"
    assert sent[0]["answer"] == widget.session.decode([0.0] * 4)
    assert sent[1] == {"id": "2", "error": "index must be an integer in 0..59; received 1000000."}
    assert sent[2]["error"] == "decode takes code; received codes."
    with pytest.raises(Exception, match="selected holds indices of the 60 signals"):
        widget.selected = [60]
    with pytest.raises(Exception, match="code holds 4 finite numbers"):
        widget.code = [1.0, float("nan"), 0.0, 0.0]


def test_without_the_extra_the_widget_says_what_to_install(trained, monkeypatch):
    monkeypatch.setitem(sys.modules, "sigae.explore.notebook", None)
    with pytest.raises(ImportError, match=r"pip install 'sigae\[notebook\]'"):
        sigae.explore.widget(trained)


# -- in JupyterLab, in a browser ----------------------------------------------------------------

NOTEBOOK_CELLS = [
    "import numpy as np\nimport sigae\nmodel = sigae.load('m.sigae')\nmodel",
    "x = np.load('x.npy')\nw = sigae.explore.widget(model, x)\nw",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, model_file, data):
    pytest.importorskip("jupyterlab")
    nbformat = pytest.importorskip("nbformat")
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(model_file, root / "m.sigae")
    np.save(root / "x.npy", data)
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(notebook, root / "explore.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    runtime = root / "runtime"
    # The server extension as `pip install 'sigae[notebook]'` enables it (an editable
    # install does not copy data files, so the test puts the file where a wheel does).
    enabled = root / "config" / "jupyter_server_config.d"
    enabled.mkdir(parents=True)
    shutil.copy(ROOT / "jupyter-config" / "sigae.json", enabled)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime),
           "JUPYTER_CONFIG_DIR": str(root / "config"), "KERAS_BACKEND": "jax",
           "PYTHONUNBUFFERED": "1"}
    log = open(root / "lab.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.shutdown_no_activity_timeout=600",
         "--MappingKernelManager.cull_idle_timeout=600", "--allow-root"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, (root / "lab.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab did not start in 120 s"
                time.sleep(0.5)
        yield url, token, runtime, root / "lab.log"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def run_in_kernel(runtime, code: str) -> str:
    """Runs `code` in the notebook's own kernel (through its connection file) and returns
    what it printed."""
    from jupyter_client import BlockingKernelClient

    (connection,) = runtime.glob("kernel-*.json")
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    printed: list[str] = []

    def output(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("\n".join(message["content"]["traceback"]))

    try:
        reply = client.execute_interactive(code, output_hook=output, timeout=60)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", printed
    return "".join(printed)


def test_the_widget_lives_in_jupyterlab_and_what_is_picked_comes_back(lab, browser,
                                                                      trained, data):
    url, token, runtime, log = lab
    assert "kernel websockets without Nagle's delay" in log.read_text()
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    tab = context.new_page()
    tab.goto(f"{url}/lab/tree/explore.ipynb?token={token}")
    wait_until(tab, "window.jupyterapp !== undefined && document.querySelector("
                    "'.jp-Notebook') !== null", timeout=120)
    wait_until(tab, "window.jupyterapp.shell.currentWidget && window.jupyterapp.shell"
                    ".currentWidget.sessionContext.session?.kernel?.status === 'idle'",
               timeout=120)
    tab.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_until(tab, "(window.sigaeWidgets || []).length > 0 && window.sigaeWidgets[0].ready "
                    "=== true && window.sigaeWidgets[0].map !== null", timeout=180)
    # The card of the first cell is in the notebook.
    assert tab.evaluate("document.querySelector('.jp-OutputArea .sigae-card') !== null")
    state = "window.sigaeWidgets[0]"

    # A slider moves: the decoded signal changes, and is the decoder's output for the code.
    before = tab.evaluate(f"{state}.drawn")
    count = tab.evaluate(f"{state}.latencies.length")
    tab.evaluate("(() => { const input = document.querySelector('.sigae-explorer #z1');"
                 " input.value = 1.5; input.dispatchEvent(new Event('input')); })()")
    wait_until(tab, f"{state}.latencies.length > {count}")
    drawn, code = tab.evaluate(f"[{state}.drawn, {state}.code]")
    assert drawn != before
    expected = trained.decode(np.asarray([code], "float32"))[0]
    np.testing.assert_allclose(np.asarray(drawn).T, expected, rtol=1e-6, atol=1e-6)

    # A point is clicked on the map: its signal is picked, and Python sees it.
    index = 7
    x, y = tab.evaluate(f"[{state}.map.px[{index}], {state}.map.py[{index}]]")
    box = tab.locator(".sigae-explorer #map").bounding_box()
    tab.mouse.click(box["x"] + x, box["y"] + y)
    wait_until(tab, f"{state}.picked !== null")
    picked = tab.evaluate(f"{state}.picked.index")
    wait_until(tab, f"{state}.selected.length === 1 && {state}.selected[0] === {picked}")
    expected = trained.encode(data[picked : picked + 1])[0]
    deadline = time.monotonic() + 30
    while True:  # `selected` and `code` reach the kernel as two messages
        back = json.loads(run_in_kernel(runtime, "import json; print(json.dumps({'selected': "
                                                 "w.selected, 'code': w.code}))"))
        if np.allclose(back["code"], expected, rtol=1e-5, atol=1e-6) or (
                time.monotonic() > deadline):
            break
        time.sleep(0.2)
    assert back["selected"] == [picked]
    np.testing.assert_allclose(back["code"], expected, rtol=1e-5, atol=1e-6)

    # And Python moves the widget: a code set in the next cell is decoded and drawn.
    count = tab.evaluate(f"{state}.latencies.length")
    run_in_kernel(runtime, "w.code = [0.5, -0.5, 0.25, 0.0]; w.selected = [3, 4]")
    wait_until(tab, f"{state}.latencies.length > {count} && {state}.selected.length === 2")
    assert tab.evaluate(f"{state}.code") == [0.5, -0.5, 0.25, 0.0]
    context.close()


def test_the_wheel_enables_the_server_extension():
    import json
    import tomllib

    config = json.loads((ROOT / "jupyter-config" / "sigae.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"sigae.explore.jupyter": True}}}
    with open(ROOT / "pyproject.toml", "rb") as handle:
        files = tomllib.load(handle)["tool"]["setuptools"]["data-files"]
    assert files == {"etc/jupyter/jupyter_server_config.d": ["jupyter-config/sigae.json"]}


def test_the_widgets_card_and_script_need_nothing_from_the_network():
    from sigae.explore.notebook import ExplorerWidget

    for text in (ExplorerWidget._esm, ExplorerWidget._css):
        assert "http://" not in text
        assert "https://" not in text
        assert "import " not in text.split("export default")[0]  # no module imports
