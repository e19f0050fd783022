"""`explain --format latex` and `--format beamer`: explain's lines as LaTeX `align*` blocks, and the
printer that writes gradcli's expressions in LaTeX. The documents compile with pdflatex where a TeX
distribution is installed (Debian: texlive-latex-base, plus texlive-latex-recommended and
texlive-pictures for beamer); everywhere, their environments and braces are checked to match."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from gradcli.parser import parse
from gradcli.views.latex import expression, formula, name, text

SEED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")

SEED_LATEX = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\allowdisplaybreaks
\begin{document}

\section*{Forward pass}
\begin{align*}
  a &= 2 \\
  b &= -3 \\
  c &= 10 \\
  f &= -2 \\
  e &= a \cdot b = 2 \cdot -3 = -6 \\
  d &= e + c = -6 + 10 = 4 \\
  L &= d \cdot f = 4 \cdot -2 = -8
\end{align*}

\section*{Backward pass: the chain rule from $L$ back to the variables}
\begin{align*}
  \frac{\partial L}{\partial L} &= 1 \\
  \frac{\partial L}{\partial d} &= f = -2 \\
  \frac{\partial L}{\partial f} &= d = 4 \\
  \frac{\partial L}{\partial e} &= \frac{\partial L}{\partial d}\,\frac{\partial d}{\partial e} = -2 \cdot 1 = -2 \\
  \frac{\partial L}{\partial c} &= \frac{\partial L}{\partial d}\,\frac{\partial d}{\partial c} = -2 \cdot 1 = -2 \\
  \frac{\partial L}{\partial a} &= \frac{\partial L}{\partial e}\,\frac{\partial e}{\partial a} = -2 \cdot b = -2 \cdot -3 = 6 \\
  \frac{\partial L}{\partial b} &= \frac{\partial L}{\partial e}\,\frac{\partial e}{\partial b} = -2 \cdot a = -2 \cdot 2 = -4
\end{align*}

\end{document}
"""

#: Every op, a fan-out, a re-assigned name, a kink and a negative base: what the documents must carry.
EVERY_OP = (
    "c = a + b; c = c*c - a/b; k = relu(a - 1) + abs(b) + max(a, 1) + min(a, b); "
    "y = tanh(c) + sigmoid(a) + exp(-a) + log(b) + sqrt(b) + sin(a) + cos(b) + tan(a) + (-a)**2 + pow(b, a) + k"
)
EVERY_OP_BINDINGS = ("--a", "1", "--b", "2")


def explain(gradcli, *args):
    r = gradcli("explain", *args)
    assert (r.exit_code, r.stderr) == (0, ""), r.stderr
    return r.stdout


def balanced(document: str) -> None:
    """Every environment ends, in order, and every brace closes."""
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", document):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack.pop() == env
    assert stack == []
    depth = 0
    for k, ch in enumerate(document):
        if ch in "{}" and document[k - 1] != "\\":
            depth += 1 if ch == "{" else -1
            assert depth >= 0
    assert depth == 0


def test_seed_latex_exact(gradcli):
    assert explain(gradcli, *SEED, "--format", "latex") == SEED_LATEX


def test_seed_beamer_has_a_frame_per_backward_step(gradcli):
    document = explain(gradcli, *SEED, "--format", "beamer")
    balanced(document)
    titles = re.findall(r"\\begin\{frame\}(?:\[[^]]*\])?\{(.*)\}", document)
    assert titles == ["Forward pass"] + [
        f"Step {k} of 7: $\\partial L / \\partial {v}$" for k, v in enumerate("Ldfecab", 1)
    ]
    assert (
        "\\begin{frame}{Step 6 of 7: $\\partial L / \\partial a$}\n\\begin{align*}\n"
        "  \\frac{\\partial L}{\\partial a} &= \\frac{\\partial L}{\\partial e}\\,\\frac{\\partial e}{\\partial a}"
        " = -2 \\cdot b = -2 \\cdot -3 = 6\n\\end{align*}\n\\end{frame}\n"
    ) in document


def test_fan_out_frame_writes_each_path_and_the_sum(gradcli):
    document = explain(gradcli, "y = x*x + x", "--x", "3", "--format", "beamer")
    frame = document[document.index("Step 3 of 3") :]
    assert (
        "  \\frac{\\partial y}{\\partial x} \\; (\\text{via } t_{1}) &= "
        "\\frac{\\partial y}{\\partial t_{1}}\\,\\frac{\\partial t_{1}}{\\partial x} = 1 \\cdot \\left(x + x\\right)"
        " = 1 \\cdot \\left(3 + 3\\right) \\\\\n  & = 1 \\cdot 6 = 6 \\\\\n"
        "  \\frac{\\partial y}{\\partial x} \\; (\\text{via } y) &= 1 \\\\\n"
        "  \\frac{\\partial y}{\\partial x} &= 6 + 1 = 7\n"
    ) in frame


