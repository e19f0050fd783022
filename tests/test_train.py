"""`gradcli train`, `gradcli.datasets` and `gradcli.training`: data, CSV errors, the batched graph against scalar Values
and micrograd, accuracy reached, the report, JSON, the plot, the progress bar."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from gradcli import Value
from gradcli.datasets import circles, load_data, moons, read_csv
from gradcli.nn import MLP
from gradcli.training import ALPHA, Network, train

SMALL = ("--samples", "40", "--hidden", "8", "--steps", "12")

# ---- data --------------------------------------------------------------------------------------


def test_moons_without_noise_lie_on_two_half_circles():
    d = moons(50, seed=3, noise=0.0)
    outer, inner = d.y == -1, d.y == 1
    assert (outer.sum(), inner.sum()) == (25, 25)
    assert np.allclose(d.x1[outer] ** 2 + d.x2[outer] ** 2, 1.0)
    assert np.allclose((d.x1[inner] - 1) ** 2 + (d.x2[inner] - 0.5) ** 2, 1.0)
    assert (d.x2[outer] >= 0).all() and (d.x2[inner] <= 0.5).all()


def test_circles_without_noise_lie_on_two_circles():
    d = circles(51, seed=3, noise=0.0)
    radius = np.hypot(d.x1, d.x2)
    assert np.allclose(radius[d.y == -1], 1.0) and np.allclose(radius[d.y == 1], 0.5)
    assert ((d.y == -1).sum(), (d.y == 1).sum()) == (25, 26)


def test_generated_data_depends_on_the_seed_only():
    a, b, c = moons(100, 1), moons(100, 1), moons(100, 2)
    assert np.array_equal(a.x1, b.x1) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x1, c.x1)


def test_csv_with_header_blank_lines_spaces_and_0_1_labels(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("\ufeffX1, x2 ,Label\n0.5, -1, 1\n\n2e-1,3,0\n")
    d = read_csv(str(path))
    assert (d.name, d.x1.tolist(), d.x2.tolist(), d.y.tolist()) == ("points.csv", [0.5, 0.2], [-1.0, 3.0], [1.0, -1.0])


def test_csv_without_header_and_minus_1_labels(tmp_path):
    (tmp_path / "p.csv").write_text("1,2,-1\n3,4,1\n")
    assert read_csv(str(tmp_path / "p.csv")).y.tolist() == [-1.0, 1.0]


CSV_ERRORS = [
    ("x1,x2,label\n1,2,1\n3,4\n", "bad.csv, line 3: expected 3 values (x1, x2, label), got 2"),
    ("1,2,1\n3,4,-1,5\n", "bad.csv, line 2: expected 3 values (x1, x2, label), got 4"),
    ("1,abc,1\n", "bad.csv, line 1: x2 is not a number: 'abc'"),
    ("inf,1,1\n", "bad.csv, line 1: x1 is not a finite number: 'inf'"),
    ("1,2,1\n3,4,2\n", "bad.csv, line 2: the label must be -1 or 1 (or 0 or 1), got '2'"),
    ("1,2,yes\n", "bad.csv, line 1: the label must be -1 or 1 (or 0 or 1), got 'yes'"),
    ("1,2,-1\n\n3,4,0\n", "bad.csv, line 3: label 0 mixes 0/1 and -1/1 labels (line 1 has -1)"),
    ("x,y\n1,2\n", "bad.csv, line 1: the header names 2 columns (x, y) (x1, x2, label)"),
    (
        "id,x,y,label\n1,2,1,1\n",
        "bad.csv, line 1: the header names 4 columns (id, x, y, label); pick the two inputs and the label with --columns",
    ),
    ("1,2,1,1\n", "bad.csv, line 1: expected 3 values, got 4; pick the two inputs and the label with --columns"),
    ("x,y,label\n1,2,1\n3,z,-1\n", "bad.csv, line 3: y is not a number: 'z'"),
    ('1,2,1\n3,"4"x,-1\n', "bad.csv, line 2: not valid CSV: ',' expected after '\"'"),
    ("x1,x2,label\n", "bad.csv: no data rows after the header"),
    ("", "bad.csv: no data rows (expected columns x1, x2, label)"),
    ("1,2,0\n3,4,0\n", "bad.csv: every row has label 0; training needs both classes"),
    ("1,2,1\n3,4,1\n", "bad.csv: every row has label 1; training needs both classes"),
]


@pytest.mark.parametrize(("text", "message"), CSV_ERRORS, ids=[m.split(": ", 1)[1][:30] for _, m in CSV_ERRORS])
def test_a_bad_csv_is_an_input_error_naming_the_line(gradcli, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text(text)
    r = gradcli("train", "--data", "bad.csv", "--steps", "1")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


def test_unreadable_data(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"1,2,1\0")
    assert (
        gradcli("train", "--data", "bin.csv").stderr
        == "error: cannot read bin.csv: it is a binary file, not CSV text\n"
    )
    assert gradcli("train", "--data", ".").stderr == "error: cannot read .: it is a folder\n"
    r = gradcli("train", "--data", "moon")
    expected = (
        "error: --data moon: expected moons, circles or a CSV file, and there is no such file; did you mean moons?\n"
    )
    assert (r.exit_code, r.stderr) == (2, expected)


def test_a_header_may_name_the_columns_anything(tmp_path):
    (tmp_path / "named.csv").write_text("x,y,label\n0.5,-1,1\n0.2,3,0\n")
    (tmp_path / "plain.csv").write_text("x1,x2,label\n0.5,-1,1\n0.2,3,0\n")
    named, plain = read_csv(str(tmp_path / "named.csv")), read_csv(str(tmp_path / "plain.csv"))
    assert [named.x1.tolist(), named.x2.tolist(), named.y.tolist()] == [[0.5, 0.2], [-1.0, 3.0], [1.0, -1.0]]
    assert [plain.x1.tolist(), plain.x2.tolist(), plain.y.tolist()] == [[0.5, 0.2], [-1.0, 3.0], [1.0, -1.0]]


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("id,class,b,a\n7,1,-1,0.5\n8,0,3,0.2\n", ["a", "b", "class"]),
        ("id,Class,B,A\n7,1,-1,0.5\n8,0,3,0.2\n", ["a", "b", "class"]),  # any case, when it is unambiguous
        ("id,class,b,a\n7,1,-1,0.5\n8,0,3,0.2\n", ["4", "3", "2"]),
        ("7,1,-1,0.5\n8,0,3,0.2\n", ["4", "3", "2"]),
    ],
    ids=["names", "names-any-case", "positions", "positions-no-header"],
)
def test_columns_by_name_or_position(tmp_path, text, columns):
    (tmp_path / "wide.csv").write_text(text)
    d = read_csv(str(tmp_path / "wide.csv"), columns)
    assert [d.x1.tolist(), d.x2.tolist(), d.y.tolist()] == [[0.5, 0.2], [-1.0, 3.0], [1.0, -1.0]]


COLUMN_ERRORS = [
    ("x,y,label\n1,2,1\n", "x,z,label", "--columns: z is not a column of wide.csv (its header: x, y, label)"),
    (
        "x,y,label\n1,2,1\n",
        "x,yy,label",
        "--columns: yy is not a column of wide.csv (its header: x, y, label); did you mean y?",
    ),
    ("a,A,y,label\n1,2,3,1\n", "A,y,label", None),  # an exact name wins over another case
    (
        "a,A,y,label\n1,2,3,1\n",
        "A2,y,label",
        "--columns: A2 is not a column of wide.csv (its header: a, A, y, label); did you mean A?",
    ),
    ("x,x,y\n1,2,1\n", "x,y,1", "--columns: x names two columns of wide.csv (its header: x, x, y)"),
    (
        "1,2,1\n",
        "x,y,label",
        "--columns: wide.csv has no header row to find x in; give columns by position (1,2,3) instead",
    ),
    ("1,2,1\n", "1,2,4", "--columns: there is no column 4 in wide.csv, which has 3 columns"),
    (
        "x,y,label\n1,2,1\n",
        "x,1,label",
        "--columns x,1,label: the two inputs and the label must be three different columns",
    ),
    (
        "x,y,label\n1,2,1\n",
        "x,y",
        "--columns x,y: expected the two input columns and the label column, such as x1,x2,label",
    ),
    (
        "x,y,label\n1,2,1\n",
        "x,,label",
        "--columns x,,label: expected the two input columns and the label column, such as x1,x2,label",
    ),
    ("x,y,label,w\n1,2,1,5\n3,4,0\n", "x,y,label", "wide.csv, line 3: expected 4 values (x, y, label, w), got 3"),
]


@pytest.mark.parametrize(
    ("text", "columns", "message"), COLUMN_ERRORS, ids=[c[1] + (c[2] or "")[:20] for c in COLUMN_ERRORS]
)
def test_bad_columns_are_input_errors(gradcli, tmp_path, monkeypatch, text, columns, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wide.csv").write_text(text)
    r = gradcli("train", "--data", "wide.csv", "--columns", columns, "--steps", "1")
    if message is None:  # one class only: the columns were found
        assert r.stderr == "error: wide.csv: every row has label 1; training needs both classes\n"
    else:
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


def test_columns_train_from_a_wide_file(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wide.csv").write_text("id,class,b,a\n7,1,-1,0.5\n8,0,3,0.2\n9,1,2,2\n")
    r = gradcli("train", "--data", "wide.csv", "--columns", "a,b,class", "--steps", "2", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert (json.loads(r.stdout)["data"], json.loads(r.stdout)["samples"]) == ("wide.csv", 3)
    r = gradcli("train", "--columns", "a,b,class", "--steps", "2")
    assert (r.exit_code, r.stderr) == (2, "error: --columns is for a CSV file; moons and circles have their own\n")


def test_an_empty_data_name_says_what_to_give(gradcli):
    r = gradcli("train", "--data", "")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == "error: --data needs moons, circles or the name of a CSV file (- for standard input)\n"


def test_csv_from_standard_input(gradcli):
    r = gradcli("train", "--data", "-", "--steps", "2", "--format", "json", input="1,2,1\n-1,-2,0\n")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["data"] == "stdin" and json.loads(r.stdout)["samples"] == 2


# ---- the batched graph ---------------------------------------------------------------------------


def test_the_network_graph_has_the_inputs_label_and_parameters_as_variables():
    net = Network([16, 16], seed=1)
    assert set(net.graph.variables) == {"x1", "x2", "y"} | {f"p{k}" for k in range(337)}
    assert {"score", "hinge", "reg"} <= set(net.graph.named)
    assert net.sizes == [2, 16, 16, 1] and len(net.params) == 337


def micrograd_loss(value_class, mlp_class, data, hidden, seed):
    """micrograd's demo loss over the data, built per sample with scalar values."""
    random.seed(seed)
    model = mlp_class(2, [*hidden, 1])
    scores = [model([value_class(a), value_class(b)]) for a, b in zip(data.x1.tolist(), data.x2.tolist())]
    losses = [(1 + -yi * si).relu() for yi, si in zip(data.y.tolist(), scores)]
    total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())
    total.backward()
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(data.y.tolist(), scores)) / len(scores)
    return total.data, accuracy, [p.grad for p in model.parameters()]


