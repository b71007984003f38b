"""Property-based parity: every convbook convolution against TensorFlow.

Hypothesis draws the batch (empty batches included), sizes, channels, groups,
kernel sizes, strides, dilation, padding (``same`` with odd totals included), bias
and dtype; each convbook function must give TensorFlow's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from reference import tf_conv
from strategies import conv_cases

import convbook

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


def check_against_tensorflow(function, case):
    expected = tf_conv(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
    )
    actual = function(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
    )
    assert actual.dtype == case["x"].dtype
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, **TOLERANCE[case["x"].dtype.type])


@pytest.mark.parametrize("function", [convbook.conv1d, convbook.conv1d_loop], ids=lambda f: f.__name__)
@settings(max_examples=250)
@given(case=conv_cases(rank=1, small=False))
def test_conv1d_matches_tensorflow(function, case):
    check_against_tensorflow(function, case)


@pytest.mark.parametrize(
    "function", [convbook.conv2d, convbook.conv2d_im2col, convbook.conv2d_per_tap], ids=lambda f: f.__name__
)
@settings(max_examples=300)
@given(case=conv_cases(rank=2, small=False))
def test_conv2d_matches_tensorflow(function, case):
    check_against_tensorflow(function, case)


@settings(max_examples=150)
@given(case=conv_cases(rank=2, small=True))
def test_conv2d_loop_matches_tensorflow(case):
    check_against_tensorflow(convbook.conv2d_loop, case)
