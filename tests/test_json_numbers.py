"""JSON text of many floats (`gradcli.jsonnumbers`): exactly what Python's json writes, with or
without orjson, and the streamed `eval` record equal to the record built as a dict."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli import jsonnumbers
from gradcli.parser import parse
from gradcli.program import Run, bind
from gradcli.views.records import eval_json, eval_record


def python_text(x) -> str:
    return "null" if x is None or not math.isfinite(x) else json.dumps(x)


@pytest.fixture(params=["orjson", "python"])
def writer(request, monkeypatch):
    if request.param == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(jsonnumbers, "orjson", None)
    return request.param


EDGES = [0.0, -0.0, 1.0, 0.1, 1e-4, 9.999999999999999e-05, 1e-5, -1e-5, 1.25e-5, 1e-6, 1e-7, -2.5e-8, 1e-10,
         5e-324, 1e15, 1e16, 1e17, 1e21, 1e22, 1.7976931348623157e308, 123456789.0, None, math.nan, math.inf,
         -math.inf, 10.000012, -10.000012, 0.000012]  # fmt: skip


def test_edges(writer):
    assert jsonnumbers.texts(EDGES) == [python_text(x) for x in EDGES]
    assert jsonnumbers.texts([]) == []
    assert jsonnumbers.joined(EDGES) == ", ".join(python_text(x) for x in EDGES)
    assert jsonnumbers.joined([]) == ""


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(), st.none(), st.integers(0, 2**64 - 1).map(lambda b: struct.unpack("d", struct.pack("Q", b))[0])
        )
    )
)
def test_random_floats_are_written_as_json_writes_them(numbers):
    for orjson in (jsonnumbers.orjson, None):
        saved, jsonnumbers.orjson = jsonnumbers.orjson, orjson
        try:
            assert jsonnumbers.texts(numbers) == [python_text(x) for x in numbers]
            assert jsonnumbers.joined(numbers) == ", ".join(python_text(x) for x in numbers)
        finally:
            jsonnumbers.orjson = saved


@pytest.mark.parametrize(
    "program, bindings",
    [
        ("L=(a*b+c)*f; z = 1e-5*a + 1e-7", {"a": "2", "b": "-3", "c": "10", "f": "-2"}),
        ("y = sqrt(x) * 1e300", {"x": "1e-30"}),  # a gradient that overflows: null
        ("y = sqrt(x); w = 3", {"x": "0"}),  # an infinite gradient: null
    ],
)
def test_the_streamed_record_is_the_dict_record(writer, program, bindings):
    graph = parse(program)
    run = Run.of(graph, bind(graph, bindings), graph.output)
    streamed = "".join(eval_json(run, chunk=3))
    assert streamed.endswith("\n")
    assert streamed == json.dumps(eval_record(run), allow_nan=False) + "\n"


def reference_head(run) -> dict:
    """The summary as first written: every node's label, and the listed nodes labelled by their name."""
    graph, labels = run.graph, run.graph.labels()
    named = [i for i in run.listed() if graph.nodes[i].name is not None and labels[i] == graph.nodes[i].name]
    return {
        "output": graph.nodes[run.output].name,
        "values": {labels[i]: run.values[i] for i in named},
        "grads": {labels[i]: run.grad(i) for i in named},
    }


@pytest.mark.parametrize(
    "program",
    [
        "c = a + b; c = c + c + 1",
        "y = x; z = y * 2",
        "e = a*b; d = e + c; L = d*f; e*2",
        "out = a*2; t1 = out + 1; t1 * a",
        "L = d*f\nd = e+c\ne = a*b",
        "a = 2; b = a*3; b = b + a; c = b",
        "x = 1; y = pi; y",
        "p = q; q = r*2; p",
    ],
)
def test_the_summary_lists_each_names_latest_value(program):
    from gradcli.views.records import _eval_head

    graph = parse(program)
    run = Run.of(graph, bind(graph, {n: "1.5" for n in graph.variables}, require=False), graph.output)
    got, want = _eval_head(run), reference_head(run)
    assert (got["output"], list(got["values"].items())) == (want["output"], list(want["values"].items()))
    assert list(got["grads"]) == list(want["grads"])
