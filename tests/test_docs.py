"""The documentation: the site builds strictly with its tutorials executed, and every Python
example of the README and the guides runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text("utf-8"), re.S | re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_jupyter")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def test_the_site_builds_strictly_with_its_tutorials_executed_and_their_plots(site):
    for tutorial in ("question_done_right", "latent_space", "unequal_lengths", "factors"):
        page = (site / "tutorials" / f"{tutorial}.html").read_text("utf-8")
        assert page.count("data:image/png") >= 1, tutorial  # the executed cells' plots
        assert "Traceback" not in page


def test_no_page_shows_markdown_escapes_literally(site):
    """A `\\|` inside a code span of a table renders as it is written: the pages say
    choices as {a,b} instead."""
    shown = [page.relative_to(site).as_posix() for page in sorted(site.rglob("*.html"))
             if "\\|" in page.read_text("utf-8")]
    assert shown == []


def test_the_front_page_is_the_readme_and_the_references_are_generated(site):
    index = (site / "index.html").read_text("utf-8")
    assert "The problem it solves." in index
    assert 'href="getting-started.html"' in index  # README's docs/ links, as site pages
    cli = (site / "cli.html").read_text("utf-8")
    from sigae.cli import build_parser

    for action in build_parser()._subparsers._group_actions:
        for name in action.choices:
            assert f"sigae {name}" in cli
    api = (site / "api.html").read_text("utf-8")
    for documented in ("SignalAutoencoder", "load_signals", "widget", "recordings"):
        assert documented in api


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_python_examples_run_as_written(page, tmp_path):
    """Each page's Python blocks, in order, in one fresh interpreter in an empty folder."""
    code = "\n".join(python_blocks(page))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_repeats_its_title_as_its_first_section(page):
    text = page.read_text("utf-8")
    title = re.search(r"^# (.+)$", text, re.M)
    first = re.search(r"^## (.+)$", text, re.M)
    if title and first:
        a, b = title.group(1).lower(), first.group(1).lower()
        assert not a.startswith(b), (title.group(1), first.group(1))
        assert not b.startswith(a), (title.group(1), first.group(1))


def test_the_command_line_page_points_to_pages_not_to_sections_it_does_not_have():
    """cli.md's one section is its table (the reference below it is generated): it says
    where things are with links, never "above" or "below"."""
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert re.findall(r"\b(above|below|next section)\b", text) == []
