"""conv3d and conv3d_loop against TensorFlow and Keras' Conv3D, on random configurations.

What TensorFlow 2.21 and Keras 3 support for 3D convolutions on the CPU, as tested below:

- ``keras.layers.Conv3D`` (channels last) computes strides, dilation, ``same`` padding with odd totals and
  ``groups`` on the CPU, with and without oneDNN; it refuses strides > 1 together with dilation > 1 when the
  layer is made (a ValueError), as ``Conv2D`` does, and knows only ``"valid"`` and ``"same"`` padding, in zeros.
- ``tf.nn.convolution`` on 5D tensors refuses grouped filters (``c_in // groups`` channels) on the CPU
  (InvalidArgumentError); ``tf.nn.conv3d`` with dilation runs only with oneDNN (without it: "CPU
  implementation of Conv3D currently only supports dilated rates of 1"), which is why the reference
  (`reference.tf_conv`) calls ``tf.nn.convolution``, which turns dilation into a space-to-batch convolution,
  and splits groups itself.

So every option (``full``, explicit amounts, strides with dilation, groups, every padding mode) is checked against
`reference.tf_conv`, and the options Keras' layer accepts against the layer itself.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_convolution
from reference import tf_conv, tf_conv_tensor
from strategies import conv_cases

import convbook
from convbook.keras_bridge import keras_conv


def with_method(method):
    function = functools.partial(convbook.conv3d, method=method)
    function.__name__ = f"conv3d[{method}]"
    return function


@pytest.mark.parametrize(
    "function",
    [*(with_method(m) for m in ("auto", "direct", "fft", "einsum")), convbook.conv3d_loop],
    ids=lambda f: f.__name__,
)
@settings(max_examples=50, deadline=None)
@given(case=conv_cases(rank=3, small=True, padding_modes=True))
def test_conv3d_matches_tensorflow(function, case):
    check_convolution(function, case, reference=tf_conv)


@st.composite
def keras_cases(draw):
    """Options Keras' Conv3D accepts: "valid" or "same", strides or dilation (not both above 1), groups."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel_size = tuple(draw(st.integers(1, 3)) for _ in range(3))
    if draw(st.booleans()):
        strides, dilation = tuple(draw(st.integers(1, 3)) for _ in range(3)), (1, 1, 1)
    else:
        strides, dilation = (1, 1, 1), tuple(draw(st.integers(1, 2)) for _ in range(3))
    padding = draw(st.sampled_from(["valid", "same"]))
    extents = [(k - 1) * d + 1 for k, d in zip(kernel_size, dilation, strict=True)]
    spatial = [draw(st.integers(e if padding == "valid" else 1, max(e, 3) + 3)) for e in extents]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), *spatial, c_in)).astype(np.float32)
    kernel = rng.standard_normal((*kernel_size, c_in // groups, c_out)).astype(np.float32)
    bias = rng.standard_normal(c_out).astype(np.float32)
    return dict(x=x, kernel=kernel, bias=bias, strides=strides, padding=padding, dilation=dilation, groups=groups)


@settings(max_examples=60, deadline=None)
@given(case=keras_cases())
def test_conv3d_matches_keras_conv3d(case):
    def keras_layer(x, kernel, bias, *, strides, padding, dilation, groups):
        return keras_conv(x, kernel, bias, strides=strides, padding=padding, dilation_rate=dilation, groups=groups)

    for method in ("direct", "fft", "einsum"):
        check_convolution(convbook.conv3d, case, reference=keras_layer, method=method)


def test_what_keras_and_tensorflow_refuse_in_3d():
    with pytest.raises(ValueError, match="not supported in conjunction with"):
        keras.layers.Conv3D(4, 3, strides=(2, 1, 1), dilation_rate=(1, 2, 1))
    x, grouped = tf.ones((1, 4, 4, 4, 4)), tf.ones((2, 2, 2, 2, 4))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.convolution(x, grouped)  # filters with c_in // 2 channels: groups are not run on the CPU
    # convbook computes both.
    y = convbook.conv3d(np.ones((1, 9, 4, 4, 4)), np.ones((2, 2, 2, 4, 4)), strides=(2, 1, 1), dilation_rate=(2, 1, 1))
    assert y.shape == (1, 4, 3, 3, 4)
    # Each output sums 2 * 2 * 2 taps of the 2 channels of its group.
    np.testing.assert_array_equal(convbook.conv3d(np.ones((1, 4, 4, 4, 4)), np.ones((2, 2, 2, 2, 4)), groups=2), 16.0)


# TensorFlow 2.21 cannot differentiate tf.nn.convolution of 5D tensors eagerly: nn_grad._Conv3DGrad reads the op's
# data_format, which the eagerly recorded op lacks (AttributeError: 'NoneType' object has no attribute 'decode').
# Inside tf.function the same gradient works, except on an empty batch (the same error); convbook's gradients of
# empty batches are checked in the unit tier.
@settings(max_examples=30, deadline=None)
@given(case=conv_cases(rank=3, small=True, padding_modes=True).filter(lambda case: case["x"].shape[0] > 0))
def test_conv3d_backward_matches_gradient_tape(case):
    x, kernel = (tf.constant(case[name], tf.float64) for name in ("x", "kernel"))
    options = dict(strides=case["strides"], padding=case["padding"], groups=case["groups"])
    mode = case["padding_mode"]
    shape = convbook.conv3d(
        case["x"], case["kernel"], dilation_rate=case["dilation"], padding_mode=mode, **options
    ).shape
    grad_output = np.random.default_rng(3).standard_normal(shape)

    @tf.function
    def tape_gradients(x, kernel):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            y = tf_conv_tensor(x, kernel, dilation=case["dilation"], padding_mode=mode, **options)
            loss = tf.reduce_sum(y * grad_output)
        return tape.gradient(loss, [x, kernel])

    dx, dkernel = tape_gradients(x, kernel)
    grads = convbook.conv3d_backward(
        case["x"].astype(np.float64),
        case["kernel"].astype(np.float64),
        grad_output,
        dilation_rate=case["dilation"],
        padding_mode=mode,
        **options,
    )
    np.testing.assert_allclose(grads.dx, dx.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads.dkernel, dkernel.numpy(), rtol=1e-9, atol=1e-9)
