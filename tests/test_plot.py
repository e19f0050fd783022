"""`gradcli plot` and `step --plot`: the samples (CSV), gaps, kinks and jumps, the pictures, the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcli.batch import Batch
from gradcli.descent import Descent
from gradcli.parser import parse
from gradcli.sampling import curve, surface
from helpers import run_cli

PNG = b"\x89PNG\r\n\x1a\n"


def sampled(program: str, lo: float, hi: float, points: int = 400, wrt=None, **fixed):
    graph = parse(program)
    return curve(Batch(graph, fixed=fixed), "x", lo, hi, points, wrt)


# ---- CSV ----------------------------------------------------------------------------------------


def test_csv_has_the_header_full_precision_and_empty_cells_where_undefined():
    result = run_cli("plot", "y = relu(x) + log(x + 2)", "--x", "-3:1", "--points", "5")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == (
        "x,y,dy/dx\n-3.0,,\n-2.0,,\n-1.0,0.0,1.0\n0.0,0.6931471805599453,0.5\n1.0,2.09861228866811,1.3333333333333333\n"
    )


def test_csv_of_two_ranges_has_one_row_per_grid_point():
    result = run_cli("plot", "f = x*y", "--x", "0:1", "--y", "0:1", "--points", "2")
    assert result.stdout == (
        "x,y,f,df/dx,df/dy\n0.0,0.0,0.0,0.0,0.0\n1.0,0.0,0.0,0.0,1.0\n0.0,1.0,0.0,1.0,0.0\n1.0,1.0,1.0,1.0,1.0\n"
    )


def test_unranged_variables_come_from_bindings_and_wrt_picks_the_derivative():
    result = run_cli(
        "plot", "o = tanh(w*x + b)", "--w", "-1:1", "--x", "2", "--b", "0.5", "--points", "3", "--wrt", "b"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "w,o,do/db"
    assert [float(v) for v in lines[2].split(",")] == [0.0, math.tanh(0.5), 1 - math.tanh(0.5) ** 2]


def test_an_unnamed_output_is_out_and_a_csv_file_is_written(tmp_path):
    target = tmp_path / "s.csv"
    result = run_cli("plot", "x*x", "--x", "0:2", "--points", "3", "--out", str(target))
    assert result.exit_code == 0 and result.stderr == f"wrote {target}\n"
    assert target.read_text() == "x,out,dout/dx\n0.0,0.0,0.0\n1.0,1.0,2.0\n2.0,4.0,4.0\n"


def test_a_wholly_undefined_curve_says_so():
    result = run_cli("plot", "y = log(x)", "--x", "-2:-1", "--points", "2")
    assert result.exit_code == 0
    assert result.stdout == "x,y,dy/dx\n-2.0,,\n-1.0,,\n"
    assert result.stderr == "note: y is undefined at every sample\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (["y = x*x", "--x", "1"], "nothing to plot against: give a range such as --x -4:4 (two ranges draw contours)"),
        (["y = x*x", "--x", "1:0"], "--x 1:0: the low end must be below the high end"),
        (["y = x*x", "--x", "a:1"], "--x (the low end): 'a' is not a number"),
        (["y = x*x", "--x", "0:inf"], "--x (the high end): 'inf' is not a finite number"),
        (["y = x*x", "--x", "0:1:2"], "--x 0:1:2: expected a range LO:HI such as -4:4"),
        (["y = x*z", "--x", "0:1"], "unbound variable: z (bind with --z VALUE)"),
        (
            ["y = x*z*w", "--x", "0:1", "--z", "0:1", "--w", "0:1"],
            "at most two ranges (a curve or contours); got --x, --z, --w",
        ),
        (["y = x*z", "--x", "0:1", "--z", "0:1", "--wrt", "x"], "--wrt is for one range; with two the arrows show"),
        (
            ["y = x*z", "--x", "0:1", "--z", "1", "--wrt", "w"],
            "--wrt w: not a variable of the program (its variables: x, z)",
        ),
        (
            ["y = x*z", "--x", "0:1", "--z", "0:1", "--points", "2001"],
            "--points 2001: with two ranges at most 2,000 per side",
        ),
        (["y = x", "--x", "0:1", "--out", "a.txt"], "--out a.txt: name it .png, .svg or .pdf for a picture, or .csv"),
        (
            ["y = x", "--x", "0:1", "--out", "/nonexistent/a.png"],
            "cannot write /nonexistent/a.png: the folder /nonexistent",
        ),
        (["y = x", "--y", "0:1"], "y is computed by the program, not a variable (its variables: x)"),
        (["y = x", "--x", "0:1", "--points", "1"], "'--points': 1 is not in the range 2<=x<=1000000"),
        (["f = x*y", "--x", "0:1", "--y", "0:1", "--order", "2"], "--order 2 is for one range; with two the contours"),
        (["y = x", "--x", "0:1", "--order", "3"], "'--order': 3 is not in the range 1<=x<=2"),
    ],
)
def test_bad_plots_are_input_errors(args, message):
    result = run_cli("plot", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


# ---- what a curve holds -------------------------------------------------------------------------


def test_kinks_between_samples_are_found_where_the_edge_changes_sign():
    c = sampled("y = relu(x - 0.3) + abs(x + 1) + max(x, 1 - x)", -2, 2, points=400)
    assert [round(k.x, 9) for k in c.kinks] == [-1.0, 0.3, 0.5]
    assert [k.text for k in c.kinks] == ["abs(x + 1)", "relu(x - 0.3)", "max(x, 1 - x)"]


def test_a_kink_exactly_on_a_sample_is_found_too():
    c = sampled("y = relu(x)", -1, 1, points=5)
    assert [k.x for k in c.kinks] == [0.0]
    x, d = c.breaks(c.series[1])
    assert np.isnan(d[2]) and not np.isnan(d[[0, 1, 3, 4]]).any()  # the convention value is not joined up


def test_the_derivative_breaks_at_a_kink_and_the_function_does_not():
    c = sampled("y = abs(x)", -1, 1, points=4)
    x, f = c.breaks(c.series[0])
    assert len(x) == 4 and not np.isnan(f).any()
    x, d = c.breaks(c.series[1])
    assert x.tolist() == pytest.approx([-1.0, -1 / 3, 0.0, 1 / 3, 1.0]) and np.isnan(d[2])
    assert d[[1, 3]].tolist() == [-1.0, 1.0]


def test_a_pole_breaks_every_series_instead_of_drawing_a_spike():
    c = sampled("y = 1/x", -1, 1, points=4)
    assert c.jumps.tolist() == [1]  # between -1/3 and 1/3
    for s in c.series:
        x, y = c.breaks(s)
        assert np.isnan(y[2]) and x[2] == pytest.approx(0.0)
    smooth = sampled("y = x**3 - x", -2, 2)
    assert smooth.jumps.size == 0


def test_the_series_are_one_list_so_another_derivative_is_one_more_entry():
    c = sampled("y = sin(x)", 0, 1, points=3)
    assert [(s.name, s.order) for s in c.series] == [("y", 0), ("dy/dx", 1)]


# ---- the second derivative (--order 2) -----------------------------------------------------------


def test_order_2_adds_the_second_derivative_column():
    result = run_cli("plot", "y = x**3 - x", "--x", "-1:1", "--points", "5", "--order", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "x,y,dy/dx,d2y/dx2\n-1.0,0.0,2.0,-6.0\n-0.5,0.375,-0.25,-3.0\n0.0,0.0,-1.0,0.0\n"
        "0.5,-0.375,-0.25,3.0\n1.0,0.0,2.0,6.0\n"
    )
    # undefined where the function is; a derivative that is constant along the range; --wrt another variable
    result = run_cli("plot", "y = log(x)", "--x", "-1:1", "--points", "3", "--order", "2")
    assert result.stdout == "x,y,dy/dx,d2y/dx2\n-1.0,,,\n0.0,,,\n1.0,0.0,1.0,-1.0\n"
    result = run_cli("plot", "y = 3*x + w", "--x", "-1:1", "--w", "2", "--points", "3", "--order", "2")
    assert result.stdout == "x,y,dy/dx,d2y/dx2\n-1.0,-1.0,3.0,0.0\n0.0,2.0,3.0,0.0\n1.0,5.0,3.0,0.0\n"
    result = run_cli("plot", "y = x*w**3", "--x", "-1:1", "--w", "2", "--points", "3", "--order", "2", "--wrt", "w")
    assert result.stdout == "x,y,dy/dw,d2y/dw2\n-1.0,-8.0,-12.0,-12.0\n0.0,0.0,0.0,0.0\n1.0,8.0,12.0,12.0\n"


@pytest.mark.parametrize(
    "program", ["y = tanh(x)*sin(3*x)", "y = x**x", "y = sigmoid(x**2 - 1)/(1 + x**2)", "y = relu(x)**3 - abs(x)*x"]
)
def test_the_second_derivative_is_the_hessians_and_the_first_derivatives_slope(program):
    graph = parse(program)
    c = curve(Batch(graph), "x", 0.05, 2.05, 2001, order=2)
    (_, f), (_, d), (name, d2) = ((s.name, s.values) for s in c.series)
    assert name == "d2y/dx2"
    h = c.x[1] - c.x[0]
    slope = (d[2:] - d[:-2]) / (2 * h)  # the first derivative's central difference
    assert d2[1:-1] == pytest.approx(slope, rel=1e-3, abs=1e-3)
    from gradcli.hessian import hessian

    for k in (0, 777, 2000):
        at = hessian(graph, {"x": float(c.x[k])}, graph.output, [graph.variables["x"]])
        assert d2[k] == pytest.approx(at.matrix[0][0], rel=1e-12, abs=1e-15)


def test_order_2_draws_a_third_panel(tmp_path):
    from gradcli.views.plot import curve_figure

    fig = curve_figure(curve(Batch(parse("y = relu(x)**2 + log(x + 2)")), "x", -3, 1, 200, order=2))
    assert [ax.get_ylabel() for ax in fig.axes] == ["y", "dy/dx", "d2y/dx2"]
    target = tmp_path / "t.png"
    result = run_cli("plot", "y = tanh(x)", "--x", "-4:4", "--order", "2", "--out", str(target))
    assert result.exit_code == 0 and target.read_bytes()[:8] == PNG


def test_a_surface_holds_the_gradient_and_the_kink_lines():
    graph = parse("L = abs(x) + y*y")
    s = surface(Batch(graph), {"x": (-1.0, 1.0), "y": (-1.0, 1.0)}, 5)
    assert s.value.shape == (5, 5) and s.value[2, 2] == 0.0
    assert s.gradient[1][:, 0].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert [text for text, _ in s.kinks] == ["abs(x)"]


# ---- pictures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["y = relu(x) + log(x + 2)", "--x", "-4:4"],
        ["y = tan(x)", "--x", "-4:4"],
        ["L = abs(x) + max(y, x*x) + log(x + y + 2)", "--x", "-2:2", "--y", "-2:2", "--points", "60"],
        ["y = log(x)", "--x", "-2:-1"],
    ],
)
@pytest.mark.slow
def test_pictures_are_written(tmp_path, args):
    target = tmp_path / "p.png"
    result = run_cli("plot", *args, "--out", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(PNG)


def test_svg_and_pdf(tmp_path):
    for name in ("p.svg", "p.pdf"):
        assert run_cli("plot", "y = x*x", "--x", "-1:1", "--out", str(tmp_path / name)).exit_code == 0
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:500]
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")


def test_the_curve_figure_has_one_panel_per_series_titled_by_the_program():
    from gradcli.views.plot import curve_figure

    fig = curve_figure(sampled("y = relu(x)", -1, 1))
    assert len(fig.axes) == 2
    assert fig.get_suptitle() == "y = relu(x)"
    assert [ax.get_ylabel() for ax in fig.axes] == ["y", "dy/dx"] and fig.axes[1].get_xlabel() == "x"
    assert "kink: relu(x)" in fig.axes[0].get_legend().get_texts()[0].get_text()


# ---- step --plot --------------------------------------------------------------------------------


def test_the_trail_follows_every_step():
    graph = parse("L = (x - 3)**2 + 5*(y + 1)**2")
    d = Descent(graph, {"x": 0.0, "y": 0.0}, graph.output, 0.08, list(graph.variables.values()), trail=True)
    d.run(5)
    assert len(d.trail) == len(d.history) == 6
    assert d.trail[0] == [0.0, 0.0] and d.trail[1] == pytest.approx([0.48, -0.8])
    assert d.trail[-1] == [d.values[i] for i in d.moving]


def test_the_trail_stops_at_the_last_finite_state():
    graph = parse("L = x**2")
    d = Descent(graph, {"x": 3.0}, graph.output, 1.5, [graph.variables["x"]], trail=True)
    d.run(1000)
    assert d.problem and len(d.trail) == len(d.history) == d.steps + 1


@pytest.mark.parametrize(
    "program,bindings",
    [
        ("L = (x - 3)**2 + 5*(y + 1)**2", ["--x", "0", "--y", "0"]),
        ("L = x**4 - 3*x**2 + x", ["--x", "2"]),
        ("o = tanh(x1*w1 + x2*w2 + b)", ["--x1", "2", "--x2", "0", "--w1", "-3", "--w2", "1", "--b", "6.88"]),
    ],
)
def test_step_plot_draws_one_two_or_more_moving_variables(tmp_path, program, bindings):
    target = tmp_path / "path.png"
    result = run_cli("step", program, *bindings, "--lr", "0.02", "--steps", "20", "--plot", str(target))
    assert result.exit_code == 0 and result.stderr == f"wrote {target}\n"
    assert target.read_bytes().startswith(PNG)


def test_step_plot_draws_the_path_on_the_contours():
    from gradcli.sampling import around_descent
    from gradcli.views.plot import descent_figure

    graph = parse("L = (x - 3)**2 + 5*(y + 1)**2")
    d = Descent(graph, {"x": 0.0, "y": 0.0}, graph.output, 0.08, list(graph.variables.values()), trail=True)
    d.run(30)
    ax = descent_figure(d, around_descent(d)).axes[0]
    line = next(line for line in ax.get_lines() if len(line.get_xdata()) == 31)
    assert line.get_xdata()[0] == 0.0 and line.get_xdata()[-1] == pytest.approx(3.0, abs=0.05)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["start", "each step (30)", "end"]


def test_step_plot_after_a_failing_step_draws_the_finite_part_and_exits_1(tmp_path):
    target = tmp_path / "path.png"
    result = run_cli("step", "L = x**2", "--x", "3", "--lr", "1.5", "--steps", "1000", "--plot", str(target))
    assert result.exit_code == 1 and "wrote" in result.stderr and "step 511 of 1000 failed" in result.stderr
    assert target.read_bytes().startswith(PNG)


def test_step_plot_refuses_a_bad_name_before_descending(tmp_path):
    result = run_cli("step", "L = x*x", "--x", "1", "--lr", "0.1", "--plot", str(tmp_path / "p.txt"))
    assert result.exit_code == 2 and "expected a .png, .svg or .pdf file name" in result.stderr
