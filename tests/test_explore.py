"""`sigae explore`: its answers, its defences, and the page in a real browser."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from starlette.testclient import TestClient

from conftest import sigae_process, wait_until
from sigae.explore.server import MAX_BODY, create_app
from sigae.explore.session import ExploreSession
from sigae.io import Signals

ORIGIN = "http://127.0.0.1:8765"
TOKEN = "test-token"
HEADERS = {"X-Sigae-Token": TOKEN, "Origin": ORIGIN}


@pytest.fixture(scope="module")
def session(trained, data):
    return ExploreSession(trained, Signals.of(data), projection="pca")


@pytest.fixture(scope="module")
def client(session):
    return TestClient(create_app(session, token=TOKEN), base_url=ORIGIN)


def test_info_describes_the_model_and_the_sliders(client, trained):
    info = client.get("/api/info", headers=HEADERS).json()
    assert (info["length"], info["channels"], info["latent_dim"]) == (48, 1, 4)
    gaussian = trained.calibration.gaussian
    np.testing.assert_allclose(info["mean"], gaussian.means[0])
    np.testing.assert_allclose(info["std"], np.sqrt(np.diag(gaussian.covariances[0])))
    assert info["n_signals"] == 60
    assert info["samplers"] == ["gaussian", "gmm"]


def test_decoded_curves_equal_the_models_decoder(client, trained):
    code = [0.3, -1.2, 0.5, 2.0]
    answer = client.post("/api/decode", json={"code": code}, headers=HEADERS).json()
    expected = trained.decode(np.asarray([code], "float32"))[0]
    assert np.array_equal(np.asarray(answer["signal"], "float32").T, expected)
    density = trained.calibration.gaussian
    assert answer["outside"] == bool(density.log_density(np.asarray([code]))[0] < density.floor)


def test_a_far_code_is_flagged_outside(client):
    answer = client.post("/api/decode", json={"code": [50.0] * 4}, headers=HEADERS).json()
    assert answer["outside"] is True


def test_the_map_has_a_point_per_signal_coloured_by_score(client, session):
    answer = client.get("/api/map", headers=HEADERS).json()
    assert len(answer["x"]) == len(answer["y"]) == len(answer["colour"]) == 60
    assert answer["colour_name"] == "anomaly score (MSE)"
    np.testing.assert_allclose(answer["colour"], session.data.scores, rtol=1e-6)


def test_a_signal_comes_with_its_reconstruction_and_score(client, session, trained, data):
    answer = client.get("/api/signal?index=7", headers=HEADERS).json()
    assert np.array_equal(np.asarray(answer["signal"], "float32").T, data[7])
    assert np.array_equal(np.asarray(answer["reconstruction"], "float32").T,
                          trained.decode(session.data.codes[7:8])[0])
    np.testing.assert_allclose(answer["code"], trained.encode(data)[7], rtol=1e-5, atol=1e-6)
    assert answer["score"] == pytest.approx(session.data.scores[7])


def test_neighbours_interpolation_and_generation(client, trained, data):
    near = client.get("/api/neighbors?index=0&k=3", headers=HEADERS).json()["neighbors"]
    codes = trained.encode(data)
    distances = np.linalg.norm(codes - codes[0], axis=1)
    assert [n["index"] for n in near] == list(np.argsort(distances)[1:4])
    path = client.post("/api/interpolate", json={"from": 2, "to": 5, "steps": 4,
                                                 "method": "slerp"}, headers=HEADERS).json()
    assert len(path["signals"]) == 4
    assert path["codes"][0] == pytest.approx(codes[2].tolist(), rel=1e-5)
    samples = client.post("/api/generate", json={"n": 3, "seed": 1}, headers=HEADERS).json()
    assert len(samples["samples"]) == 3
    assert all(isinstance(s["outside"], bool) for s in samples["samples"])


def test_the_page_is_one_file_with_nothing_from_the_network(client):
    response = client.get(f"/?token={TOKEN}")
    assert response.status_code == 200
    page = response.text
    assert "<script>" in page
    assert not re.search(r"""(src|href)=["']?https?://""", page)
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(("path", "method"), [("/", "get"), ("/api/info", "get"),
                                              ("/api/map", "get"), ("/api/decode", "post")])
