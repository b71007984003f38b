"""Gradients of the convolutions against tf.GradientTape and against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
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


def finite_difference(function, array, step=1e-6):
    """Central differences of a scalar function of one array, element by element."""
    grad = np.zeros_like(array)
    for index in np.ndindex(*array.shape):
        original = array[index]
        array[index] = original + step
        up = function()
        array[index] = original - step
        down = function()
        array[index] = original
        grad[index] = (up - down) / (2 * step)
    return grad


@settings(max_examples=25)
@given(case=conv_cases(rank=2, small=True))
def test_gradients_match_finite_differences(case):
    x = case["x"].astype(np.float64)
    kernel = case["kernel"].astype(np.float64)
    bias = np.zeros(kernel.shape[-1]) if case["bias"] is None else case["bias"].astype(np.float64)
    y = convbook.conv2d(x, kernel, bias, **options(case))
    weights = np.random.default_rng(2).standard_normal(y.shape)

    def loss():
        return float(np.sum(convbook.conv2d(x, kernel, bias, **options(case)) * weights))

    grads = conv2d_backward(x, kernel, weights, **options(case))
    np.testing.assert_allclose(grads.dx, finite_difference(loss, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dkernel, finite_difference(loss, kernel), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dbias, finite_difference(loss, bias), rtol=1e-6, atol=1e-6)


def test_gradients_by_hand_1d():
    # y = [x0 - x1, x1 - x2] for w = [1, -1]; with dL/dy = [1, 1]:
    # dL/dw = [x0 + x1, x1 + x2] = [3, 5]; dL/dx = [1, -1 + 1, -1] = [1, 0, -1]; dL/db = 2.
    grads = conv1d_backward(np.array([[[1.0], [2.0], [3.0]]]), np.array([[[1.0]], [[-1.0]]]), np.ones((1, 2, 1)))
    assert grads.dkernel.ravel().tolist() == [3, 5]
    assert grads.dx.ravel().tolist() == [1, 0, -1]
    assert grads.dbias.tolist() == [2]


def test_stride_leaves_unread_inputs_with_zero_gradient():
    # 5 steps, kernel 2, stride 2, valid: the windows cover steps 0-1 and 2-3; step 4 is never read.
    grads = conv1d_backward(np.ones((1, 5, 1)), np.ones((2, 1, 1)), np.ones((1, 2, 1)), strides=2)
    assert grads.dx.ravel().tolist() == [1, 1, 1, 1, 0]


def test_bad_grad_output():
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the convolution's output \(1, 2, 2, 1\)"):
        conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), np.ones((1, 3, 3, 1)))
    with pytest.raises(TypeError, match="grad_output must be an array of real numbers"):
        conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), "gradient")
    with pytest.raises(ValueError, match="x must have 4 axes"):
        conv2d_backward(np.ones((3, 3, 1)), np.ones((2, 2, 1, 1)), np.ones((1, 2, 2, 1)))
