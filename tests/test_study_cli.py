"""The study commands end to end: latent ..., generate, score and report."""

from __future__ import annotations

import csv
from html.parser import HTMLParser

import numpy as np
import pytest

import sigae
from sigae.cli import main
from sigae.io import load_signals
from sigae.study.report import SECTIONS


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def x_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("study") / "x.npy"
    np.save(path, data)
    return path


def test_latent_stats_writes_codes_with_their_index_and_statistics(capsys, model_file, x_file,
                                                                   trained, data, tmp_path):
    code, stdout, _ = run(capsys, "latent", "stats", model_file, x_file, "--out", tmp_path)
    assert code == 0
    assert "60 codes of 4 dimensions" in stdout
    codes = load_signals(tmp_path / "codes.csv")
    np.testing.assert_allclose(np.asarray(codes)[:, :, 0], trained.encode(data), rtol=1e-6)
    table = rows(tmp_path / "stats.csv")
    assert [float(r["share_of_variance"]) for r in table] == pytest.approx(
        list(sigae.study.latent.stats(trained.encode(data)).share), rel=1e-5)
    assert (tmp_path / "stats.png").read_bytes()[:4] == b"\x89PNG"


def test_latent_project_colours_by_a_label_column(capsys, model_file, x_file, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(60)))
    code, _, _ = run(capsys, "latent", "project", model_file, x_file, "--labels", labels,
                     "--color-by", "kind", "--out", tmp_path / "p")
    assert code == 0
    table = rows(tmp_path / "p" / "projection.csv")
    assert len(table) == 60
    assert {r["kind"] for r in table} == {"a", "b"}
    assert (tmp_path / "p" / "projection.png").exists()


def test_traverse_interpolate_and_neighbors_write_arrays_and_figures(capsys, model_file, x_file,
                                                                     tmp_path):
    for argv in (["traverse", model_file, "--dims", "0,2", "--steps", "5"],
                 ["traverse", model_file, x_file, "--index", "4"],
                 ["interpolate", model_file, x_file, "--from", "1", "--to", "2"],
                 ["neighbors", model_file, x_file, "--index", "0", "-k", "3"]):
        code, _, err = run(capsys, "latent", *argv, "--out", tmp_path)
        assert (code, err) == (0, "")
    traversal = np.load(tmp_path / "traversal.npz")
    assert traversal["signals"].shape[:2] == (4, 7)  # the later run: 4 dims by default
    assert np.load(tmp_path / "interpolation.npz")["signals"].shape == (8, 48, 1)
    assert [r["rank"] for r in rows(tmp_path / "neighbors.csv")] == ["1", "2", "3"]
    for name in ("traversal", "interpolation", "neighbors"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_generate_decodes_samples_and_flags_codes_outside(capsys, model_file, tmp_path):
    code, stdout, _ = run(capsys, "generate", model_file, "-n", 25, "--out", tmp_path / "g.h5",
                          "--codes", tmp_path / "codes.csv", "--seed", 1, "--sampler", "gmm")
    assert code == 0
    assert "generated 25 signals from the gmm density" in stdout
    assert load_signals(tmp_path / "g.h5").shape == (25, 48, 1)
    table = rows(tmp_path / "codes.csv")
    assert len(table) == 25
    assert set(table[0]) == {"z0", "z1", "z2", "z3", "log_density", "outside"}


def test_score_writes_errors_flags_and_a_summary(capsys, model_file, x_file, trained, data,
                                                 tmp_path):
    code, stdout, _ = run(capsys, "score", model_file, x_file, "--out", tmp_path / "s.csv",
                          "--plot", tmp_path / "s.png")
    assert code == 0
    table = rows(tmp_path / "s.csv")
    assert list(table[0]) == ["source_row", "source_start", "mse", "mae", "is_anomaly"]
    expected = sigae.study.latent.score(trained, data)
    np.testing.assert_allclose([float(r["mse"]) for r in table], expected.mse, rtol=1e-5)
    assert f"{int(expected.is_anomaly.sum())} of 60 signals are anomalies" in stdout
    code, stdout, _ = run(capsys, "score", model_file, x_file, "--out", tmp_path / "t.csv",
                          "--threshold", 0)
    assert "60 of 60 signals are anomalies" in stdout


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.sources = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        self.sources += [attrs[k] for k in ("src", "href") if k in attrs]


def test_the_report_has_every_section_and_needs_no_network(capsys, model_file, x_file,
                                                           tmp_path):
    np.save(tmp_path / "labels.npy", np.arange(len(np.load(x_file))) % 3)
    code, _, _ = run(capsys, "report", model_file, x_file, "--out", tmp_path / "r.html",
                     "--labels", tmp_path / "labels.npy")
    assert code == 0
    page = _Links()
    page.feed((tmp_path / "r.html").read_text())
    # every section but the dial's frontier, which --frontier asks for (tests/test_frontier.py),
    # and the units' quantities, which --factors asks for (tests/test_factors.py)
    assert page.ids == [s.lower().replace(" ", "-") for s in SECTIONS
                        if s not in ("Frontier of the dial", "Units and quantities")]
    assert page.sources
    assert all(s.startswith("data:image/png;base64,") for s in page.sources)


def test_without_labels_the_report_has_no_section_on_them(capsys, model_file, x_file, tmp_path):
    code, _, _ = run(capsys, "report", model_file, x_file, "--out", tmp_path / "r.html")
    assert code == 0
    page = _Links()
    page.feed((tmp_path / "r.html").read_text())
    assert page.ids == [s.lower().replace(" ", "-") for s in SECTIONS
                        if s not in ("Codes and labels", "Frontier of the dial",
                                     "Units and quantities")]


@pytest.mark.parametrize(("argv", "message"), [
    (["latent", "neighbors", "{model}", "{x}", "--index", "60", "--out", "{d}"],
     "--index 60 is out of range: "),
    (["latent", "project", "{model}", "{x}", "--labels", "{d}/short.csv", "--out", "{d}"],
     "short.csv: has 2 label rows below its header line ('label') but the data has 60 signals"),
    (["latent", "traverse", "{model}", "--dims", "9", "--out", "{d}"],
     "dims must lie in 0..3; received 9"),
    (["latent", "stats", "{model}", "{x}", "--out", "{x}"], "exists and is not a directory"),
    (["generate", "{model}", "-n", "3", "--sampler", "prior", "--out", "{d}/g.npy"],
     "this model is not variational"),
    (["report", "{model}", "{x}", "--out", "{d}/r.pdf"], "output must end in .html"),
    (["score", "{model}", "{x}", "--out", "{d}/s.csv", "--percentile", "101"],
     "expected a number in [0, 100]"),
])
def test_study_commands_refuse_bad_input_in_one_line(capsys, model_file, x_file, tmp_path,
                                                     argv, message):
    (tmp_path / "short.csv").write_text("label\n1\n2\n")
    argv = [a.format(model=model_file, x=x_file, d=tmp_path) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
