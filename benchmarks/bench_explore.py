"""The explorer's speed in headless Chromium, and its picture for the README.

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


MOVE = """(v) => { const s = document.getElementById('z0'); s.value = v;
  s.dispatchEvent(new Event('input')); }"""


def measure(browser, model: Path, data: Path) -> dict:
    process, url = start(model, data)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        started = time.perf_counter()
        page.goto(url)
        wait(page, "window.sigae && window.sigae.ready === true")
        ready = time.perf_counter() - started
        rng = np.random.default_rng(0)
        page.evaluate("window.sigae.latencies = []")
        for k in range(200):  # one after the other
            page.evaluate(MOVE, float(rng.uniform(-3, 3)))
            wait(page, f"window.sigae.latencies.length > {k}")
        one_by_one = page.evaluate("window.sigae.latencies")
        page.evaluate("window.sigae.latencies = []")
        for _ in range(200):  # a drag: 60 events a second
            page.evaluate(MOVE, float(rng.uniform(-3, 3)))
            time.sleep(1 / 60)
        time.sleep(0.5)
        drag = page.evaluate("window.sigae.latencies")
        box = page.locator("#map").bounding_box()
        hovers = []
        for _ in range(200):
            page.mouse.move(box["x"] + rng.uniform(10, box["width"] - 10),
                            box["y"] + rng.uniform(10, box["height"] - 10))
            hovers.append(page.evaluate("window.sigae.hoverLatency"))
        return {"page_ready_s": round(ready, 2), "slider_one_by_one": stats(one_by_one),
                "slider_drag_60hz": stats(drag), "drawn_of_200_drag_events": len(drag),
                "map_points": page.evaluate("window.sigae.map.x.length"),
                "map_draw_ms": round(page.evaluate("window.sigae.mapDrawMs"), 1),
                "hover": stats([h for h in hovers if h is not None])}
    finally:
        process.terminate()
        process.wait(timeout=30)


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
            result = measure(browser, directory / "model.sigae", directory / "many.npy")
            if args.picture:
                picture(browser, directory / "model.sigae", directory / "test.npy", args.picture)
            browser.close()
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
