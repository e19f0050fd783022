"""`gradcli check`: analytic gradients against central differences and PyTorch; kinks; wrong derivatives."""

from __future__ import annotations

import json
import sys

import pytest

from gradcli.ops import OPS
from gradcli.torchcheck import TORCH

SEED = ("e=a*b; d=e+c; L=d*f", "--a", "2", "--b", "-3", "--c", "10", "--f", "-2")
NEURON = ("o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1", "--b", "6.881373587019543")
RULE = (
    "central difference with step h = 1e-06 * max(1, |x|), atol 1e-05, rtol 0.001; "
    "ok when abs err <= atol + rtol * max(|analytic|, |numeric|)\n"
)
SUBGRADIENT = "a subgradient (PyTorch's convention)"

SMOOTH = [
    ("L=(a*b+c)*f", {"a": 2, "b": -3, "c": 10, "f": -2}),
    ("o=tanh(x1*w1 + x2*w2 + b)", {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.881373587019543}),
    ("n = x1*w1 + x2*w2 + b; o = (exp(2*n) - 1)/(exp(2*n) + 1)", {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8814}),
    ("sigmoid(x)*log(y) + sqrt(y)/x - sin(x)*cos(y) + tan(x/4)", {"x": 0.7, "y": 2.5}),
    ("y = x**z + pow(z, 3) - -x + abs(x) + relu(z) + max(x, z) + min(x, z)", {"x": 1.3, "z": 0.4}),
    ("c = a + b; c = c * c + a; y = c / (b + 4)", {"a": 0.5, "b": -1.5}),
    ("y = x*x*x", {"x": -20}),
]


def check_json(gradcli, *args, code=0):
    r = gradcli("check", *args, "--format", "json")
    assert r.exit_code == code, r.stderr
    return json.loads(r.stdout)


def bindings(values: dict) -> list[str]:
    return [f"--{name}={value}" for name, value in values.items()]


# ---- passing -------------------------------------------------------------------------------------


def test_seed_table_exact(gradcli):
    r = gradcli("check", *SEED)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "variable   analytic   numeric   abs err   rel err   status\n"
        "──────────────────────────────────────────────────────────\n"
        "a            6.0000    6.0000   3.3e-10   5.6e-11     ok  \n"
        "b           -4.0000   -4.0000         0         0     ok  \n"
        "c           -2.0000   -2.0000         0         0     ok  \n"
        "f            4.0000    4.0000         0         0     ok  \n"
        "\n" + RULE + "all 4 gradients match\n"
    )


def test_json_shape(gradcli):
    data = check_json(gradcli, *NEURON)
    assert data["ok"] is True
    assert data["against"] == "differences" and data["output"] == "o"
    assert [row["name"] for row in data["rows"]] == ["x1", "w1", "x2", "w2", "b"]
    for row in data["rows"]:
        assert set(row) == {"name", "analytic", "numeric", "abs_err", "rel_err", "ok", "status", "note"}
        assert row["ok"] is True and row["status"] == "ok" and row["note"] is None
        assert row["abs_err"] == abs(row["analytic"] - row["numeric"])
    x1 = data["rows"][0]
    assert x1["analytic"] == pytest.approx(-1.5, abs=1e-12) and x1["numeric"] == pytest.approx(-1.5, abs=1e-8)


@pytest.mark.parametrize(("source", "values"), SMOOTH)
def test_smooth_programs_pass(gradcli, source, values):
    data = check_json(gradcli, source, *bindings(values))
    assert data["ok"] is True, data
    assert all(row["rel_err"] < 1e-6 for row in data["rows"]), data


def test_of_checks_another_node(gradcli):
    data = check_json(gradcli, *SEED, "--of", "d")
    assert data["output"] == "d"
    assert {row["name"]: row["analytic"] for row in data["rows"]} == {"a": -3.0, "b": 2.0, "c": 1.0, "f": 0.0}


def test_no_variables(gradcli):
    r = gradcli("check", "2*3")
    assert (r.exit_code, r.stdout) == (0, "the program has no variables: nothing to check\n")


# ---- failing when it should: a wrong derivative injected here, in the test -----------------------


def _wrong(monkeypatch, name: str, derivs: tuple) -> None:
    monkeypatch.setitem(OPS, name, OPS[name]._replace(derivs=derivs))


