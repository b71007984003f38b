"""convbook.network: relu, dense, softmax cross-entropy and a whole network, against float64 definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import finite_difference
from scipy.special import logsumexp

from convbook import network
from convbook.network import (
    dense,
    dense_backward,
    relu,
    relu_backward,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
def test_relu_and_its_gradient(seed, shape):
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    np.testing.assert_array_equal(relu(x), np.where(x > 0, x, 0.0))
    expected = finite_difference(lambda: float(np.sum(relu(x) * g)), x)  # no x within 1e-6 of the kink
    np.testing.assert_allclose(relu_backward(x, g), expected, rtol=1e-6, atol=1e-9)


def test_relu_gradient_at_zero_is_zero_as_in_tensorflow():
    assert relu_backward(np.array([0.0, -0.0, 1e-30]), np.ones(3)).tolist() == [0, 0, 1]


@st.composite
def dense_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    batch, features, units = draw(st.integers(0, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return (
        rng.standard_normal((batch, features)),
        rng.standard_normal((features, units)),
        rng.standard_normal(units),
        rng.standard_normal((batch, units)),
    )


@settings(max_examples=20, deadline=None)
@given(case=dense_cases())
def test_dense_matches_the_definition_and_finite_differences(case):
    x, kernel, bias, g = case
    expected = np.einsum("bf,fu->bu", x, kernel) + bias
    np.testing.assert_allclose(dense(x, kernel, bias), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dense(x, kernel), expected - bias, rtol=1e-12, atol=1e-12)

    def loss():
        return float(np.sum(dense(x, kernel, bias) * g))

    grads = dense_backward(x, kernel, g)
    np.testing.assert_allclose(grads.dx, finite_difference(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads.dkernel, finite_difference(loss, kernel), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads.dbias, finite_difference(loss, bias), rtol=1e-6, atol=1e-8)
    # adjoint identity of the linear map x -> x @ kernel
    np.testing.assert_allclose(np.sum(dense(x, kernel) * g), np.sum(x * grads.dx), rtol=1e-10, atol=1e-10)


@st.composite
def logits_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.1, 1.0, 30.0]))
    return rng.standard_normal((batch, classes)) * scale, rng.integers(0, classes, batch)


@settings(max_examples=30, deadline=None)
@given(case=logits_cases())
def test_softmax_cross_entropy_matches_the_definition_and_finite_differences(case):
    z, labels = case
    expected = np.mean(logsumexp(z, axis=1) - z[np.arange(len(labels)), labels])
    np.testing.assert_allclose(softmax_cross_entropy(z, labels), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1, rtol=1e-12)
    grad = softmax_cross_entropy_backward(z, labels)
    expected_grad = finite_difference(lambda: float(softmax_cross_entropy(z, labels)), z)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-8)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0], [-1000.0, -1000.0]], dtype=np.float32)
    loss = softmax_cross_entropy(z, np.array([1, 0]))
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss, (1000 + np.log(2)) / 2, rtol=1e-6)
    assert np.all(np.isfinite(softmax_cross_entropy_backward(z, np.array([1, 0]))))


def tiny_network(rng, head: str, dtype=np.float64) -> network.Sequential:
    """Conv (same, no bias) -> BN -> ReLU -> MaxPool -> Conv (bias) -> ReLU -> GAP or Flatten -> Dense."""

    def w(*shape):
        return rng.standard_normal(shape).astype(dtype)

    features = 3 if head == "gap" else 2 * 2 * 3
    return network.Sequential(
        [
            network.Conv2D(w(3, 3, 1, 2), padding="same"),
            network.BatchNorm(1 + 0.1 * w(2), 0.1 * w(2), np.zeros(2, dtype), np.ones(2, dtype)),
            network.ReLU(),
            network.MaxPool2D(2),
            network.Conv2D(w(2, 2, 2, 3), w(3), strides=1, padding="same"),
            network.ReLU(),
            network.GlobalAveragePool() if head == "gap" else network.Flatten(),
            network.Dense(w(features, 4), w(4)),
        ]
    )


@pytest.mark.parametrize("head", ["gap", "flatten"])
@pytest.mark.parametrize("training", [True, False])
@settings(max_examples=6, deadline=None)
@given(seed=seeds)
def test_network_gradients_match_finite_differences(head, training, seed):
    rng = np.random.default_rng(seed)
    net = tiny_network(rng, head)
    x, labels = rng.standard_normal((3, 5, 4, 1)), rng.integers(0, 4, 3)

    def loss():
        return float(softmax_cross_entropy(net.forward(x, training), labels))

    logits = net.forward(x, training)
    net.backward(softmax_cross_entropy_backward(logits, labels))
    for layer in net.layers:
        for name in layer.trainable:
            expected = finite_difference(loss, getattr(layer, name))
            np.testing.assert_allclose(layer.gradients[name], expected, rtol=1e-4, atol=1e-7, err_msg=name)


def test_step_is_plain_sgd_and_weights_come_in_keras_order():
    rng = np.random.default_rng(0)
    net = tiny_network(rng, "flatten", np.float32)
    before = [w.copy() for w in net.get_weights()]
    assert [w.shape for w in before] == [(3, 3, 1, 2), (2,), (2,), (2,), (2,), (2, 2, 2, 3), (3,), (12, 4), (4,)]
    x, labels = rng.standard_normal((4, 4, 4, 1)).astype(np.float32), rng.integers(0, 4, 4)
    loss = net.train_step(x, labels, learning_rate=0.1)
    assert loss.dtype == np.float32 and all(w.dtype == np.float32 for w in net.get_weights())
    trainable = [(layer, name) for layer in net.layers for name in layer.trainable]
    for layer, name in trainable:
        index = next(i for i, w in enumerate(net.get_weights()) if w is getattr(layer, name))
        np.testing.assert_allclose(getattr(layer, name), before[index] - np.float32(0.1) * layer.gradients[name])
    bn = net.layers[1]  # its moving averages moved in the forward pass, by 1 - momentum of the way
    assert not np.array_equal(bn.moving_mean, before[3])


def test_bad_input():
    with pytest.raises(ValueError, match=r"kernel has 3 input features but x has 2"):
        dense(np.ones((1, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"x must have 2 axes .*x\[None\]"):
        dense(np.ones(2), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        dense(np.ones((1, 2)), np.ones((2, 4)), np.ones(3))
    with pytest.raises(ValueError, match=r"grad_output must have the shape of dense's output, \(1, 4\)"):
        dense_backward(np.ones((1, 2)), np.ones((2, 4)), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"labels must lie in 0 .. 2"):
        softmax_cross_entropy(np.ones((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="labels must be integer class numbers"):
        softmax_cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        softmax_cross_entropy_backward(np.ones((2, 3)), np.array([0]))
    with pytest.raises(ValueError, match=r"logits must have shape \(batch, classes\)"):
        softmax_cross_entropy(np.ones(3), np.array([0]))
    with pytest.raises(ValueError, match="grad_output must have the shape of x"):
        relu_backward(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        relu(np.array(["a"]))