def test_the_batched_graph_agrees_with_scalar_values_sample_by_sample():
    data = circles(30, seed=5)
    net = Network([6, 5], seed=9)
    loss, accuracy, grad = net.loss(data)
    ours = micrograd_loss(Value, MLP, data, [6, 5], seed=9)
    assert (loss, accuracy) == pytest.approx(ours[:2], rel=1e-12)
    assert grad.tolist() == pytest.approx(ours[2], rel=1e-9, abs=1e-15)


def test_the_batched_graph_agrees_with_micrograd():
    engine, nn = pytest.importorskip("micrograd.engine"), pytest.importorskip("micrograd.nn")
    data = moons(25, seed=2)
    loss, accuracy, grad = Network([8, 8], seed=4).loss(data)
    theirs = micrograd_loss(engine.Value, nn.MLP, data, [8, 8], seed=4)
    assert (loss, accuracy) == pytest.approx(theirs[:2], rel=1e-12)
    assert grad.tolist() == pytest.approx(theirs[2], rel=1e-9, abs=1e-15)


def test_chunks_give_the_same_loss_and_gradient(monkeypatch):
    data = moons(50, seed=1)
    whole = Network([4], seed=1).loss(data)
    monkeypatch.setattr("gradcli.training.CHUNK", 7)
    pieces = Network([4], seed=1).loss(data)
    assert pieces[:2] == pytest.approx(whole[:2], rel=1e-12)
    assert pieces[2] == pytest.approx(whole[2], rel=1e-12)