def test_wrong_mul_derivative_fails(gradcli, monkeypatch):
    _wrong(monkeypatch, "mul", (lambda x, y, o: y * 1.01, lambda x, y, o: x))
    data = check_json(gradcli, *SEED, code=1)
    assert data["ok"] is False
    # dL/dd = f is wrong too, so every gradient through d fails; dL/df = d is right
    assert {row["name"]: row["ok"] for row in data["rows"]} == {"a": False, "b": False, "c": False, "f": True}
    a = data["rows"][0]
    assert a["analytic"] == pytest.approx(6.0 * 1.01**2) and a["numeric"] == pytest.approx(6.0)
    assert a["rel_err"] > 1e-3


def test_wrong_tanh_derivative_fails_in_the_table(gradcli, monkeypatch):
    _wrong(monkeypatch, "tanh", (lambda x, o: 1.0 - o,))  # forgot to square
    r = gradcli("check", *NEURON)
    assert r.exit_code == 1
    assert r.stdout.splitlines()[-1] == "4 of 5 gradients fail"
    assert "w2           0.0000    0.0000         0         0     ok  \n" in r.stdout


def test_tolerances_decide(gradcli, monkeypatch):
    _wrong(monkeypatch, "mul", (lambda x, y, o: y * 1.01, lambda x, y, o: x))
    assert check_json(gradcli, *SEED, "--rtol", "0.05")["ok"] is True
    assert check_json(gradcli, *SEED, "--atol", "0.2")["ok"] is True
    assert check_json(gradcli, *SEED, "--atol", "0.1", code=1)["ok"] is False


# ---- kinks -------------------------------------------------------------------------------------


def test_kinks_pass_as_kink_with_a_note(gradcli):
    data = check_json(
        gradcli, "y = relu(x) + abs(u) + max(p, q) + min(p, r) + z*z",
        "--x", "0", "--u", "0", "--p", "1", "--q", "1", "--r", "2", "--z", "3",
    )  # fmt: skip
    assert data["ok"] is True
    notes = {row["name"]: (row["status"], row["ok"], row["note"]) for row in data["rows"]}
    assert notes == {
        "x": ("kink", True, f"relu has a kink at 0 (relu(x) at line 1, column 5): 0 lies between the one-sided differences 0 and 1, {SUBGRADIENT}"),
        "u": ("kink", True, f"abs has a kink at 0 (abs(u) at line 1, column 15): 0 lies between the one-sided differences -1 and 1, {SUBGRADIENT}"),
        "p": ("kink", True, f"max has tied arguments (max(p, q) at line 1, column 24): 1.5 lies between the one-sided differences 1 and 2, {SUBGRADIENT}"),
        "q": ("kink", True, f"max has tied arguments (max(p, q) at line 1, column 24): 0.5 lies between the one-sided differences 0 and 1, {SUBGRADIENT}"),
        "r": ("ok", True, None),
        "z": ("ok", True, None),
    }  # fmt: skip


def test_kink_reached_through_intermediates(gradcli):
    r = gradcli("check", "h = relu(w*x - 1); y = 3*h + x", "--w", "1", "--x", "1")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[-4:] == [
        f"note: w: relu has a kink at 0 (relu(w*x - 1) at line 1, column 5): 0 lies between the one-sided differences 0 and 3, {SUBGRADIENT}",
        f"note: x: relu has a kink at 0 (relu(w*x - 1) at line 1, column 5): 1 lies between the one-sided differences 1 and 4, {SUBGRADIENT}",
        RULE.rstrip("\n"),
        "all 2 gradients pass (2 at a kink)",
    ]  # fmt: skip


def test_min_tie_and_no_kink_off_the_tie(gradcli):
    row = check_json(gradcli, "min(a, b)", "--a", "2", "--b", "2")["rows"][0]
    assert row["status"] == "kink" and row["note"].startswith("min has tied arguments")
    assert check_json(gradcli, "min(a, b) + relu(a)", "--a", "2", "--b", "2.5")["ok"] is True


def test_a_tie_is_a_kink_not_a_failure(gradcli):
    r = gradcli("check", "y = max(a, b)", "--a", "1", "--b", "1")
    assert r.exit_code == 0
    assert r.stdout == (
        "variable   analytic   numeric   abs err   rel err   status\n"
        "──────────────────────────────────────────────────────────\n"
        "a            0.5000    0.5000   2.8e-11   5.6e-11    kink \n"
        "b            0.5000    0.5000   2.8e-11   5.6e-11    kink \n"
        "\n"
        f"note: a: max has tied arguments (max(a, b) at line 1, column 5): 0.5 lies between the one-sided differences 0 and 1, {SUBGRADIENT}\n"
        f"note: b: max has tied arguments (max(a, b) at line 1, column 5): 0.5 lies between the one-sided differences 0 and 1, {SUBGRADIENT}\n"
        + RULE
        + "all 2 gradients pass (2 at a kink)\n"
    )  # fmt: skip


