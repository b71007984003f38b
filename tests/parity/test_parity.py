"""Property-based parity: every convbook convolution against TensorFlow.

Hypothesis draws the batch (empty batches included), sizes, channels, groups,
kernel sizes, strides, dilation, padding (``same`` with odd totals included), bias
and dtype; each convbook function must give TensorFlow's numbers.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from oracle import check_convolution
from reference import tf_conv
from strategies import conv_cases

import convbook
from convbook.direct import conv2d_direct


def check_against_tensorflow(function, case):
    check_convolution(function, case, reference=tf_conv)


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


# Every method of conv2d and conv1d (the default "auto" is tested above), and the direct path cut into
# tiles of a few positions, so that tiles spanning images, bands of rows and pieces of a row all occur.


def with_method(function, method):
    method_function = functools.partial(function, method=method)
    method_function.__name__ = f"{function.__name__}[{method}]"
    return method_function


def conv2d_small_tiles(x, kernel, bias=None, *, strides, groups, **options):
    if kernel.shape[-2] == 1 and kernel.shape[-1] == groups:
        strategy = "elementwise"
    else:
        strategy = "per_tap" if tuple(strides) == (1, 1) else "im2col"
    return conv2d_direct(
        x, kernel, bias, strides=strides, groups=groups, strategy=strategy, tile_positions=5, **options
    )


def conv2d_im2col_tiles(x, kernel, bias=None, **options):
    return conv2d_direct(x, kernel, bias, strategy="im2col", tile_positions=3, **options)


@pytest.mark.parametrize(
    "function",
    [with_method(convbook.conv1d, method) for method in ("direct", "fft", "einsum")],
    ids=lambda f: f.__name__,
)
@settings(max_examples=100)
@given(case=conv_cases(rank=1, small=False))
def test_conv1d_methods_match_tensorflow(function, case):
    check_against_tensorflow(function, case)


@pytest.mark.parametrize(
    "function",
    [
        *(with_method(convbook.conv2d, method) for method in ("direct", "fft", "einsum")),
        conv2d_small_tiles,
        conv2d_im2col_tiles,
    ],
    ids=lambda f: f.__name__,
)
@settings(max_examples=150)
@given(case=conv_cases(rank=2, small=False))
def test_conv2d_methods_match_tensorflow(function, case):
    check_against_tensorflow(function, case)
