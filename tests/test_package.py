"""sigae is a published Python package: what it ships, how it is found, what it promises."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

import sigae

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path | None = None, timeout: int = 300) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The sdist and the wheel built from it (`python -m build`, without network), from a
    copy of the project so the working tree gets no build folders."""
    tmp = tmp_path_factory.mktemp("package")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "site", "build", "dist", "*.egg-info", "__pycache__", ".*cache",
        "sigae-demo", "out"))
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", tmp / "dist", source)
    return tmp / "dist"


def test_the_wheel_and_the_sdist_pass_twine_check(built):
    assert run(sys.executable, "-m", "twine", "check", "--strict", *sorted(built.iterdir()))


def test_the_wheel_carries_the_license_the_types_the_static_files_and_the_jupyter_config(built):
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read("sigae-0.1.0.dist-info/METADATA").decode()
    for expected in ("sigae/py.typed", "sigae/explore/static/explorer.js",
                     "sigae/explore/static/explore.html", "sigae/explore/static/explorer.css",
                     "sigae-0.1.0.dist-info/licenses/LICENSE",
                     "sigae-0.1.0.data/data/etc/jupyter/jupyter_server_config.d/sigae.json"):
        assert expected in names
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert f"Version: {sigae.__version__}" in metadata


def test_the_sdist_carries_what_builds_the_wheel(built):
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "jupyter-config/sigae.json",
            "src/sigae/py.typed", "src/sigae/explore/static/explorer.js"} <= names


def test_a_clean_environment_imports_the_installed_wheel(built, tmp_path):
    (wheel,) = built.glob("*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)
    # sigae's dependencies from this environment, but not its editable sigae: a path in a
    # .pth file is added to sys.path without processing the .pth files found there.
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    Path(site.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = ("import importlib.resources as r, sigae, sigae.explore; print(sigae.__file__); "
            "print(r.files('sigae.explore').joinpath('static/explorer.js').is_file()); "
            "print(sigae.ModelConfig(length=64, latent_dim=4).latent_dim)")
    printed = run(python, "-c", code, cwd=tmp_path).split()
    assert Path(printed[0]).is_relative_to(venv), "sigae came from outside the clean venv"
    assert printed[1:] == ["True", "4"]
    assert run(venv / "bin" / "sigae", "--version").strip() == f"sigae {sigae.__version__}"
    config = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "sigae.json"
    assert json.loads(config.read_text()) == json.loads(
        (ROOT / "jupyter-config" / "sigae.json").read_text())


def test_the_version_is_written_once_and_cited_and_logged():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == sigae.__version__
    assert citation["license"] == "MIT"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog
    assert f"## {sigae.__version__} - " in changelog
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_pre_commit_runs_what_the_suite_runs():
    hooks = [hook for repo in yaml.safe_load(
        (ROOT / ".pre-commit-config.yaml").read_text())["repos"] for hook in repo["hooks"]]
    entries = {hook["entry"].split()[0] for hook in hooks}
    assert entries == {"ruff", "mypy", "lint-imports"}


def test_the_tools_caches_are_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    for cache in (".grimp_cache/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/",
                  ".hypothesis/"):
        assert cache in ignored


def test_ruff_finds_nothing():
    run(sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks", cwd=ROOT)


# -- the rough edges of a new user ------------------------------------------------------


def test_the_subpackages_are_attributes_of_sigae_after_import_sigae():
    code = ("import sys, sigae; print('numpy' in sys.modules); "
            "print(callable(sigae.io.recordings), callable(sigae.data.datasets.oscillations), "
            "callable(sigae.study.latent.stats), 'io' in dir(sigae))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.split() == ["False", "True", "True", "True", "True"]


def test_an_unknown_attribute_of_sigae_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sigae.nope


def test_a_list_of_recordings_of_different_lengths_gets_one_line_naming_recordings():
    from sigae.data.checks import check_signals

    config = sigae.ModelConfig(length=64, latent_dim=4)
    ragged = [np.zeros(64), np.zeros(50), np.zeros(64)]
    with pytest.raises(sigae.DataError, match=r"different shapes \(\(50,\) to \(64,\)\).*"
                       r"sigae\.io\.recordings\(x, lengths='resample' or 'pad'"):
        check_signals(ragged, config)
    # a list of equal recordings is still one array of signals
    assert check_signals([np.zeros(64)] * 3, config).shape == (3, 64, 1)
    with pytest.raises(sigae.DataError, match=r"sigae\.io\.recordings"):
        sigae.SignalAutoencoder(config, seed=0).fit(ragged, epochs=1, verbose=0)
