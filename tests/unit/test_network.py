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
    in_keras_order = [(layer, name) for layer in net.layers for name in layer.weight_names]
    for layer, name in trainable:
        index = in_keras_order.index((layer, name))
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


def test_get_weights_returns_copies():
    net = tiny_network(np.random.default_rng(0), "gap")
    weights = net.get_weights()
    for weight in weights:
        weight += 1.0
    assert all(not np.array_equal(a, b) for a, b in zip(net.get_weights(), weights, strict=True))


def test_layers_take_integer_weights_as_float64_copies():
    kernel = np.ones((2, 2, 1, 3), dtype=int)
    conv = network.Conv2D(kernel, [0, 1, 2])
    assert conv.kernel.dtype == conv.bias.dtype == np.float64
    kernel[...] = 5
    assert conv.kernel.max() == 1.0  # a copy: the caller's array does not move the layer's
    norm = network.BatchNorm([1, 1], [0, 0], [0, 0], [1, 1])
    assert all(weight.dtype == np.float64 for weight in norm.weights())
    net = network.Sequential([conv, network.ReLU(), network.GlobalAveragePool(), network.Dense(np.eye(3, dtype=int))])
    loss = net.train_step(np.ones((2, 3, 3, 1)), np.array([0, 2]), learning_rate=0.1)
    assert np.isfinite(loss) and net.layers[3].weight_names == ("kernel",)