def test_moons_with_100_samples_reaches_98_percent_in_100_steps():
    _, history = train(load_data("moons", 100, 1337), [16, 16], 100, 1.0, 1337)
    assert history.final_accuracy >= 0.98
    assert history.final_loss < 0.05 < history.loss[0]
    assert len(history.loss) == len(history.accuracy) == 100


def test_training_leaves_pythons_random_state_alone():
    random.seed(5)
    expected = random.random()
    random.seed(5)
    train(moons(10, 1), [2], 1, 1.0, 1)
    assert random.random() == expected


# ---- the command -------------------------------------------------------------------------------

REPORT = """\
MLP 2-8-1 (33 parameters) on moons (40 samples), 12 steps, lr 1 -> 0.1

step     loss   accuracy
────────────────────────
   0   0.9639      50.0%
   1   0.5670      75.0%
   2   0.4412      80.0%
   5   0.3627      82.5%
  10   0.3420      85.0%
  12   0.3394      85.0%

final accuracy: 85.0% (34 of 40 samples)
"""


def test_table_report(gradcli):
    r = gradcli("train", *SMALL)
    assert (r.exit_code, r.stdout, r.stderr) == (0, REPORT, "")


def test_json_shape(gradcli):
    r = gradcli("train", *SMALL, "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == [
        "data", "samples", "hidden", "parameters", "lr", "seed", "steps",
        "loss", "accuracy", "final_loss", "final_accuracy",
    ]  # fmt: skip
    assert {k: data[k] for k in ("data", "samples", "hidden", "parameters", "lr", "seed", "steps")} == {
        "data": "moons", "samples": 40, "hidden": [8], "parameters": 33, "lr": 1.0, "seed": 1337, "steps": 12,
    }  # fmt: skip
    assert len(data["loss"]) == len(data["accuracy"]) == 12
    assert data["loss"][0] == pytest.approx(0.9638751061164151, rel=1e-9)
    assert data["accuracy"][:3] == [0.5, 0.75, 0.8]
    assert (round(data["final_loss"], 4), data["final_accuracy"]) == (0.3394, 0.85)


