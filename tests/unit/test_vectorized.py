"""convbook.vectorized, chapter 5's methods: windows, einsum, im2col and per-tap products, against the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from oracle import check_convolution
from strategies import conv_cases

import convbook
from convbook.arguments import prepare_conv
from convbook.vectorized import conv2d_im2col, conv2d_per_tap, einsum_convolve, im2col, windows


def einsum_2d(x, kernel, bias=None, *, strides, padding, dilation_rate, groups, padding_mode="zeros"):
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=x.ndim - 2,
        function="t",
        padding_mode=padding_mode,
    )
    return einsum_convolve(args)


@settings(max_examples=30)
@given(case=conv_cases(rank=2, small=False, padding_modes=True))
def test_im2col_per_tap_and_einsum_match_the_oracle(case):
    for function in (conv2d_im2col, conv2d_per_tap, einsum_2d):
        check_convolution(function, case)


@settings(max_examples=15)
@given(case=conv_cases(rank=1, small=False, padding_modes=True))
def test_einsum_1d_matches_the_oracle(case):
    check_convolution(einsum_2d, case)


def test_windows_are_views_of_the_input_unless_padded():
    x = np.arange(2 * 7 * 6 * 3, dtype=float).reshape(2, 7, 6, 3)
    kernel = np.zeros((3, 2, 3, 1))
    args = prepare_conv(x, kernel, None, (2, 1), "valid", (1, 2), 1, rank=2, function="t")
    view = windows(args)
    assert view.shape == (2, 3, 4, 3, 3, 2) and np.shares_memory(view, x)
    # windows[b, i, j, c, p, q] == x[b, i * sh + p * dh, j * sw + q * dw, c]
    assert view[1, 2, 3, 2, 1, 1] == x[1, 2 * 2 + 1, 3 + 1 * 2, 2]
    padded = windows(prepare_conv(x, kernel, None, 1, "same", 1, 1, rank=2, function="t"))
    assert not np.shares_memory(padded, x)


def test_im2col_rows_are_windows_and_product_is_the_convolution():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))
    options = dict(strides=(2, 1), padding="same", dilation_rate=(1, 2))
    columns = im2col(x, (3, 2), **options)
    out_rows, out_cols = convbook.shapes.conv_output_shape((7, 6), (3, 2), **options)
    assert columns.shape == (2 * out_rows * out_cols, 3 * 2 * 3)
    y = (columns @ kernel.reshape(-1, 4)).reshape(2, out_rows, out_cols, 4)
    np.testing.assert_allclose(y, convbook.conv2d_loop(x, kernel, **options), rtol=1e-12)


def test_im2col_1d_and_errors():
    x = np.arange(5.0).reshape(1, 5, 1)
    assert im2col(x, 2).tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert im2col(np.zeros((0, 5, 2)), 3).shape == (0, 6)
    with pytest.raises(ValueError, match=r"x must have 3 axes .*, 4 .* or 5"):
        im2col(np.zeros((5, 5)), 2)
    with pytest.raises(ValueError, match="kernel_size must be"):
        im2col(x, 0)


def test_im2col_is_always_a_writeable_copy():
    """Regression: with a 1-tap axis the matrix was a read-only view of x, though documented as a copy."""
    x = np.arange(12.0).reshape(1, 2, 2, 3)
    columns = convbook.im2col(x, (1, 2))
    assert not np.shares_memory(columns, x) and columns.flags.writeable
