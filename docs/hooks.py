"""mkdocs hooks: the pages made from other files when the site builds.

- `index.md` is README.md and `benchmarks.md` is benchmarks/README.md, their links
  rewritten to the site's pages (one text, two places);
- `cli.md` ends with the reference of every command, generated from sigae's own argparse
  parsers, so it cannot drift from `sigae COMMAND --help`;
- a page's links to benchmarks/README.md (right on GitHub) become links to benchmarks.md.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Links of the two READMEs, as the site's pages.
LINKS = {
    "index.md": [(r"\]\(docs/", "]("), (r"\]\(benchmarks/README\.md", "](benchmarks.md")],
    "benchmarks.md": [(r"\]\(\.\./README\.md", "](index.md"), (r"\]\(\.\./docs/", "](")],
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    name = page.file.src_uri
    if name == "index.md":
        return _rewritten((ROOT / "README.md").read_text("utf-8"), LINKS[name])
    if name == "benchmarks.md":
        return _rewritten((ROOT / "benchmarks" / "README.md").read_text("utf-8"), LINKS[name])
    if name == "cli.md":
        markdown += "\n" + command_reference()
    # A page links benchmarks/README.md where it lies in the repository (so the link works
    # on GitHub too); on the site that is the page benchmarks.md.
    up = "../" * name.count("/")
    return markdown.replace(f"]({up}../benchmarks/README.md", f"]({up}benchmarks.md")


def _rewritten(text: str, rules: list[tuple[str, str]]) -> str:
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def command_reference() -> str:
    """Every command's usage and options, from `sigae.cli.build_parser()`."""
    import os

    from sigae.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal's width: one width here
    parser = build_parser()
    lines = ["## Every command", ""]
    for name, sub in _commands(parser):
        lines += [f"### `sigae {name}`", "", sub.description or sub.format_usage(), "",
                  "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                if nested:
                    yield from _commands(sub, f"{prefix}{name} ")
                else:
                    yield f"{prefix}{name}", sub
