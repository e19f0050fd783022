"""`gradcli diff`: the derivative as a program, its values, LaTeX and JSON, and the round trips."""

from __future__ import annotations

import json

import pytest

from gradcli.autodiff import evaluate, gradients
from gradcli.parser import parse


def test_the_derivative_as_a_program(gradcli):
    r = gradcli("diff", "y = x**2*sin(x)")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "dy_dx = x**2*cos(x) + 2*x*sin(x)\n", "")


def test_every_variable_and_wrt(gradcli):
    r = gradcli("diff", "L=(a*b+c)*f")
    assert r.stdout == "dL_da = b*f\ndL_db = a*f\ndL_dc = f\ndL_df = a*b + c\n"
    r = gradcli("diff", "L=(a*b+c)*f", "--wrt", "f,a")
    assert r.stdout == "dL_da = b*f\ndL_df = a*b + c\n"


def test_values_beside_the_formulas_are_evals_gradients_to_the_last_bit(gradcli):
    seed = ("o=tanh(x1*w1 + x2*w2 + b)", "--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1")
    seed += ("--b", "6.881373587019543")
    r = gradcli("diff", *seed)
    assert r.exit_code == 0 and r.stdout == (
        "t1 = 1 - tanh(x1*w1 + x2*w2 + b)**2\n"
        "do_dx1 = w1*t1  # -1.4999999999999993\n"
        "do_dw1 = x1*t1  # 0.9999999999999996\n"
        "do_dx2 = w2*t1  # 0.4999999999999998\n"
        "do_dw2 = x2*t1  # 0\n"
        "do_db = t1  # 0.4999999999999998\n"
    )
    record = json.loads(gradcli("eval", *seed, "--format", "json").stdout)
    values = json.loads(gradcli("diff", *seed, "--format", "json").stdout)["values"]
    assert values == {name: record["grads"][name] for name in record["variables"]}


@pytest.mark.parametrize(
    "program",
    [
        "y = x**2*sin(x)",
        "e=a*b; d=e+c; L=d*f",
        "y = tanh(x*z) + sigmoid(x)**2 - x/z",
        "y = max(x, z)*relu(x - 1) + abs(z)",
    ],
)
def test_diff_piped_to_eval_gives_evals_gradient(gradcli, program):
    graph = parse(program)
    at = {name: 2.0 + 0.5 * k for k, name in enumerate(graph.variables)}
    flags = [part for name, v in at.items() for part in (f"--{name}", str(v))]
    grads = gradients(graph, evaluate(graph, at))
    text = gradcli("diff", program).stdout
    record = json.loads(gradcli("eval", "-", *flags, "--format", "json", input=text).stdout)
    for name, i in graph.variables.items():
        assert record["values"][f"d{graph.labels()[graph.output]}_d{name}"] == pytest.approx(grads[i], rel=1e-12)


def test_diff_piped_to_diff_gives_the_second_derivative(gradcli):
    first = gradcli("diff", "y = x**3 + sin(x)").stdout
    assert first == "dy_dx = cos(x) + 3*x**2\n"
    second = gradcli("diff", "-", input=first)
    assert second.stdout == "ddy_dx_dx = 6*x - sin(x)\n"
    assert gradcli("diff", "y = x**3 + sin(x)", "--order", "2").stdout == "d2y_dx2 = 6*x - sin(x)\n"


def test_order_two_gives_every_second_partial(gradcli):
    r = gradcli("diff", "L = (x - 3)**2 + x*z**2", "--order", "2", "--x", "1", "--z", "2")
    assert r.stdout == "d2L_dx2 = 2  # 2\nd2L_dxdz = 2*z  # 4\nd2L_dz2 = 2*x  # 2\n"