def test_layers_check_their_weights_at_construction():
    with pytest.raises(ValueError, match=r"kernel must be 4-D, \(kh, kw, c_in, c_out\); got shape \(3, 3, 2\)"):
        network.Conv2D(np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match=r"bias must have shape \(c_out,\) = \(4,\); got shape \(3,\)"):
        network.Conv2D(np.ones((3, 3, 2, 4)), np.ones(3))
    with pytest.raises(ValueError, match="padding must be"):
        network.Conv2D(np.ones((3, 3, 2, 4)), padding="wide")
    with pytest.raises(ValueError, match="strides"):
        network.Conv2D(np.ones((3, 3, 2, 4)), strides=0)
    with pytest.raises(TypeError, match="kernel must be an array of real numbers"):
        network.Dense(np.full((2, 2), "a"))
    with pytest.raises(ValueError, match=r"bias must be 1-D, \(units,\); got shape \(1, 2\)"):
        network.Dense(np.ones((3, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\), one per unit; got \(3,\)"):
        network.Dense(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"one shape; got gamma \(2,\), beta \(2,\), moving_mean \(3,\)"):
        network.BatchNorm(np.ones(2), np.ones(2), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        network.BatchNorm(np.ones(2), np.ones(2), np.ones(2), np.ones(2), epsilon=0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        network.BatchNorm(np.ones(2), np.ones(2), np.ones(2), np.ones(2), momentum=1.5)
    with pytest.raises(TypeError, match=r"layers\[1\] must be a convbook.network.Layer; got function"):
        network.Sequential([network.ReLU(), relu])


@pytest.mark.parametrize(
    "layer",
    [
        network.Conv2D(np.ones((1, 1, 1, 1))),
        network.BatchNorm([1.0], [0.0], [0.0], [1.0]),
        network.ReLU(),
        network.MaxPool2D(),
        network.GlobalAveragePool(),
        network.Flatten(),
        network.Dense(np.ones((1, 1))),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_backward_before_forward_says_so(layer):
    with pytest.raises(RuntimeError, match=rf"{type(layer).__name__}.backward needs .* call forward first"):
        layer.backward(np.ones((1, 1)))


def test_step_before_backward_says_so():
    net = network.Sequential([network.Flatten(), network.Dense(np.ones((4, 2)))])
    with pytest.raises(RuntimeError, match="Dense has no gradients to step with: call backward first"):
        net.step(0.1)


class _FakeKerasLayer:
    """What from_keras reads of a Keras layer: its class name (given here), name, config and weights."""

    def __init__(self, kind, config, weights=(), name="layer"):
        self.__class__ = type(kind, (_FakeKerasLayer,), {})
        self.name, self._config, self._weights = name, config, [np.asarray(w) for w in weights]

    def get_config(self):
        return dict(self._config)

    def get_weights(self):
        return [w.copy() for w in self._weights]


class _FakeKerasModel:
    def __init__(self, layers):
        self.layers = layers


def _fake_model(rng):
    conv = dict(strides=(1, 1), padding="same", dilation_rate=(1, 1), groups=1, use_bias=True, activation="relu")
    bn = dict(axis=-1, center=True, scale=True, epsilon=1e-3, momentum=0.9)
    return _FakeKerasModel(
        [
            _FakeKerasLayer("Conv2D", conv, [rng.standard_normal((3, 3, 1, 2)), rng.standard_normal(2)]),
            _FakeKerasLayer("BatchNormalization", bn, [rng.standard_normal(2), rng.standard_normal(2), [0, 0], [1, 1]]),
            _FakeKerasLayer("ReLU", dict(max_value=None, negative_slope=0.0, threshold=0.0)),
            _FakeKerasLayer("MaxPooling2D", dict(pool_size=(2, 2), strides=(2, 2), padding="valid")),
            _FakeKerasLayer("Activation", dict(activation="linear")),
            _FakeKerasLayer("Flatten", {}),
            _FakeKerasLayer("Dense", dict(use_bias=False, activation=None), [rng.standard_normal((8, 3))]),
        ]
    )


def test_from_keras_reads_classes_configs_and_weights():
    rng = np.random.default_rng(0)
    model = _fake_model(rng)
    net = network.from_keras(model)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Conv2D", "ReLU", "BatchNorm", "ReLU", "MaxPool2D", "Flatten", "Dense"]
    expected = [w for layer in model.layers for w in layer.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), expected, strict=True))
    assert (net.layers[2].epsilon, net.layers[2].momentum) == (1e-3, 0.9)
    assert net.layers[0].padding == "same" and net.layers[4].pool_size == (2, 2)
    x = rng.standard_normal((2, 4, 4, 1))
    conv, bn, dense_layer = model.layers[0].get_weights(), model.layers[1].get_weights(), model.layers[6].get_weights()
    from convbook import batch_norm, conv2d, max_pool2d

    by_hand = relu(conv2d(x, *conv, padding="same"))
    by_hand = relu(batch_norm(by_hand, bn[0], bn[1], mean=bn[2], variance=bn[3], epsilon=1e-3))
    by_hand = dense(max_pool2d(by_hand).reshape(2, -1), dense_layer[0])
    np.testing.assert_allclose(net.forward(x), by_hand, rtol=1e-12)


def test_from_keras_names_what_it_cannot_convert():
    with pytest.raises(ValueError, match=r"layer 'drop' is a Dropout, which from_keras does not convert"):
        network.from_keras(_FakeKerasModel([_FakeKerasLayer("Dropout", dict(rate=0.5), name="drop")]))
    conv = dict(strides=1, padding="valid", dilation_rate=(2, 2), groups=1, use_bias=False, activation=None)
    with pytest.raises(ValueError, match=r"layer 'c' \(Conv2D\): only dilation_rate 1 and groups 1"):
        network.from_keras(_FakeKerasModel([_FakeKerasLayer("Conv2D", conv, [np.ones((3, 3, 1, 1))], name="c")]))
    with pytest.raises(ValueError, match=r"layer 'd': activation 'tanh' is not supported"):
        network.from_keras(_FakeKerasModel([_FakeKerasLayer("Activation", dict(activation="tanh"), name="d")]))
    with pytest.raises(ValueError, match=r"layer 'f' \(Flatten\): only channels_last"):
        network.from_keras(_FakeKerasModel([_FakeKerasLayer("Flatten", dict(data_format="channels_first"), name="f")]))
    with pytest.raises(TypeError, match="model must be a Keras Sequential model; got int"):
        network.from_keras(3)


def test_pooling_layer_and_flatten_check_their_arguments():
    with pytest.raises(ValueError, match="pool_size"):
        network.MaxPool2D(0)
    with pytest.raises(ValueError, match="strides"):
        network.MaxPool2D(2, strides=(1, 0))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        network.MaxPool2D(2, padding="full")
    flatten = network.Flatten()
    flatten.forward(np.ones((2, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"grad_output must have Flatten's output shape \(2, 9\)"):
        flatten.backward(np.ones((2, 8)))


def test_sequential_takes_array_likes_and_keeps_only_trainable_gradients():
    net = network.Sequential([network.Flatten(), network.Dense(np.ones((4, 2)))])
    logits = net.forward([[[[1.0], [2.0]], [[3.0], [4.0]]]])  # a nested list, one 2 x 2 image
    np.testing.assert_array_equal(logits, [[10.0, 10.0]])
    net.backward(np.ones((1, 2)))
    assert set(net.layers[1].gradients) == {"kernel"}  # no bias, no bias gradient