def test_a_kink_inside_the_step_is_a_kink(gradcli):
    """abs at 1e-8 with h = 1e-6: the central difference straddles the kink (0.01), the derivative is 1."""
    data = check_json(gradcli, "abs(x)", "--x", "1e-8")
    row = data["rows"][0]
    assert (data["ok"], row["status"], row["analytic"]) == (True, "kink", 1.0)
    assert row["numeric"] == pytest.approx(0.01)
    assert row["note"] == (
        "abs has a kink at 0 within the step (abs(x) at line 1, column 1): 1 lies between the one-sided differences "
        f"-0.98 and 1, {SUBGRADIENT}"
    )
    assert check_json(gradcli, "abs(x)", "--x", "1e-3")["rows"][0]["status"] == "ok"  # the step stays on one side


def test_a_wrong_derivative_at_a_kink_fails(gradcli, monkeypatch):
    _wrong(monkeypatch, "relu", (lambda x, o: 1.0 if x > 0 else 2.0 if x == 0 else 0.0,))  # 2 at the kink
    r = gradcli("check", "y = relu(x) + z*z", "--x", "0", "--z", "1")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[2] == "x            2.0000    0.5000   1.5e+00   7.5e-01    FAIL "
    assert (
        "note: x: relu has a kink at 0 (relu(x) at line 1, column 5): 2 lies outside the one-sided differences 0 and 1"
        in r.stdout
    )
    assert r.stdout.splitlines()[-1] == "1 of 2 gradients fail"  # fmt: skip


def test_kinks_are_read_from_the_op_table(gradcli, monkeypatch):
    """Without abs's `kink` in the table, abs at 0 is an ordinary point (its central difference is 0)."""
    from gradcli.ops import Kink

    assert check_json(gradcli, "abs(x)", "--x", "0")["rows"][0]["status"] == "kink"
    monkeypatch.setitem(OPS, "abs", OPS["abs"]._replace(kink=None))
    assert check_json(gradcli, "abs(x)", "--x", "0")["rows"][0]["status"] == "ok"
    # and a kink declared for sin (at multiples of pi, say) is seen at sin's argument 0
    monkeypatch.setitem(OPS, "sin", OPS["sin"]._replace(kink=Kink(lambda x: x, "sin has a made-up kink at 0")))
    assert check_json(gradcli, "sin(x)", "--x", "0")["rows"][0]["note"].startswith("sin has a made-up kink at 0")


# ---- many variables: random directions (PyTorch gradcheck's fast mode) ------------------------------


def many(n: int) -> str:
    return "y = " + " + ".join(f"a{i}*b{i} + a{i}**2" for i in range(n))


def defaults(n: int) -> str:
    return "; ".join(f"a{i} = {0.5 + i % 7}; b{i} = {1.5 - i % 5}" for i in range(n))


def test_many_variables_are_checked_along_random_directions(gradcli, monkeypatch):
    from gradcli.autodiff import Compiled

    calls = []
    forward = Compiled.forward
    monkeypatch.setattr(Compiled, "forward", lambda self, values: calls.append(1) or forward(self, values))
    n = 2000  # 4,000 variables, 14,000 nodes: one variable at a time would be 112 million node evaluations
    data = check_json(gradcli, f"{defaults(n)}; {many(n)}")
    assert [row["name"] for row in data["rows"]] == ["direction 1", "direction 2", "direction 3"]
    assert all(row["status"] == "ok" for row in data["rows"]) and data["ok"] is True
    assert data["method"].startswith("4,000 variables checked together along 3 random unit directions u")
    assert len(calls) <= 1 + 2 * 3  # the point, then up and down per direction


def test_a_wrong_derivative_is_caught_along_directions_and_each_names_it(gradcli, monkeypatch):
    _wrong(monkeypatch, "pow", (lambda x, y, o: y * x ** (y - 1) * 1.01, OPS["pow"].derivs[1]))
    data = check_json(gradcli, f"{defaults(2000)}; {many(2000)}", code=1)
    assert all(row["status"] == "FAIL" for row in data["rows"])
    small = check_json(gradcli, f"{defaults(3)}; {many(3)}", "--each", code=1)
    assert {row["name"]: row["status"] for row in small["rows"]} == {
        "a0": "FAIL", "b0": "ok", "a1": "FAIL", "b1": "ok", "a2": "FAIL", "b2": "ok",
    }  # fmt: skip


