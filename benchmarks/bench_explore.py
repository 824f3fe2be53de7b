"""The explorer's speed in headless Chromium, through both doors, and its picture.

The page of `sigae explore` (answered over HTTP), and the notebook widget
`sigae.explore.widget` in a real JupyterLab on 127.0.0.1 (answered by the kernel through
custom messages), with the same model and data, side by side in one run.

Default design, length 501, latent 16 (trained briefly on the embedded oscillations):

- slider: from a slider's `input` event to the redrawn curve, measured in the page, over
  200 moves one after the other, and over a 200-event drag at 60 events a second (where
  the page coalesces: a move that arrives while a decode is in flight replaces the one
  waiting, so only the newest is drawn);
- map: 100,000 codes drawn once, then 200 hovers; each hover answered (nearest point found
  through the page's grid, tooltip shown) measured in the page.

    .venv/bin/python benchmarks/bench_explore.py --out benchmarks/out/explore.json \
        --picture docs/images/explore.png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start(model: Path, data: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sigae", "explore", str(model), str(data), "--port", "0",
         "--no-browser", "--projection", "pca"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()
    return process, re.search(r"(http://\S+)", line).group(1)


def wait(page, expression: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        time.sleep(0.01)


def stats(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {"n": len(array), "median_ms": round(float(np.median(array)), 2),
            "p95_ms": round(float(np.percentile(array, 95)), 2),
            "max_ms": round(float(array.max()), 2)}


MOVE = """(v) => { const s = document.querySelector('.sigae-explorer #z0'); s.value = v;
  s.dispatchEvent(new Event('input')); }"""


def latencies(page, state: str, started: float) -> dict:
    """The slider and hover measurements of an explorer whose state is `state` (a JS
    expression), once it is ready."""
    wait(page, f"{state} && {state}.ready === true && {state}.map !== null")
    ready = time.perf_counter() - started
    rng = np.random.default_rng(0)
    page.evaluate(f"{state}.latencies = []")
    for k in range(200):  # one after the other
        page.evaluate(MOVE, float(rng.uniform(-3, 3)))
        wait(page, f"{state}.latencies.length > {k}")
    one_by_one = page.evaluate(f"{state}.latencies")
    page.evaluate(f"{state}.latencies = []")
    for _ in range(200):  # a drag: 60 events a second
        page.evaluate(MOVE, float(rng.uniform(-3, 3)))
        time.sleep(1 / 60)
    time.sleep(0.5)
    drag = page.evaluate(f"{state}.latencies")
    canvas = page.locator(".sigae-explorer #map")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    hovers = []
    for _ in range(200):
        page.mouse.move(box["x"] + rng.uniform(10, box["width"] - 10),
                        box["y"] + rng.uniform(10, box["height"] - 10))
        hovers.append(page.evaluate(f"{state}.hoverLatency"))
    return {"ready_s": round(ready, 2), "slider_one_by_one": stats(one_by_one),
            "slider_drag_60hz": stats(drag), "drawn_of_200_drag_events": len(drag),
            "map_points": page.evaluate(f"{state}.map.x.length"),
            "map_draw_ms": round(page.evaluate(f"{state}.mapDrawMs"), 1),
            "hover": stats([h for h in hovers if h is not None])}


def measure(browser, model: Path, data: Path) -> dict:
    """The page of `sigae explore`."""
    process, url = start(model, data)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        started = time.perf_counter()
        page.goto(url)
        return latencies(page, "window.sigae", started)
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_widget(browser, model: Path, data: Path, extension: bool = True) -> dict:
    """The widget in a notebook of a JupyterLab started here (extras notebook, test), with
    sigae's server extension enabled as a wheel install enables it, or without it."""
    import secrets
    import socket

    import nbformat

    root = model.parent
    cells = ["import numpy as np\nimport sigae\n"
             f"model = sigae.load({str(model)!r})\nx = np.load({str(data)!r}, mmap_mode='r')\n"
             "w = sigae.explore.widget(model, x, projection='pca')\nw"]
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(notebook, root / "widget.ipynb")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    token = secrets.token_hex(16)
    enabled = root / "config" / "jupyter_server_config.d"
    shutil.rmtree(enabled, ignore_errors=True)
    enabled.mkdir(parents=True)
    if extension:
        shutil.copy(Path(__file__).parent.parent / "jupyter-config" / "sigae.json", enabled)
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--allow-root"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
             "JUPYTER_CONFIG_DIR": str(root / "config")})
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        deadline = time.monotonic() + 120
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/lab/tree/widget.ipynb?token={token}")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        wait(page, "window.jupyterapp !== undefined && window.jupyterapp.shell.currentWidget"
                   " && window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel"
                   "?.status === 'idle'")
        started = time.perf_counter()
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        wait(page, "(window.sigaeWidgets || []).length > 0")
        return latencies(page, "window.sigaeWidgets[0]", started)
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def picture(browser, model: Path, data: Path, path: Path) -> None:
    process, url = start(model, data)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1250})
        page.goto(url)
        wait(page, "window.sigae && window.sigae.ready === true")

        def click(index: int) -> None:
            x, y = page.evaluate(f"[window.sigae.map.px[{index}], window.sigae.map.py[{index}]]")
            box = page.locator("#map").bounding_box()
            page.evaluate("window.sigae.picked = null")
            page.mouse.click(box["x"] + x, box["y"] + y)
            wait(page, "window.sigae.picked !== null")

        click(3)
        page.click("#set-a")
        click(250)
        page.click("#set-b")
        page.click("#interpolate")
        page.wait_for_selector("#path .tile")
        page.click("#generate")
        page.wait_for_selector("#samples .tile")
        click(17)
        page.wait_for_selector("#neighbors .tile")
        page.locator("#z2").fill("1.8")
        time.sleep(0.5)
        page.screenshot(path=str(path), full_page=True)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--picture", type=Path)
    parser.add_argument("--signals", type=int, default=100_000)
    args = parser.parse_args()
    import machine
    from playwright.sync_api import sync_playwright

    import sigae

    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        train, test = sigae.datasets.oscillations(seed=0)
        model = sigae.SignalAutoencoder(sigae.ModelConfig(length=501, latent_dim=16), seed=0)
        model.fit(train, epochs=20, seed=0, verbose=0)
        model.save(directory / "model.sigae")
        many, _ = sigae.datasets.oscillations(n_signals=args.signals * 4 // 3 + 4, seed=1)
        np.save(directory / "many.npy", many[: args.signals])
        np.save(directory / "test.npy", test)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            result = {"page": measure(browser, directory / "model.sigae", directory / "many.npy"),
                      "widget": measure_widget(browser, directory / "model.sigae",
                                               directory / "many.npy"),
                      "widget_without_the_extension": measure_widget(
                          browser, directory / "model.sigae", directory / "many.npy",
                          extension=False)}
            if args.picture:
                picture(browser, directory / "model.sigae", directory / "test.npy", args.picture)
            browser.close()
    result["machine"] = machine.describe()
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