def test_latex(gradcli):
    r = gradcli("diff", "y = x**2*sin(x)", "--format", "latex")
    assert r.stdout == (
        "\\frac{\\partial y}{\\partial x} = x^{2} \\cos{\\left(x \\right)} + 2 x \\sin{\\left(x \\right)}\n"
    )
    r = gradcli("diff", "y = x1**2*exp(z)/w", "--order", "2", "--wrt", "x1,z", "--format", "latex")
    assert r.stdout.splitlines() == [
        "t_{1} = e^{z}",
        "t_{2} = \\frac{1}{w}",
        "\\frac{\\partial^{2} y}{\\partial x_{1}^{2}} = \\frac{2}{w} t_{1}",
        "\\frac{\\partial^{2} y}{\\partial x_{1} \\partial z} = 2 x_{1} t_{2} t_{1}",
        "\\frac{\\partial^{2} y}{\\partial z^{2}} = x_{1}^{2} t_{2} t_{1}",
    ]
    r = gradcli("diff", "y = x**2 - x/z", "--format", "latex", "--x", "0.5", "--z", "1e-20")
    assert r.stdout.splitlines() == [
        "\\frac{\\partial y}{\\partial x} = 2 x - \\frac{1}{z} = -1 \\cdot 10^{20}",
        "\\frac{\\partial y}{\\partial z} = \\frac{x}{z^{2}} = 5 \\cdot 10^{39}",
    ]


def test_json_record(gradcli):
    r = gradcli("diff", "y = x*z**2", "--format", "json")
    assert json.loads(r.stdout) == {
        "output": "y", "wrt": ["x", "z"], "order": 1,
        "derivatives": {"x": "z**2", "z": "2*z*x"},
        "program": "dy_dx = z**2\ndy_dz = 2*z*x\n", "values": None,
    }  # fmt: skip
    r = gradcli("diff", "y = x*z**2", "--format", "json", "--order", "2", "--x", "3", "--z", "-1")
    assert json.loads(r.stdout)["values"] == {"x,x": 0.0, "x,z": -2.0, "z,z": 6.0}


def test_an_infinite_derivative_has_no_value_and_a_note(gradcli):
    r = gradcli("diff", "y = sqrt(x)", "--x", "0")
    assert (r.exit_code, r.stdout) == (0, "dy_dx = 1/(2*sqrt(x))  # inf\n")
    assert r.stderr == (
        "note: dy/dx is inf: the derivative of sqrt(x) at line 1, column 5 is 1/(2*sqrt(x)), infinite at x = 0\n"
    )
    r = gradcli("diff", "y = sqrt(x)", "--x", "0", "--strict")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: the derivative of sqrt(x) at line 1, column 5 is infinite or undefined at 0\n"
    r = gradcli("diff", "y = sqrt(x)", "--x", "-1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: sqrt(x) at line 1, column 5: sqrt needs a non-negative argument (got -1)\n"
    r = gradcli("diff", "y = x**1.5", "--x", "0", "--order", "2")
    assert r.stdout == "d2y_dx2 = 0.75*x**-0.5  # inf\n"
    assert r.stderr == "note: d2y_dx2 has no value here: infinite or undefined\n"
    assert json.loads(gradcli("diff", "y = sqrt(x)", "--x", "0", "--format", "json").stdout)["values"] == {"x": None}


def test_defaults_come_along_and_give_values(gradcli):
    r = gradcli("diff", "a = 2; y = a*x**2", "--x", "3")
    assert r.stdout == "a = 2\ndy_da = x**2  # 9\ndy_dx = 2*x*a  # 12\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (("y = x**2", "--wrt", "q"), "error: --wrt q: q is not a variable of the program (its variables: x)\n"),
        (("y = 2*3",), "error: nothing to differentiate: the program has no variables\n"),
        (("y = x*z", "--x", "1"), "error: unbound variable: z (bind with --z VALUE)\n"),
        (("y = x", "--order", "9"), "error: invalid value for '--order': 9 is not in the range 1<=x<=4.\n"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(gradcli, args, message):
    r = gradcli("diff", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", message)


def test_of_differentiates_another_node(gradcli):
    assert gradcli("diff", "h = x*z; y = sin(h)", "--of", "h").stdout == "dh_dx = z\ndh_dz = x\n"


def test_a_name_taken_by_the_program_gets_a_suffix(gradcli):
    assert gradcli("diff", "dy_dx = x*2; y = dy_dx + x").stdout == "dy_dx_2 = 3\n"
