"""The shell blocks of README.md and the docs, run as written (a small runner: prysk runs
cram files and pytest-examples Python blocks; neither reads a page's console blocks).

- A `bash` block is a list of commands (a line ending in `\\` goes on), each run by bash
  in the page's sandbox; each must exit 0 and print no warning.
- A `console` block holds `$ COMMAND` lines, each followed by the lines it promises; each
  promised line must appear in what the command prints (stdout and stderr), and a command
  that promises `sigae: error: ...` must exit 2 with it, anything else exit 0.
- A command that runs until stopped (`SERVES`) must print its line, then stop cleanly on
  Ctrl-C.
- `NOT_RUN` names the few commands the suite cannot run, each with why.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(bash|console)\n(.*?)^```", re.S | re.M)

NOT_RUN = {
    "./dev test": "the suite itself: CI runs it through .ci/run (tests/test_package.py checks "
                  ".ci/run runs exactly README's test command)",
    ".venv/bin/pip install torch==2.13.0": "installs PyTorch (a CPU wheel of about 200 MB), "
                                           "which sigae does not need",
    "KERAS_BACKEND=torch .venv/bin/python -m pytest": "runs the whole suite again on "
                                                       "Keras-on-PyTorch",
}
SERVES = {"sigae explore": "(Ctrl-C to stop)"}
"""Commands that run until stopped, and the line that says they are ready."""


@dataclass(frozen=True)
class Command:
    """One command of a page: where it is, what it runs, what it promises."""

    page: Path
    line: int
    text: str
    promised: tuple[str, ...] = ()

    @property
    def fails(self) -> bool:
        """Whether the page shows it refused (its promise is an error line)."""
        return any(line.startswith("sigae: error:") for line in self.promised)

    def __str__(self) -> str:
        return f"{self.page.name}:{self.line}: {self.text}"


def commands(page: Path) -> list[Command]:
    """The commands of the page's `bash` and `console` blocks, in order."""
    text = page.read_text("utf-8")
    found = []
    for match in FENCE.finditer(text):
        first = text.count("\n", 0, match.start(2)) + 1
        body = match.group(2).splitlines()
        read = _console if match.group(1) == "console" else _bash
        found += read(page, first, body)
    return found


def _bash(page: Path, first: int, body: list[str]) -> list[Command]:
    found, pending, start = [], "", first
    for number, line in enumerate(body, start=first):
        if not pending:
            start = number
        pending += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") \
            else line
        if not line.rstrip().endswith("\\"):
            if pending.strip():
                found.append(Command(page, start, " ".join(pending.split())))
            pending = ""
    return found


def _console(page: Path, first: int, body: list[str]) -> list[Command]:
    found: list[Command] = []
    for number, line in enumerate(body, start=first):
        if line.startswith("$ "):
            found.append(Command(page, number, line[2:].strip()))
        elif line.strip() and found:
            last = found[-1]
            found[-1] = Command(last.page, last.line, last.text,
                                (*last.promised, line.strip()))
    return found


def skipped(command: Command) -> str | None:
    """Why the suite does not run `command`, or `None`."""
    bare = command.text.split("  #")[0].split(" # ")[0].strip()
    return NOT_RUN.get(bare)


def run(command: Command, sandbox: Path, env: dict[str, str], timeout: float = 300
        ) -> str | None:
    """Runs `command` in `sandbox`; what went wrong, or `None` when it kept its promises."""
    serving = next((ready for name, ready in SERVES.items() if name in command.text), None)
    if serving is not None:
        return _serve(command, sandbox, env, serving, timeout)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command.text], cwd=sandbox, env=env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return _judged(command, done.returncode, done.stdout + done.stderr)


def _judged(command: Command, code: int, output: str) -> str | None:
    expected = 2 if command.fails else 0
    if code != expected:
        return f"{command}: exit {code}, expected {expected}:\n{output[-3000:]}"
    shown = [line.strip() for line in output.splitlines()]
    for line in command.promised:
        if not any(line in said for said in shown):
            return f"{command}: does not print {line!r}; it printed:\n{output[-3000:]}"
    warned = [line for line in shown if ("WARNING" in line or "warning:" in line)
              and line not in command.promised]
    if warned:
        return f"{command}: warns: {warned[0]}"
    return None


def _serve(command: Command, sandbox: Path, env: dict[str, str], ready: str,
           timeout: float) -> str | None:
    """Starts a command that serves, waits for its `ready` line, then presses Ctrl-C."""
    process = subprocess.Popen(["bash", "-c", f"exec {command.text}"], cwd=sandbox, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if ready in line:
            process.send_signal(signal.SIGINT)
            break
    else:
        process.kill()
    try:
        rest, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return f"{command}: did not stop on Ctrl-C"
    output = "".join(lines) + (rest or "")
    if not any(ready in line for line in lines):
        return f"{command}: never said {ready!r}:\n{output[-3000:]}"
    if process.returncode not in (0, 128 + signal.SIGINT):
        return f"{command}: exit {process.returncode} on Ctrl-C:\n{output[-3000:]}"
    return _judged(Command(command.page, command.line, command.text, command.promised), 0,
                   output)


def environment(venv: Path) -> dict[str, str]:
    """The environment a reader has after `./dev`: the project's venv first on the PATH;
    no browser opens (`BROWSER=true`), plots need no display."""
    return {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "BROWSER": "true", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