def test_each_forces_one_row_per_variable(gradcli):
    from gradcli.gradcheck import EACH_MOST, by_directions
    from gradcli.parser import parse
    from gradcli.program import Run

    graph = parse(f"{defaults(2000)}; {many(2000)}")
    run = Run.of(graph, {}, graph.output)
    assert 2 * 4000 * len(graph) > EACH_MOST and by_directions(run) and not by_directions(run, each=True)
    data = check_json(gradcli, f"{defaults(60)}; {many(60)}", "--each")
    assert len(data["rows"]) == 120 and data["method"].startswith("central difference")


def test_one_sided_difference_at_the_edge_of_the_domain(gradcli):
    data = check_json(gradcli, "sqrt(x)", "--x", "1e-7", code=1)
    assert data["rows"][0]["note"] == "one-sided difference: the program cannot be evaluated at x - 1.0e-06"
    assert check_json(gradcli, "sqrt(x)", "--x", "1e-7", "--eps", "1e-10")["ok"] is True


# ---- options and errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--eps", "0", "error: invalid value for '--eps': 0.0 is not a finite number > 0\n"),
        ("--rtol", "nan", "error: invalid value for '--rtol': nan is not a finite number >= 0\n"),
        ("--atol", "-1", "error: invalid value for '--atol': -1.0 is not a finite number >= 0\n"),
        ("--against", "jax", None),
    ],
)
def test_bad_options(gradcli, option, value, message):
    r = gradcli("check", *SEED, option, value)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("error: ") and len(r.stderr.splitlines()) == 1
    if message:
        assert r.stderr == message


def test_domain_error_is_reported(gradcli):
    r = gradcli("check", "log(x)", "--x", "0")
    assert r.exit_code == 1
    assert r.stderr == "error: log(x) at line 1, column 1: log needs a positive argument (got 0)\n"


# ---- PyTorch ---------------------------------------------------------------------------------


def test_every_op_has_a_torch_function():
    assert set(TORCH) == set(OPS)
    torch = pytest.importorskip("torch")
    assert all(callable(f) or callable(getattr(torch, f, None)) for f in TORCH.values()), TORCH


def test_torch_missing_is_a_clean_error(gradcli, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    r = gradcli("check", *SEED, "--against", "torch")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        "error: --against torch needs PyTorch, which is not installed; install it with: pip install torch\n"
    )


@pytest.mark.parametrize(("source", "values"), SMOOTH)
def test_torch_agrees_on_smooth_programs(gradcli, source, values):
    pytest.importorskip("torch")
    data = check_json(gradcli, source, *bindings(values), "--against", "torch")
    assert data["against"] == "torch" and data["ok"] is True, data
    assert all(row["abs_err"] <= 1e-12 * max(1.0, abs(row["analytic"])) for row in data["rows"]), data


def test_torch_shares_the_kink_conventions(gradcli):
    pytest.importorskip("torch")
    data = check_json(gradcli, "relu(x) + abs(u) + max(p, q)", "--x", "0", "--u", "0", "--p", "1", "--q", "1",
                      "--against", "torch")  # fmt: skip
    assert data["ok"] is True
    assert [(row["name"], row["numeric"], row["note"][:20]) for row in data["rows"]] == [
        ("x", 0.0, "relu has a kink at 0"), ("u", 0.0, "abs has a kink at 0 "),
        ("p", 0.5, "max has tied argumen"), ("q", 0.5, "max has tied argumen"),
    ]  # fmt: skip
    assert data["rows"][0]["note"] == (
        "relu has a kink at 0 (relu(x) at line 1, column 1); the derivative there is a convention, the same in PyTorch"
    )


def test_torch_catches_a_wrong_derivative(gradcli, monkeypatch):
    pytest.importorskip("torch")
    _wrong(monkeypatch, "sigmoid", (lambda x, o: o,))
    r = gradcli("check", "y = sigmoid(x)**3", "--x", "0.5", "--against", "torch")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == "variable   analytic    torch   abs err   rel err   status"
    assert r.stdout.splitlines()[-2] == (
        "PyTorch autograd in float64, atol 1e-05, rtol 0.001; ok when abs err <= atol + rtol * max(|analytic|, |torch|)"
    )


def test_one_variable_table_exact(gradcli):
    r = gradcli("check", "sqrt(x)", "--x", "1e-7", "--precision", "2")
    assert r.exit_code == 1
    assert r.stdout == (
        "variable   analytic   numeric   abs err   rel err   status\n"
        "──────────────────────────────────────────────────────────\n"
        "x           1581.14    732.58   8.5e+02   5.4e-01    FAIL \n"
        "\n"
        "note: x: one-sided difference: the program cannot be evaluated at x - 1.0e-06\n"
        + RULE
        + "the gradient fails\n"
    )