@pytest.mark.parametrize(
    "source, latex",
    [
        ("a - (b + c)", "a - \\left(b + c\\right)"),
        ("a + b*c", "a + b \\cdot c"),
        ("a*(b*c)", "a \\cdot \\left(b \\cdot c\\right)"),
        ("(a + b)*c", "\\left(a + b\\right) \\cdot c"),
        ("2 + (-3)", "2 + (-3)"),
        ("(-2) ** 2", "(-2)^{2}"),
        ("-x**2", "-x^{2}"),
        ("(-x)**2", "\\left(-x\\right)^{2}"),
        ("-(a*b)", "-\\left(a \\cdot b\\right)"),
        ("-(-x)", "-\\left(-x\\right)"),
        ("a - -x", "a - \\left(-x\\right)"),
        ("1/(2*sqrt(x))", "\\frac{1}{2 \\cdot \\sqrt{x}}"),
        ("(a/b)**2", "\\left(\\frac{a}{b}\\right)^{2}"),
        ("1 - tanh(t4)**2", "1 - \\tanh\\left(t_{4}\\right)^{2}"),
        ("sigmoid(x)*(1 - sigmoid(x))", "\\sigma\\left(x\\right) \\cdot \\left(1 - \\sigma\\left(x\\right)\\right)"),
        (
            "abs(x) + max(a, b) + relu(x)",
            "\\left|x\\right| + \\max\\left(a, b\\right) + \\operatorname{relu}\\left(x\\right)",
        ),
        ("2 * 1e-07", "2 \\cdot \\left(1 \\times 10^{-7}\\right)"),
        ("1.5e+12", "1.5 \\times 10^{12}"),
        ("pi*r**2", "\\pi \\cdot r^{2}"),
        ("x ^ y", "x^{y}"),
        ("c#1 + c#1", "{c}_{\\#1} + {c}_{\\#1}"),
        ("-inf", "-\\infty"),
        ("undefined", "\\text{undefined}"),
        ("1 + 1 + ... (193 more) + 1", "1 + 1 + \\underbrace{\\cdots}_{\\text{193 more}} + 1"),
        ("1 if x > 0 else 0", "\\text{1 if x > 0 else 0}"),  # not an expression: set as text
    ],
)
def test_the_printer_brackets_only_where_precedence_needs_it(source, latex):
    assert formula(source) == latex


@pytest.mark.parametrize(
    "label, latex",
    [("x", "x"), ("x1", "x_{1}"), ("t12", "t_{12}"), ("alpha", "\\alpha"), ("lr", "\\mathrm{lr}"),
     ("my_var", "\\mathrm{my\\_var}"), ("x1#2", "{x_{1}}_{\\#2}"), ("out", "\\mathrm{out}")],
)  # fmt: skip
def test_names(label, latex):
    assert name(label) == latex


def test_text_escapes_what_tex_reads_as_commands():
    assert text("a_b #1 {x} 50% $5 & ~ ^ \\ --limit") == (
        "\\text{a\\_b \\#1 \\{x\\} 50\\% \\$5 \\& \\textasciitilde{} \\textasciicircum{} \\textbackslash{} -{}-limit}"
    )


def test_the_printer_names_no_recursion_deep_nesting():
    source = "x" + "*1.5" * 5000
    assert expression(parse(source)).count("\\cdot") == 5000


def test_long_lines_break_at_an_equals_sign(gradcli):
    document = explain(gradcli, "o = tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1",
                       "--b", "6.881373587019543", "--format", "beamer")  # fmt: skip
    assert "\\\\\n  & = " in document


def test_limit_and_wrt_reach_latex(gradcli):
    document = explain(gradcli, EVERY_OP, *EVERY_OP_BINDINGS, "--format", "latex", "--limit", "6")
    balanced(document)
    assert document.count("lines left out (-{}-wrt NAME follows one node, -{}-limit 0 shows every line)") == 2
    beamer = explain(gradcli, EVERY_OP, *EVERY_OP_BINDINGS, "--format", "beamer", "--wrt", "b")
    assert "the chain rule from $y$ back to $b$" not in beamer  # beamer has no title page
    assert "$\\partial y / \\partial b$" in beamer


def _tex_ready(kind: str) -> str:
    """Why a document of this kind cannot be compiled here ("" when it can)."""
    if shutil.which("pdflatex") is None:
        return "pdflatex is not installed (Debian: apt-get install texlive-latex-base)"
    needs = ["amsmath.sty"] + (["beamer.cls", "pgfcore.sty"] if kind == "beamer" else [])
    for file in needs:
        if not subprocess.run(["kpsewhich", file], capture_output=True, text=True).stdout.strip():
            return f"{file} is not installed (Debian: texlive-latex-recommended, texlive-pictures)"
    return ""


@pytest.mark.parametrize(
    "kind, program",
    [("latex", SEED), ("latex", (EVERY_OP, *EVERY_OP_BINDINGS)), ("beamer", (EVERY_OP, *EVERY_OP_BINDINGS)),
     ("beamer", ("y = x*x + x", "--x", "3"))],
)  # fmt: skip
def test_documents_compile(gradcli, tmp_path, kind, program):
    document = explain(gradcli, *program, "--format", kind)
    balanced(document)
    assert "\\begin{align*}" in document and not re.search(r"(?<!\\)[#%]", document)
    why = _tex_ready(kind)
    if why:
        pytest.skip(why)
    (tmp_path / "d.tex").write_text(document)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF")


def test_a_part_that_reads_the_same_in_latex_is_written_once(gradcli):
    """explain writes `pow(b, a) = b ** a` (the source, then the op); in LaTeX both are b^{a}."""
    document = explain(gradcli, "y = pow(b, a)", "--a", "1", "--b", "2", "--format", "latex")
    assert "  y &= b^{a} = 2^{1} = 2\n" in document
