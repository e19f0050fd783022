"""`gradcli.nn`: micrograd's Neuron, Layer and MLP: sizes, hand-checked numbers, micrograd's own."""

from __future__ import annotations

import random

import pytest

from gradcli import Value
from gradcli.nn import MLP, Layer, Module, Neuron


@pytest.mark.parametrize(
    ("make", "count"),
    [
        (lambda: Neuron(3), 4),
        (lambda: Layer(3, 4), 16),
        (lambda: MLP(3, [4, 4, 1]), 41),
        (lambda: MLP(2, [16, 16, 1]), 337),
        (lambda: Module(), 0),
    ],
    ids=["neuron", "layer", "mlp-3-4-4-1", "mlp-2-16-16-1", "module"],
)
def test_parameter_counts(make, count):
    params = make().parameters()
    assert len(params) == count
    assert all(isinstance(p, Value) for p in params)


def test_a_neuron_by_hand():
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    x = [Value(2.0), Value(1.0)]
    out = n(x)  # relu(0.5*2 - 1*1 + 0.25) = 0.25
    out.backward()
    assert out.data == 0.25
    assert [p.grad for p in n.parameters()] == [2.0, 1.0, 1.0]
    assert [v.grad for v in x] == [0.5, -1.0]


def test_a_neuron_below_zero_passes_no_gradient_unless_linear():
    relu, linear = Neuron(1), Neuron(1, nonlin=False)
    for n in (relu, linear):
        n.w[0].data, n.b.data = -2.0, 0.5
    assert [relu([1.0]).data, linear([1.0]).data] == [0.0, -1.5]
    out = relu([1.0])
    out.backward()
    assert [p.grad for p in relu.parameters()] == [0.0, 0.0]


def test_layers_return_a_value_for_one_neuron_and_a_list_for_several():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    outs = Layer(2, 3)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 3
    assert isinstance(MLP(2, [4, 1])([1.0, 2.0]), Value)


def test_every_layer_but_the_last_is_relu():
    model = MLP(2, [3, 3, 1])
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 6 + [False]


def test_zero_grad_zeroes_every_parameter():
    model = MLP(2, [4, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_same_seed_same_network_and_gradients_as_micrograd():
    micrograd = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd.MLP(2, [16, 16, 1])
    assert repr(ours) == repr(theirs)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]):
        ours.zero_grad()
        theirs.zero_grad()
        a, b = ours(x), theirs(x)
        a.backward()
        b.backward()
        assert a.data == pytest.approx(b.data, rel=1e-12)
        assert [p.grad for p in ours.parameters()] == pytest.approx([p.grad for p in theirs.parameters()])


def test_micrograds_training_loop_runs_unchanged_and_learns():
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(40):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.02 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]


def test_a_hidden_layer_of_one_neuron_feeds_the_next_layer():
    model = MLP(2, [1, 1])  # micrograd's MLP fails here: the one-neuron layer returns a bare Value
    model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].w[1].data = 1.0, 1.0
    model.layers[1].neurons[0].w[0].data = 2.0
    assert len(model.parameters()) == 5
    assert model([1.0, 2.0]).data == 6.0  # 2 * relu(1 + 2)
