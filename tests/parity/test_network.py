"""Chapter 14's gradients against TensorFlow: pooling, dense, softmax cross-entropy and a whole network."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import pool_cases

from convbook import network
from convbook.network import dense, dense_backward, softmax_cross_entropy, softmax_cross_entropy_backward
from convbook.pooling import average_pool2d_backward, max_pool2d_backward

seeds = st.integers(0, 2**32 - 1)


def tape_gradient(layer, x, g):
    """dL/dx for L = sum(layer(x) * g), by TensorFlow."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * g)
    return tape.gradient(loss, x).numpy()


@pytest.mark.parametrize(
    ("ours", "layer"),
    [(max_pool2d_backward, keras.layers.MaxPooling2D), (average_pool2d_backward, keras.layers.AveragePooling2D)],
    ids=["max", "average"],
)
@settings(max_examples=40, deadline=None)
@given(case=pool_cases(), ties=st.booleans(), seed=seeds)
def test_pooling_gradients_match_tensorflow(ours, layer, case, ties, seed):
    x, options = case
    if ties:  # whole numbers from -2 to 2: most windows hold several maxima
        x = np.round(x)
    keras_layer = layer(**options)
    g = np.random.default_rng(seed).standard_normal(keras_layer(x).shape).astype(np.float32)
    expected = tape_gradient(keras_layer, x, g)
    actual = ours(x, g, **options)
    assert actual.shape == expected.shape and actual.dtype == np.float32
    if ours is max_pool2d_backward:  # the same inputs get the same sums of the same gradients
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_max_pool_ties_go_to_the_first_maximum_as_in_tensorflow():
    x = np.array([[0.0, 7.0, 1.0, 1.0], [7.0, 1.0, 1.0, 1.0]], np.float32).reshape(1, 2, 4, 1)
    g = np.array([2.0, 3.0], np.float32).reshape(1, 1, 2, 1)
    expected = tape_gradient(keras.layers.MaxPooling2D(2), x, g)
    np.testing.assert_array_equal(max_pool2d_backward(x, g), expected)
    assert expected[0, :, :, 0].tolist() == [[0, 2, 3, 0], [0, 0, 0, 0]]


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 6), classes=st.integers(2, 10), scale=st.sampled_from([0.1, 1.0, 50.0]), seed=seeds)
def test_softmax_cross_entropy_matches_keras(batch, classes, scale, seed):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((batch, classes)) * scale).astype(np.float32)
    labels = rng.integers(0, classes, batch)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    logits = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = loss_fn(labels, logits)
    np.testing.assert_allclose(softmax_cross_entropy(z, labels), loss.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        softmax_cross_entropy_backward(z, labels), tape.gradient(loss, logits).numpy(), rtol=1e-5, atol=1e-7
    )


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 5), features=st.integers(1, 6), units=st.integers(1, 6), seed=seeds)
def test_dense_and_its_gradients_match_keras(batch, features, units, seed):
    rng = np.random.default_rng(seed)
    x, g = (rng.standard_normal(s).astype(np.float32) for s in ((batch, features), (batch, units)))
    layer = keras.layers.Dense(units)
    layer.build((None, features))
    kernel, bias = layer.get_weights()
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(layer(x_tf) * g)
    dx, dkernel, dbias = tape.gradient(loss, [x_tf, layer.kernel, layer.bias])
    np.testing.assert_allclose(dense(x, kernel, bias), layer(x).numpy(), rtol=1e-5, atol=1e-6)
    grads = dense_backward(x, kernel, g)
    for ours, theirs in zip(grads, (dx, dkernel, dbias), strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-6)


def keras_and_numpy_networks(head: str):
    """A small Keras classifier and the same network in convbook.network (`from_keras`), with Keras' weights."""
    model = keras.Sequential(
        [
            keras.Input((6, 5, 1)),
            keras.layers.Conv2D(3, 3, padding="same", use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Conv2D(4, 2, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D() if head == "gap" else keras.layers.Flatten(),
            keras.layers.Dense(5),
        ]
    )
    net = network.from_keras(model)
    return model, net


@pytest.mark.parametrize("head", ["gap", "flatten"])
@settings(max_examples=5, deadline=None)
@given(seed=seeds, training=st.booleans())
def test_network_loss_and_gradients_match_keras(head, seed, training):
    keras.utils.set_random_seed(seed % 2**31)
    model, net = keras_and_numpy_networks(head)
    rng = np.random.default_rng(seed)
    x, labels = rng.standard_normal((4, 6, 5, 1)).astype(np.float32), rng.integers(0, 5, 4)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(x, training=training))
    keras_grads = tape.gradient(loss, model.trainable_weights)

    logits = net.forward(x, training)
    np.testing.assert_allclose(softmax_cross_entropy(logits, labels), loss.numpy(), rtol=1e-5, atol=1e-6)
    net.backward(softmax_cross_entropy_backward(logits, labels))
    ours = [layer.gradients[name] for layer in net.layers for name in layer.trainable]
    assert len(ours) == len(keras_grads)
    for mine, theirs in zip(ours, keras_grads, strict=True):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-4, atol=1e-5)
    # the moving averages moved (or not) as Keras' did
    for mine, theirs in zip(net.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@settings(max_examples=5, deadline=None)
@given(seed=seeds, training=st.booleans())
def test_from_keras_computes_what_the_keras_model_computes(seed, training):
    keras.utils.set_random_seed(seed % 2**31)
    model = keras.Sequential(
        [
            keras.Input((9, 8, 2)),
            keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            keras.layers.BatchNormalization(epsilon=0.01, momentum=0.8),
            keras.layers.Activation("relu"),
            keras.layers.MaxPooling2D(2, strides=1),
            keras.layers.Conv2D(3, 2, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Flatten(),
            keras.layers.Dense(6, activation="relu"),
            keras.layers.Dense(4, use_bias=False),
        ]
    )
    rng = np.random.default_rng(seed)
    # moving statistics away from 0 and 1, so that inference mode uses them visibly
    model.set_weights([w + rng.uniform(0.1, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    net = network.from_keras(model)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("ReLU") == 4 and kinds.count("Dense") == 2 and kinds.count("BatchNorm") == 2
    assert (net.layers[2].epsilon, net.layers[2].momentum) == (0.01, 0.8)
    x = rng.standard_normal((3, 9, 8, 2)).astype(np.float32)
    np.testing.assert_allclose(net.forward(x, training), np.asarray(model(x, training=training)), rtol=1e-4, atol=1e-5)


def test_from_keras_refuses_what_it_cannot_convert():
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dropout(0.5, name="drop")])
    with pytest.raises(ValueError, match=r"layer 'drop' is a Dropout, which from_keras does not convert"):
        network.from_keras(model)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 2, activation="tanh", name="c")])
    with pytest.raises(ValueError, match=r"layer 'c': activation 'tanh' is not supported"):
        network.from_keras(model)
