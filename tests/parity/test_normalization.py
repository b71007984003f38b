"""convbook.normalization against Keras' BatchNormalization: training and inference, the moving statistics,
the gradients through tf.GradientTape, and folding into Conv2D."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

import convbook
from convbook.normalization import batch_norm, batch_norm_backward, batch_norm_statistics, fold_batch_norm


@st.composite
def layer_cases(draw):
    """A float64 batch of feature maps (0 to 2 spatial axes) and a Keras layer's four weight vectors."""
    rank = draw(st.integers(0, 2))
    shape = (draw(st.integers(1, 4)), *(draw(st.integers(1, 5)) for _ in range(rank)), draw(st.integers(1, 4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    channels = shape[-1]
    x = rng.standard_normal(shape) * rng.uniform(0.1, 5, channels) + rng.uniform(-3, 3, channels)
    weights = [
        rng.uniform(0.5, 2, channels),  # gamma
        rng.standard_normal(channels),  # beta
        rng.standard_normal(channels),  # moving mean
        rng.uniform(0.1, 4, channels),  # moving variance
    ]
    return x, weights, rng.standard_normal(shape)


def keras_layer(x, weights):
    layer = keras.layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    layer.set_weights(weights)
    return layer


@settings(max_examples=40)
@given(case=layer_cases())
def test_forward_in_both_modes_and_the_moving_statistics(case):
    x, (gamma, beta, moving_mean, moving_variance), _ = case
    layer = keras_layer(x, [gamma, beta, moving_mean, moving_variance])
    inference = layer(x, training=False).numpy()
    np.testing.assert_allclose(
        batch_norm(x, gamma, beta, mean=moving_mean, variance=moving_variance), inference, rtol=1e-10, atol=1e-10
    )
    training = layer(x, training=True).numpy()  # also updates the moving statistics, once
    np.testing.assert_allclose(batch_norm(x, gamma, beta), training, rtol=1e-8, atol=1e-8)
    mean, variance = convbook.moving_statistics(moving_mean, moving_variance, *batch_norm_statistics(x))
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(case=layer_cases(), training=st.booleans())
def test_gradients_match_gradient_tape(case, training):
    x, weights, delta = case
    layer = keras_layer(x, weights)
    x_tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        loss = tf.reduce_sum(layer(x_tensor, training=training) * delta)
    dx, dgamma, dbeta = tape.gradient(loss, [x_tensor, layer.gamma, layer.beta])
    statistics = {} if training else dict(mean=weights[2], variance=weights[3])
    grads = batch_norm_backward(x, weights[0], delta, **statistics)
    np.testing.assert_allclose(grads.dx, dx.numpy(), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(grads.dgamma, dgamma.numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(grads.dbeta, dbeta.numpy(), rtol=1e-10, atol=1e-10)


@settings(max_examples=30)
@given(
    kernel_size=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    strides=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    groups=st.sampled_from([1, 2]),
    use_bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_folding_equals_keras_conv2d_then_batch_normalization_in_inference(
    kernel_size, strides, padding, groups, use_bias, seed
):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 7, 6, 4))
    conv = keras.layers.Conv2D(
        6, kernel_size, strides=strides, padding=padding, groups=groups, use_bias=use_bias, dtype="float64"
    )
    norm = keras.layers.BatchNormalization(dtype="float64")
    model = keras.Sequential([keras.Input(x.shape[1:], dtype="float64"), conv, norm])
    conv_weights = [rng.standard_normal(w.shape) for w in conv.get_weights()]
    conv.set_weights(conv_weights)
    norm.set_weights([rng.uniform(0.5, 2, 6), rng.standard_normal(6), rng.standard_normal(6), rng.uniform(0.1, 4, 6)])
    gamma, beta, mean, variance = norm.get_weights()
    kernel, bias = fold_batch_norm(conv_weights[0], conv_weights[1] if use_bias else None, gamma, beta, mean, variance)
    folded = convbook.conv2d(x, kernel, bias, strides=strides, padding=padding, groups=groups)
    np.testing.assert_allclose(folded, model(x, training=False).numpy(), rtol=1e-9, atol=1e-9)
