"""The walk-through page as a file: self-contained, its policy matching its own script and style, every
text escaped, written by `graph --out walk.html` (or `--format html`) and by `gradcli.walkthrough`.
What it does in a browser is tested in test_page_browser.py."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import pytest

from gradcli import Value, walkthrough
from gradcli.views.page import slider
from gradcli.walkpage import Page

SEED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")


def page_of(gradcli, *args) -> str:
    r = gradcli("graph", *args, "--format", "html")
    assert (r.exit_code, r.stderr) == (0, ""), r.stderr
    return r.stdout


def scripts(text: str) -> list[tuple[str, str]]:
    return re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S)


def test_the_page_is_one_file_that_loads_nothing(gradcli):
    text = page_of(gradcli, *SEED)
    assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    assert not re.search(r"\s(src|href|action|srcset|poster|data)\s*=\s*\"(?!data:)", text)  # no file, no URL
    assert not re.search(r"@import|url\(", text)
    assert not re.search(r"\w+://|[\"'(]//", re.sub(r'xmlns(:xlink)?="http://www\.w3\.org/[^"]*"', "", text))


def test_the_policy_allows_only_the_pages_own_script_and_style(gradcli):
    text = page_of(gradcli, *SEED)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text).group(1)
    (data_attrs, data), (code_attrs, code) = scripts(text)
    (style,) = re.findall(r"<style>(.*?)</style>", text, re.S)

    def digest(s):
        return "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()

    assert policy == (
        f"default-src 'none'; script-src '{digest(code)}'; style-src '{digest(style)}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    assert data_attrs == ' type="application/json" id="gc-data"' and code_attrs == ""
    assert "unsafe" not in policy and "on" not in re.findall(r"<\w+[^>]*\s(on\w+)=", text)  # no inline handlers
    json.loads(data)


def test_the_data_holds_the_steps_with_explains_templates(gradcli):
    text = page_of(gradcli, *SEED)
    data = json.loads(scripts(text)[0][1])
    assert [(kind, node) for kind, node, *_ in data["steps"]] == [
        ("forward", 0), ("forward", 1), ("forward", 3), ("forward", 5), ("forward", 2), ("forward", 4),
        ("forward", 6), ("backward", 6), ("backward", 4), ("backward", 5), ("backward", 2), ("backward", 3),
        ("backward", 0), ("backward", 1),
    ]  # fmt: skip
    assert data["steps"][12] == [
        "backward", 0,
        [["\u2202L/\u2202a", [
            [["\u2202L/\u2202e * \u2202e/\u2202a"], "chain"],
            [[["grad", 2], " * ", "b"], "sym"],
            [[["grad", 2], " * ", ["value", 1, False]], "num"],
            [[["grad", 2], " * ", ["local", 2, 0]], "num"],
            [[["term", 2, 0, False]], "value"]],
          ["note", 2, 0]]],
        [2],
    ]  # fmt: skip
    assert data["variables"][1] == ["b", 1, -3.0, -10.0, 10.0, 0.1, 1]


@pytest.mark.parametrize(
    "value, expected",
    [(2.0, (-5.0, 5.0, 0.05, 2)), (-3.0, (-10.0, 10.0, 0.1, 1)), (0.0, (-1.0, 1.0, 0.01, 2)),
     (6.8814, (-20.0, 20.0, 0.2, 1)), (250.0, (-500.0, 500.0, 5.0, 0)), (0.001, (-1.0, 1.0, 0.01, 2))],
)  # fmt: skip
def test_sliders_reach_a_round_number_past_twice_the_value(value, expected):
    assert slider(value) == expected


def test_program_text_and_file_name_are_escaped(gradcli, tmp_path):
    name = tmp_path / 'a<b>"&.grad'
    name.write_text("# </script><script>alert(1)</script> <!-- x\ny = x * 2\n")
    r = gradcli("graph", "-f", str(name), "--x", "1", "--out", str(tmp_path / "walk.html"))
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / "walk.html").read_text()
    assert len(scripts(text)) == 2 and text.count("<script") == 2 and "<!--" not in text
    assert f"<p>from {html.escape(str(name))}</p>" in text
    assert "# &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &lt;!-- x" in text


def test_a_value_label_is_escaped_everywhere():
    hostile = "</script><script>alert(1)</script><!--"
    a = Value(2.0, label=hostile)
    text = walkthrough((a * 3).tanh())
    assert text.count("<script") == 2 and "alert(1)</script>" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!--" in text  # in the picture and the table
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u003c!--" in scripts(text)[0][1]


def test_graph_format_html_and_the_extension_write_the_page(gradcli, tmp_path):
    for name in ("walk.html", "walk.HTM"):
        r = gradcli("graph", *SEED, "--out", str(tmp_path / name))
        assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"wrote {tmp_path / name}\n")
        assert (tmp_path / name).read_text() == page_of(gradcli, *SEED)
    r = gradcli("graph", *SEED, "--out", str(tmp_path / "walk.page"), "--format", "html")
    assert r.exit_code == 0 and (tmp_path / "walk.page").read_text().startswith("<!DOCTYPE html>")


def test_the_page_needs_every_variable_bound(gradcli, tmp_path):
    r = gradcli("graph", "e=a*b; d=e+c; L=d*f", "--a", "2", "--out", str(tmp_path / "walk.html"))
    assert (r.exit_code, r.stderr) == (
        2,
        "error: unbound variables: b, c, f (bind with --b VALUE --c VALUE --f VALUE)\n",
    )
    assert not (tmp_path / "walk.html").exists()


def test_a_failing_point_writes_no_page(gradcli, tmp_path):
    r = gradcli("graph", "y = log(x)", "--x", "-1", "--out", str(tmp_path / "walk.html"))
    assert r.exit_code == 1 and r.stderr.startswith("error: log(x) at line 1, column 5: log needs a positive argument")
    assert not (tmp_path / "walk.html").exists()


def test_of_precision_and_rankdir_reach_the_page(gradcli):
    text = page_of(gradcli, *SEED, "--of", "d", "--precision", "2", "--rankdir", "TB")
    data = json.loads(scripts(text)[0][1])
    assert (data["output"], data["precision"]) == (4, 2)
    assert ["unreached", 5] == data["steps"][-1][:2]  # f does not feed d: its line says so
    assert "data 4.00" in text and "data 4.0000" not in text


def test_walkthrough_returns_or_writes_the_page(tmp_path):
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + 1
    text = walkthrough(L)
    assert isinstance(text, Page) and text.startswith("<!DOCTYPE html>")
    assert text._repr_html_().startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert walkthrough(L, tmp_path / "walk.html") == str(tmp_path / "walk.html")
    assert (tmp_path / "walk.html").read_text() == text
    import gradcli

    assert gradcli.walkthrough is walkthrough and "walkthrough" in dir(gradcli)


def test_walkthrough_refuses_what_the_page_cannot_run():
    with pytest.raises(TypeError, match="root must be a Value"):
        walkthrough(3.0)
    x = Value(2.0, label="x")
    cube = Value(x.data**3, (x,), "cube")
    with pytest.raises(ValueError, match="its own: cube"):
        walkthrough(cube + 1)
    with pytest.raises(ValueError, match="rankdir must be"):
        walkthrough(x * 2, rankdir="svg")


def test_every_op_has_its_javascript_and_every_kink_its_expression():
    """The page's op code comes from these fields: each kink's expression (parsed by the grammar, run by
    the engine) says which side of the kink a point is on exactly as the kink's float function does."""
    from gradcli.autodiff import evaluate
    from gradcli.ops import OPS
    from gradcli.parser import parse
    from gradcli.views.js import ops_script

    points = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-300, 1e300]
    for name, op in OPS.items():
        assert op.js and "{x}" in op.js and ("{y}" in op.js) == (op.arity == 2), name
        assert f"  {name}: {{ f: " in ops_script()
        if op.kink is None:
            continue
        graph = parse(op.kink.expression)
        assert set(graph.variables) <= {"x", "y"}, name
        for x in points:
            for y in points if op.arity == 2 else [0.0]:
                args = (x,) if op.arity == 1 else (x, y)
                side = evaluate(graph, {"x": x, "y": y})[graph.output]
                assert side == op.kink.side(*args) or (side == 0) == (op.kink.side(*args) == 0), (name, args)