def test_every_request_needs_the_token(client, path, method):
    response = getattr(client, method)(path, headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert "token" in response.json()["error"]
    wrong = getattr(client, method)(path, headers={**HEADERS, "X-Sigae-Token": "guess"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("host", ["evil.example", "attacker.com:8765", "127.0.0.2:8765"])
def test_a_foreign_host_header_is_refused(client, host):
    response = client.get("/api/info", headers={**HEADERS, "Host": host})
    assert response.status_code == 403
    assert "is not this server's address" in response.json()["error"]


@pytest.mark.parametrize("host", ["localhost:8765", "127.0.0.1:8765", "[::1]:8765"])
def test_loopback_host_headers_are_accepted(client, host):
    assert client.get("/api/info", headers={**HEADERS, "Host": host}).status_code == 200


@pytest.mark.parametrize("origin", [None, "http://evil.example", "null"])
def test_requests_with_a_body_must_come_from_the_page(client, origin):
    headers = {"X-Sigae-Token": TOKEN} | ({"Origin": origin} if origin else {})
    response = client.post("/api/decode", json={"code": [0, 0, 0, 0]}, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/decode", {"code": [0, 0]}, "code must be a list of 4 finite numbers"),
        ("/api/decode", {"code": [0, "a", 0, 0]}, "code must be a list of 4 finite numbers"),
        ("/api/decode", {"code": None}, "code must be a list of 4 finite numbers"),
        ("/api/decode", '{"code": [NaN, 0, 0, 0]}', "NaN is not a number sigae accepts"),
        ("/api/decode", '{"code": [Infinity, 0, 0, 0]}', "Infinity is not a number sigae"),
        ("/api/decode", "not json", "the request body is not JSON"),
        ("/api/decode", "[1, 2]", "the request body must be a JSON object"),
        ("/api/interpolate", {"from": 0, "to": 99}, "index must be an integer in 0..59"),
        ("/api/interpolate", {"from": 0, "to": 1, "steps": 1000}, "steps must be in [2, 64]"),
        ("/api/interpolate", {"from": 0, "to": 1, "method": "cubic"}, "method must be one of"),
        ("/api/generate", {"n": 0}, "n must be in [1, 64]"),
        ("/api/generate", {"sampler": "prior"}, "sampler must be one of 'gaussian', 'gmm'"),
    ],
)
def test_bad_requests_get_400_and_a_message(client, path, body, message):
    if isinstance(body, str):
        response = client.post(path, content=body, headers={**HEADERS,
                                                             "Content-Type": "application/json"})
    else:
        response = client.post(path, json=body, headers=HEADERS)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert client.get("/api/info", headers=HEADERS).status_code == 200  # still serving


@pytest.mark.parametrize(("query", "message"), [("index=-1", "index must be an integer in 0..59"),
                                                ("index=x", "index must be an integer"),
                                                ("", "the parameter index is missing")])
def test_bad_queries_get_400(client, query, message):
    response = client.get(f"/api/signal?{query}", headers=HEADERS)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_large_body_is_refused(client):
    body = json.dumps({"code": [0.0] * (MAX_BODY // 4)})
    response = client.post("/api/decode", content=body,
                           headers={**HEADERS, "Content-Type": "application/json"})
    assert response.status_code == 413


def test_without_data_the_sliders_and_generation_still_work(trained):
    client = TestClient(create_app(ExploreSession(trained), token=TOKEN), base_url=ORIGIN)
    assert client.get("/api/info", headers=HEADERS).json()["n_signals"] == 0
    assert client.post("/api/decode", json={"code": [0] * 4}, headers=HEADERS).status_code == 200
    assert client.post("/api/generate", json={"n": 2}, headers=HEADERS).status_code == 200
    response = client.get("/api/map", headers=HEADERS)
    assert response.status_code == 400
    assert "started without DATA" in response.json()["error"]


# -- the command ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_explorer(model_file, data_file, *extra):
    process = sigae_process("explore", model_file, data_file, "--port", "0", "--no-browser",
                            *extra)
    line = process.stdout.readline()
    found = re.search(r"(http://\S+)", line)
    if not found:
        process.kill()
        raise AssertionError(line + process.stderr.read())
    return process, found.group(1)


def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return out, err


@pytest.fixture(scope="module")
def data_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("explore") / "x.npy"
    np.save(path, data)
    return path


def test_the_command_serves_until_ctrl_c(model_file, data_file):
    process, url = start_explorer(model_file, data_file)
    import urllib.request

    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
    out, err = stop(process)
    assert process.returncode == 0, err
    assert "sigae explore: stopped" in out
    assert "Traceback" not in err


def test_a_port_in_use_is_one_line(capsys, model_file):
    from sigae.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code = main(["explore", str(model_file), "--port", str(port), "--no-browser"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"sigae: error: cannot listen on 127.0.0.1:{port}: address already in use (errno 98); "
        "choose another --port (0 picks a free one)"]


# -- in a real browser ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page(browser, model_file, data_file):
    process, url = start_explorer(model_file, data_file)
    origin = url.split("/?")[0]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:  # the network is blocked: the page must need nothing from it
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.goto(url)
    wait_until(tab, "window.sigae && window.sigae.ready === true")
    yield tab, outside
    context.close()
    stop(process)


def drawn(tab):
    return tab.evaluate("[window.sigae.drawn, window.sigae.code, "
                        "document.getElementById('plot').toDataURL()]")


def test_the_page_loads_with_the_network_blocked(page):
    tab, outside = page
    assert outside == []
    assert tab.locator("#sliders input[type=range]").count() == 4
    assert tab.locator("#data-panels").is_visible()


def test_moving_a_slider_redraws_the_decoders_curve(page, trained):
    tab, _ = page
    before, _, picture = drawn(tab)
    count = tab.evaluate("window.sigae.latencies.length")
    tab.locator("#z1").fill("2.5")
    wait_until(tab, f"window.sigae.latencies.length > {count}")
    after, code, new_picture = drawn(tab)
    assert after != before
    assert new_picture != picture  # the canvas itself changed
    expected = trained.decode(np.asarray([code], "float32"))[0]
    assert np.array_equal(np.asarray(after, "float32").T, expected)
    std = tab.evaluate("window.sigae.info.std[1]")
    mean = tab.evaluate("window.sigae.info.mean[1]")
    assert code[1] == pytest.approx(mean + 2.5 * std, rel=1e-6)


def click_point(tab, index):
    box = tab.locator("#map").bounding_box()
    x, y = tab.evaluate(f"[window.sigae.map.px[{index}], window.sigae.map.py[{index}]]")
    tab.mouse.click(box["x"] + x, box["y"] + y)
    wait_until(tab, "window.sigae.picked !== null")


def test_clicking_a_point_shows_its_signal_and_reconstruction(page, trained, data):
    tab, _ = page
    click_point(tab, 10)
    picked = tab.evaluate("window.sigae.picked")
    i = picked["index"]
    assert np.array_equal(np.asarray(picked["signal"], "float32").T, data[i])
    np.testing.assert_allclose(np.asarray(picked["reconstruction"], "float32").T,
                               trained.reconstruct(data)[i], rtol=1e-5, atol=1e-5)
    assert tab.evaluate("window.sigae.drawn") == picked["reconstruction"]
    assert "Picked signal" in tab.inner_text("#picked")
    assert "its reconstruction" in tab.inner_text("#legend")
    tab.wait_for_selector("#neighbors .tile")
    assert tab.locator("#neighbors .tile").count() == 6


def test_two_picked_points_give_an_interpolation_strip(page):
    tab, _ = page
    click_point(tab, 3)
    tab.click("#set-a")
    tab.evaluate("window.sigae.picked = null")
    click_point(tab, 40)
    tab.click("#set-b")
    tab.fill("#steps", "5")
    tab.click("#interpolate")
    tab.wait_for_selector("#path .tile")
    assert tab.locator("#path .tile").count() == 5
    assert tab.locator("#path-panel").is_visible()


def test_hovering_a_slider_names_the_quantity_it_moves(browser, model_file, data_file,
                                                       tmp_path):
    from sigae.io.write import write_table

    rng = np.random.default_rng(0)  # the frequencies and phases conftest's sines were made of
    frequency, phase = rng.uniform(1.0, 4.0, 60), rng.uniform(0.0, 2 * np.pi, 60)
    write_table(tmp_path / "f.csv", {"frequency": frequency, "phase": phase})
    process, url = start_explorer(model_file, data_file, "--factors", tmp_path / "f.csv",
                                  "--circular", "phase")
    try:
        tab = browser.new_page()
        tab.goto(url)
        wait_until(tab, "window.sigae && window.sigae.ready === true")
        titles = tab.evaluate("[...document.querySelectorAll('#sliders .slider')]"
                              ".map(row => row.title)")
        units = tab.evaluate("window.sigae.info.units")
        tab.close()
    finally:
        stop(process)
    assert len(titles) == len(units) == 4
    for i, (title, unit) in enumerate(zip(titles, units, strict=True)):
        assert title == ("" if unit is None else f"z{i} moves the {unit}")
    assert any(re.fullmatch(r"(frequency|phase) \(\d+% of its importance\)", unit or "")
               for unit in units)
