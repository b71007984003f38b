"""Gradients of the convolutions against tf.GradientTape."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from reference import tf_conv_tensor
from strategies import conv_cases

import convbook
from convbook.backward import conv1d_backward, conv2d_backward

BACKWARD = {1: conv1d_backward, 2: conv2d_backward}
FORWARD = {1: convbook.conv1d, 2: convbook.conv2d}


def tape_gradients(case, grad_output):
    x = tf.constant(case["x"], tf.float64)
    kernel = tf.constant(case["kernel"], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        y = tf_conv_tensor(
            x,
            kernel,
            strides=case["strides"],
            padding=case["padding"],
            dilation=case["dilation"],
            groups=case["groups"],
        )
        loss = tf.reduce_sum(y * grad_output)
    dx, dkernel = tape.gradient(loss, [x, kernel])
    return dx.numpy(), dkernel.numpy()


def options(case):
    return dict(strides=case["strides"], padding=case["padding"], dilation_rate=case["dilation"], groups=case["groups"])


@settings(max_examples=300)
@given(case=conv_cases(rank=1, small=False) | conv_cases(rank=2, small=False))
def test_gradients_match_gradient_tape(case):
    rank = case["x"].ndim - 2
    y = FORWARD[rank](case["x"], case["kernel"], **options(case))
    if case["x"].shape[0] == 0:
        return  # TensorFlow's strided convolution gets the shape of an empty batch wrong (see reference.py)
    grad_output = np.random.default_rng(1).standard_normal(y.shape)
    grads = BACKWARD[rank](
        case["x"].astype(np.float64), case["kernel"].astype(np.float64), grad_output, **options(case)
    )
    dx, dkernel = tape_gradients(case, grad_output)
    np.testing.assert_allclose(grads.dx, dx, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads.dkernel, dkernel, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads.dbias, grad_output.sum(axis=tuple(range(rank + 1))), rtol=1e-12)
