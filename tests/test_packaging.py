"""What the repository promises: dependency floors that have what the code uses, documentation
that stays inside the repository, and a README whose first picture works after `pip install`."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import lark

from helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]


def floor(requirement: str) -> tuple[int, ...]:
    """`lark>=1.3.0` -> (1, 3, 0)."""
    return tuple(int(part) for part in re.search(r">=\s*([\d.]+)", requirement).group(1).split("."))


def test_the_lark_floor_has_the_text_slices_the_lexer_takes():
    # parser._Lexer uses lark's second lexer interface, whose text is a lark.TextSlice: lark 1.3.0
    # added both (1.2.2 hands the lexer a str, and parsing fails), as a scratch install of each shows.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (requirement,) = [d for d in dependencies if re.match(r"lark\b", d)]
    assert floor(requirement) >= (1, 3, 0)
    assert hasattr(lark, "TextSlice")


#: Words that point at documents kept outside this repository.
ELSEWHERE = re.compile(r"\bSPEC\b|\bSPEC's|\bDESIGN\.md\b|\bshared/|\bissue \d+")


def test_nothing_refers_to_documents_outside_the_repository():
    files = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("src/**/*.py"), *ROOT.glob("grammar/*")]
    files += [p for p in ROOT.glob("tests/*.py") if p.name != Path(__file__).name]
    found = [f"{p.relative_to(ROOT)}: {m.group()}" for p in files for m in ELSEWHERE.finditer(p.read_text())]
    assert found == []


def test_every_link_in_the_documentation_leads_to_a_file_here():
    pages = [ROOT / "README.md", *ROOT.glob("docs/*.md")]
    links = [(page, target) for page in pages for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text())]
    missing = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page, target in links
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert links and missing == []


def test_the_readmes_first_picture_command_works_straight_after_pip_install(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    command = re.search(r"^gradcli graph .*--out (\S+)$", text, re.M)
    assert command and command.group(1).endswith(".svg")  # PNG would need Graphviz's dot
    args = shlex.split(command.group(0))[1:]
    args[-1] = str(tmp_path / Path(args[-1]).name)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no Graphviz, as on a fresh machine
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert Path(args[-1]).read_text().rstrip().endswith("</svg>")
