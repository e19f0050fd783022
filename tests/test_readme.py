"""Every console example in README.md and docs/*.md prints what the text shows, so the two cannot drift.

A ```console block is a session. Each `$ ` line is a command, run in a fresh folder that holds a
copy of the repository's docs/ (as a clone does), with COLUMNS=100 and NO_COLOR=1 (a plain
`gradcli ARGS` in-process through the entry point, anything else by bash); the
lines after it, up to the next `$ ` or the end of the block, are what a terminal shows (stdout
and stderr together, in the order they were written). A block's commands run in order in one
folder, so files that one writes, later ones read. A `$ cat FILE` before the block's first other
command shows an input the block uses: the test writes FILE with the lines shown.

In the shown output `...` on a line of its own stands for any lines, and inside a line for any
text. A shown `error: ` line (or a `FAIL`, as check and audit print) means a non-zero exit code, and
its absence zero. Trailing spaces and
trailing blank lines are not compared, and the fresh folder's path is written `/tmp/demo`.

Examples whose output is not the same on every run, or that need a tool or a moment of their
own, are in SPECIAL below, by the start of their command, each with its reason and what is
checked. Any other example is compared exactly, so a new ```console block needs no change here.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import needs_dot, run_cli

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHOWN_FOLDER = "/tmp/demo"
TIMEOUT = 120


@dataclass(frozen=True)
class Special:
    """How an example that cannot be compared byte for byte is run and checked."""

    reason: str
    masks: tuple[str, ...] = ()  # regexes of what varies, replaced alike in the shown and the real output
    interrupt_after_cpu: float | None = None  # send Ctrl-C (SIGINT) once gradcli has used this much CPU time (s)
    hide_dot: bool = False  # run with Graphviz's dot hidden from PATH (the example shows a machine without it)
    hide_modules: tuple[str, ...] = ()  # Python packages made unimportable (the example shows a machine without them)
    needs: tuple[str, ...] = ()  # programs the example runs besides gradcli; without one it is skipped, saying so
    slow: bool = False


SPECIAL: dict[str, Special] = {
    'gradcli graph "L=(a*b+c)*f" --a 2 --b -3 --c 10 --f -2 --out seed.pdf': Special(
        "shows the error of a machine without Graphviz and without the pdf extra: run with dot hidden from PATH"
        " and svglib unimportable; compared exactly",
        hide_dot=True,
        hide_modules=("svglib",),
    ),
    "gradcli eval ": Special(
        "eval --data ends with the time it took and its rate: those are masked, the rest compared exactly",
        masks=(r"in \d+\.\d\d s \([\d,]+ rows/s\)",),
    ),
    "gradcli train --data moons ": Special("trains for seconds and draws with matplotlib; compared exactly", slow=True),
    "gradcli audit ": Special("runs the class in child processes for seconds; compared exactly", slow=True),
    "gradcli train --hidden ": Special(
        "the refusal names this machine's memory: that is masked, the rest compared exactly",
        masks=(r"this machine's [\d.,]+ [KMGT]?B",),
    ),
    "gradcli train --steps 100000": Special(
        "shows Ctrl-C during training: sent once gradcli has used 3 s of CPU time (well into training, on a slow machine or a fast one), so the step it lands on varies. The step count, the"
        " table's rows and the final accuracy are masked; the header, the layout, the error line and the exit"
        " code are compared",
        masks=(r"\d+ steps", r"after step \d+", r"(?:^ *\d+ +\d+\.\d+ +\d+\.\d%\n)+", r"\d+\.\d% \(\d+ of"),
        interrupt_after_cpu=3.0,
        slow=True,
    ),
}


@dataclass
class Example:
    document: Path
    line: int  # of the `$ ` line, 1-based
    command: str
    shown: list[str]
    block: int  # line of the block's opening fence
    index: int  # position in its block
    fixture: bool = False  # a `$ cat FILE` that shows an input: FILE is written with `shown`
    special: Special | None = field(default=None)

    @property
    def id(self) -> str:
        name = self.document.relative_to(ROOT)
        return f"{name}:{self.line}: {self.command[:70]}"


def special_for(command: str) -> Special | None:
    matches = [prefix for prefix in SPECIAL if command.startswith(prefix)]
    return SPECIAL[max(matches, key=len)] if matches else None


def examples_of(document: Path) -> list[Example]:
    examples: list[Example] = []
    block: list[Example] | None = None
    fence = 0
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1):
        if block is None:
            if line.strip() == "```console":
                block, fence = [], number
            continue
        if line.strip() == "```":
            examples += block
            block = None
        elif line.startswith("$ "):
            command = line[2:].strip()
            before_others = all(example.fixture for example in block)
            fixture = before_others and re.fullmatch(r"cat [\w.-]+", command) is not None
            block.append(Example(document, number, command, [], fence, len(block), fixture, special_for(command)))
        elif block:
            block[-1].shown.append(line)
        else:
            raise AssertionError(f"{document.name}:{number}: a console block's output before any `$ ` command")
    assert block is None, f"{document.name}:{fence}: a console block that is never closed"
    return examples


EXAMPLES = [example for document in DOCUMENTS for example in examples_of(document)]


def test_every_special_entry_names_an_example():
    """An entry of SPECIAL that no example starts with is stale (the README changed): it must go."""
    unused = [prefix for prefix in SPECIAL if not any(e.command.startswith(prefix) for e in EXAMPLES)]
    assert not unused


def needs(example: Example) -> tuple[str, ...]:
    """The programs an example needs: its entry's, and Graphviz's dot for a PNG or PDF of the graph."""
    special = example.special or Special("")
    dot = re.search(r"^gradcli graph .*\.(png|pdf)\b|--graph \S+\.(png|pdf)\b", example.command)
    return special.needs + (("dot",) if dot and not special.hide_dot else ())


def missing(example: Example) -> list[str]:
    return [tool for tool in needs(example) if shutil.which(tool) is None]


def path_without_dot(folder: Path) -> str:
    """PATH with every folder holding a `dot` replaced by a folder of links to all the rest."""
    parts = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and (Path(entry) / "dot").exists():
            copy = folder / f"path{len(parts)}"
            copy.mkdir()
            for item in Path(entry).iterdir():
                if item.name != "dot":
                    (copy / item.name).symlink_to(item)
            parts.append(str(copy))
        else:
            parts.append(entry)
    return os.pathsep.join(parts)


def environment(folder: Path, special: Special | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADCLI_")}
    scripts = str(Path(sys.executable).parent)  # gradcli's console script, beside the Python that runs the tests
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    if special and special.hide_modules:
        hidden = folder.parent / "hidden-modules"
        for name in special.hide_modules:
            (hidden / name).mkdir(parents=True, exist_ok=True)
            (hidden / name / "__init__.py").write_text(f"raise ImportError('{name} is hidden by the README test')\n")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hidden), env.get("PYTHONPATH")]))
    if special and special.hide_dot:
        env["PATH"] = scripts + os.pathsep + path_without_dot(folder.parent)
    env |= {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    return env


@dataclass
class Ran:
    code: int
    output: str


def plain_arguments(example: Example) -> list[str] | None:
    """A `gradcli ARGS` command that bash would pass on as shlex splits it (no $, redirect, pipe, list): ARGS."""
    special = example.special
    if (
        special
        and (special.interrupt_after_cpu is not None or special.hide_dot or special.hide_modules)
        or re.search(r"[$`\\]", example.command)
    ):
        return None
    lexer = shlex.shlex(example.command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    if words[0] != "gradcli" or any(word.strip("();<>|&") == "" for word in words):
        return None
    return words[1:]


def run(example: Example, folder: Path) -> Ran:
    """Run one command in folder as a terminal would show it: stdout and stderr in the order written.

    A plain `gradcli ARGS` runs in-process, through the entry point as the console script does (a
    process start per example would double the suite's time); anything else runs in bash."""
    if example.fixture:
        (folder / example.command.split()[1]).write_text("".join(line + "\n" for line in example.shown))
    arguments = plain_arguments(example)
    if arguments is not None:
        with contextlib.chdir(folder):
            result = run_cli(*arguments)
        return Ran(result.exit_code, result.output.replace(str(folder), SHOWN_FOLDER))
    special = example.special
    process = subprocess.Popen(
        ["bash", "-c", example.command],
        cwd=folder,
        env=environment(folder, special),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if special and special.interrupt_after_cpu is not None:
            _wait_for_cpu(process, special.interrupt_after_cpu)
            os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = output.decode("utf-8", errors="replace").replace(str(folder), SHOWN_FOLDER)
    return Ran(process.returncode, text)


def _wait_for_cpu(process: subprocess.Popen, seconds: float) -> None:
    """Wait until the process (bash execs the one command it runs) has used `seconds` of CPU time, or
    has ended: a moment that does not depend on how fast or busy the machine is."""
    ticks = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return
        if (int(fields[11]) + int(fields[12])) / ticks >= seconds:  # utime + stime
            return
        time.sleep(0.05)


_folders: dict[tuple[Path, int], tuple[Path, list[Ran | None]]] = {}


def ran(example: Example, tmp_path_factory) -> Ran | None:
    """The example's run, after the commands before it in its block (each block runs once, in order)."""
    key = (example.document, example.block)
    if key not in _folders:
        folder = tmp_path_factory.mktemp("readme") / "demo"
        shutil.copytree(ROOT / "docs", folder / "docs")
        _folders[key] = (folder, [])
    folder, results = _folders[key]
    block = [e for e in EXAMPLES if (e.document, e.block) == key]
    for earlier in block[len(results) : example.index + 1]:
        results.append(None if missing(earlier) else run(earlier, folder))
    return results[example.index]


def masked(text: str, special: Special | None) -> str:
    for mask in special.masks if special else ():
        text = re.sub(mask, "<varies>", text, flags=re.MULTILINE)
    return text


def pattern(shown: str) -> re.Pattern:
    """The shown output as a regex: `...` alone on a line is any lines, inside a line any text."""
    parts = []
    for line in shown.splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(piece) for piece in line.split("...")) + r"\n")
    return re.compile("".join(parts))


def tidy(text: str) -> str:
    return "".join(line.rstrip() + "\n" for line in text.rstrip().splitlines())


def marks(example: Example) -> list:
    special = example.special
    return [pytest.mark.slow] * bool(special and special.slow) + [needs_dot] * ("dot" in needs(example))


@pytest.mark.parametrize("example", [pytest.param(e, id=e.id, marks=marks(e)) for e in EXAMPLES if not e.fixture])
def test_example_prints_what_the_text_shows(example: Example, tmp_path_factory):
    special = example.special
    result = ran(example, tmp_path_factory)
    if result is None:
        pytest.skip(f"needs {', '.join(missing(example))}, which is not installed")
    why = f" ({special.reason})" if special else ""
    shown = tidy(masked("\n".join(example.shown), special))
    got = tidy(masked(result.output, special))
    if "..." in shown:
        assert pattern(shown).fullmatch(got), f"shown (... is any text){why}:\n{shown}\ngot:\n{got}"
    else:
        assert got == shown, f"README differs from the program's output{why}"
    fails = any(line.startswith("error: ") or re.search(r"\bFAIL\b", line) for line in shown.splitlines())
    assert (result.code != 0) == fails, f"exit code {result.code}, output:\n{result.output}"
