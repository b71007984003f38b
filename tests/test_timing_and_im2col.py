"""convbook.timing.best_time and convbook.vectorized.im2col."""

from __future__ import annotations

import time

import numpy as np
import pytest

import convbook
from convbook.timing import best_time
from convbook.vectorized import im2col


def test_best_time_is_the_minimum_after_warmup():
    calls = []

    def sleepy():
        calls.append(None)
        time.sleep(0.02 if len(calls) <= 2 else 0.001)  # the warm-up call and the first timed one are slow

    seconds = best_time(sleepy, repeat=3, warmup=1)
    assert len(calls) == 4
    assert 0.001 <= seconds < 0.015


@pytest.mark.parametrize(
    ("options", "message"),
    [(dict(repeat=0), "repeat must be a positive int"), (dict(warmup=-1), "warmup must be a non-negative int")],
)
def test_best_time_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        best_time(lambda: None, **options)
    with pytest.raises(TypeError, match="function must be callable"):
        best_time(3)


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
    with pytest.raises(ValueError, match=r"x must have 3 axes .* or 4"):
        im2col(np.zeros((5, 5)), 2)
    with pytest.raises(ValueError, match="kernel_size must be"):
        im2col(x, 0)
