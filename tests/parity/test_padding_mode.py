"""padding_mode against TensorFlow: its REFLECT padding (and gathered replicate and circular ones), forward and
through tf.GradientTape, so that a layer padded with its own values trains as TensorFlow would train it."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from oracle import check_convolution
from reference import tf_conv, tf_conv_tensor
from strategies import conv_cases

import convbook

BACKWARD = {1: convbook.conv1d_backward, 2: convbook.conv2d_backward}
FORWARD = {1: convbook.conv1d, 2: convbook.conv2d}


@settings(max_examples=60)
@given(case=conv_cases(rank=1, small=False, padding_modes=True) | conv_cases(rank=2, small=False, padding_modes=True))
def test_every_mode_matches_tensorflow(case):
    check_convolution(FORWARD[case["x"].ndim - 2], case, reference=tf_conv)


@settings(max_examples=60)
@given(case=conv_cases(rank=1, small=False, padding_modes=True) | conv_cases(rank=2, small=False, padding_modes=True))
def test_gradients_of_every_mode_match_gradient_tape(case):
    x, kernel = (tf.constant(case[name], tf.float64) for name in ("x", "kernel"))
    options = dict(strides=case["strides"], padding=case["padding"], groups=case["groups"])
    grad_output = np.random.default_rng(3).standard_normal(
        FORWARD[x.ndim - 2](case["x"], case["kernel"], dilation_rate=case["dilation"], **options,
                            padding_mode=case["padding_mode"]).shape
    )  # fmt: skip
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        y = tf_conv_tensor(x, kernel, dilation=case["dilation"], padding_mode=case["padding_mode"], **options)
        loss = tf.reduce_sum(y * grad_output)
    dx, dkernel = tape.gradient(loss, [x, kernel])
    grads = BACKWARD[x.ndim - 2](
        case["x"].astype(np.float64),
        case["kernel"].astype(np.float64),
        grad_output,
        dilation_rate=case["dilation"],
        padding_mode=case["padding_mode"],
        **options,
    )
    np.testing.assert_allclose(grads.dx, dx.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads.dkernel, dkernel.numpy(), rtol=1e-9, atol=1e-9)
