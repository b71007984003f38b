"""Property-based parity: every convbook convolution against TensorFlow.

Hypothesis draws the batch (empty batches included), sizes, channels, groups,
kernel sizes, strides, dilation, padding (``same`` with odd totals included), bias
and dtype; each convbook function must give TensorFlow's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import tf_conv

import convbook

TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


@st.composite
def conv_cases(draw, rank: int, small: bool):
    """Arguments for a ``rank``-D convolution whose kernel fits the padded input."""
    limit = 5 if small else 10
    groups = draw(st.integers(1, 2 if small else 3))
    c_in = groups * draw(st.integers(1, 2 if small else 3))
    c_out = groups * draw(st.integers(1, 2 if small else 3))
    kernel_size = tuple(draw(st.integers(1, 3 if small else 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    modes = ["valid", "same", "full", "explicit"] + (["causal"] if rank == 1 else [])
    mode = draw(st.sampled_from(modes))
    if mode == "explicit":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(rank))
    else:
        padding = mode
    spatial = []
    for axis in range(rank):
        extent = (kernel_size[axis] - 1) * dilation[axis] + 1
        smallest = 1
        if mode == "valid":
            smallest = extent
        elif mode == "explicit":
            smallest = max(1, extent - sum(padding[axis]))
        spatial.append(draw(st.integers(smallest, max(smallest, limit) + 2)))
    batch = draw(st.integers(0, 2 if small else 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    use_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *spatial, c_in)).astype(dtype)
    kernel = rng.standard_normal((*kernel_size, c_in // groups, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if use_bias else None
    return dict(x=x, kernel=kernel, bias=bias, strides=strides, padding=padding, dilation=dilation, groups=groups)


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