def test_no_hidden_layer_is_a_linear_classifier(gradcli):
    data = json.loads(gradcli("train", "--hidden", "", "--steps", "3", "--format", "json").stdout)
    assert (data["hidden"], data["parameters"]) == ([], 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--hidden", "16,x"), "--hidden 16,x: expected layer sizes such as 16,16 (positive whole numbers)"),
        (("--hidden", "0"), "--hidden 0: expected layer sizes such as 16,16 (positive whole numbers)"),
        (("--lr", "-1"), "--lr must be positive (got -1)"),
        (("--lr", "abc"), "--lr: 'abc' is not a number"),
        (("--plot", "out.jpg"), "--plot out.jpg: expected a .png, .svg or .pdf file name"),
        (("--plot", "nowhere/out.png"), "cannot write nowhere/out.png: the folder nowhere does not exist"),
        (
            ("--data", "moons.csv", "--samples", "5"),
            "--samples is for moons and circles; a CSV file trains on all its rows",
        ),
        (("--samples", "1"), "invalid value for '--samples': 1 is not in the range x>=2."),
    ],
    ids=["hidden", "hidden-0", "lr-negative", "lr-text", "plot-ext", "plot-folder", "samples-csv", "samples-1"],
)
def test_bad_options_are_input_errors(gradcli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = gradcli("train", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


def test_divergence_is_an_evaluation_error_and_writes_no_plot(gradcli, tmp_path):
    r = gradcli("train", "--lr", "1e300", "--steps", "3", "--plot", str(tmp_path / "out.png"))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: training diverged: the loss is nan after 1 update; try a smaller --lr\n"
    assert list(tmp_path.iterdir()) == []


def interrupt_at(monkeypatch, call: int) -> None:
    """Ctrl-C lands in the `call`-th gradient pass of the training (1: the first step's)."""
    loss, calls = Network.loss, []

    def interrupted(self, data, gradient=True):
        calls.append(gradient)
        if gradient and calls.count(True) == call:
            raise KeyboardInterrupt
        return loss(self, data, gradient)

    monkeypatch.setattr(Network, "loss", interrupted)


INTERRUPTED_REPORT = """\
MLP 2-8-1 (33 parameters) on moons (40 samples), 3 steps, lr 1 -> 0.1

step     loss   accuracy
────────────────────────
   0   0.9639      50.0%
   1   0.5670      75.0%
   2   0.4412      80.0%
   3   0.4049      80.0%

final accuracy: 80.0% (32 of 40 samples)
"""


def test_ctrl_c_reports_the_steps_done_and_exits_130(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr("gradcli.views.boundary.GRID", 40)
    interrupt_at(monkeypatch, 4)  # during step 4: steps 1-3 stand
    r = gradcli("train", *SMALL, "--plot", str(tmp_path / "out.png"))
    said = f"wrote {tmp_path / 'out.png'}\nerror: interrupted after step 3 of 12; the report shows that state\n"
    assert (r.exit_code, r.stdout, r.stderr) == (130, INTERRUPTED_REPORT, said)
    assert (tmp_path / "out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the picture of that state
    interrupt_at(monkeypatch, 4)
    r = gradcli("train", *SMALL, "--format", "json")
    data = json.loads(r.stdout)
    monkeypatch.undo()
    whole = json.loads(gradcli("train", *SMALL, "--format", "json").stdout)  # the same run, not interrupted
    assert (r.exit_code, data["steps"], data["loss"], data["accuracy"]) == (
        130,
        3,
        whole["loss"][:3],
        whole["accuracy"][:3],
    )
    assert (data["final_loss"], data["final_accuracy"]) == (whole["loss"][3], whole["accuracy"][3])


def test_ctrl_c_in_the_first_step_reports_the_untrained_network(gradcli, monkeypatch):
    interrupt_at(monkeypatch, 1)
    r = gradcli("train", *SMALL)
    assert r.exit_code == 130
    assert r.stdout.splitlines()[0] == "MLP 2-8-1 (33 parameters) on moons (40 samples), 0 steps, lr 1 -> 0.1"
    assert r.stdout.splitlines()[4] == "   0   0.9639      50.0%"
    assert r.stderr == "error: interrupted before step 1 of 12 finished; the report shows the untrained network\n"


@pytest.mark.parametrize("where", ["add_task", "update"])
def test_ctrl_c_in_the_progress_bar_is_covered_too(gradcli, monkeypatch, where):
    from rich.progress import Progress

    original = getattr(Progress, where)

    def interrupted(self, *args, **kwargs):
        if where == "add_task" or kwargs.get("completed") == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Progress, where, interrupted)
    r = gradcli("train", *SMALL, env={"TTY_COMPATIBLE": "1", "TERM": "xterm"})
    done = {"add_task": "before step 1 of 12 finished", "update": "after step 2 of 12"}[where]
    assert r.exit_code == 130
    assert f"error: interrupted {done}; the report shows" in r.stderr
    assert "final accuracy" in r.stdout


@pytest.mark.slow
def test_plot_writes_a_png_and_says_so(gradcli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("gradcli.views.boundary.GRID", 40)
    r = gradcli("train", *SMALL, "--plot", "boundary.png", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "wrote boundary.png\n"
    assert json.loads(r.stdout)["final_accuracy"] == 0.85
    assert (tmp_path / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["boundary.png"]


@pytest.mark.slow
def test_plot_as_svg(gradcli, tmp_path, monkeypatch):
    monkeypatch.setattr("gradcli.views.boundary.GRID", 40)
    r = gradcli("train", "--data", "circles", "--samples", "30", "--steps", "3", "--plot", str(tmp_path / "b.svg"))
    assert r.exit_code == 0, r.stderr
    assert "<svg" in (tmp_path / "b.svg").read_text()[:500]


def test_progress_bar_on_a_terminal_only(gradcli):
    terminal = {"TTY_COMPATIBLE": "1", "TERM": "xterm"}
    r = gradcli("train", *SMALL, env=terminal)
    assert r.exit_code == 0
    assert "training" in r.stderr and "12/12" in r.stderr and "accuracy 85%" in r.stderr
    assert gradcli("train", *SMALL, "--format", "json", env=terminal).stderr == ""
    assert gradcli("train", *SMALL).stderr == ""


def test_a_network_too_large_for_the_machine_is_refused_before_it_is_built(gradcli, monkeypatch):
    import gradcli.training as training

    def never(*args, **kwargs):
        raise AssertionError("the network was built")

    monkeypatch.setattr(training.Network, "__init__", never)
    r = gradcli("train", "--hidden", "3000,3000")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr.startswith(
        "error: the network 2-3000-3000-1 (9,015,001 parameters) would need about 63 GB of memory"
    )
    assert r.stderr.endswith("; use smaller --hidden layers\n")
    monkeypatch.setattr(training, "_memory", lambda: 2**30)  # a 1 GB machine
    r = gradcli("train", "--hidden", "500,500", "--samples", "100")
    assert r.exit_code == 2 and "more than this machine's 1 GB" in r.stderr
