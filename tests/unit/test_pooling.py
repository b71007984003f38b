"""convbook.pooling: max and average pooling, vectorized and as loops, against the oracle."""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from strategies import pool_cases

from convbook.pooling import average_pool2d, average_pool2d_loop, max_pool2d, max_pool2d_loop

MAX = [max_pool2d, max_pool2d_loop]
AVERAGE = [average_pool2d, average_pool2d_loop]


@settings(max_examples=30)
@given(case=pool_cases(nan=True))
def test_every_pooling_matches_the_oracle(case):
    x, options = case
    for pools, reference in ((MAX, oracle.max_pool), (AVERAGE, oracle.average_pool)):
        expected = reference(x, **options)
        for pool in pools:
            actual = pool(x, **options)
            assert actual.shape == expected.shape and actual.dtype == np.float32
            np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6, err_msg=pool.__name__)


@pytest.mark.parametrize("pool", MAX, ids=lambda f: f.__name__)
def test_max_by_hand(pool):
    x = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 0, 2, 3]]).reshape(1, 4, 4, 1)
    assert pool(x)[0, :, :, 0].tolist() == [[4, 5], [9, 3]]
    # Negative values: padding must not win the max under "same" (a zero pad would).
    assert pool(-np.ones((1, 3, 3, 1)), 2, padding="same")[0, :, :, 0].tolist() == [[-1, -1], [-1, -1]]


@pytest.mark.parametrize("pool", AVERAGE, ids=lambda f: f.__name__)
def test_average_by_hand(pool):
    # Row [2, 4, 9] pooled by 2 with "same": windows [2, 4] and [9, pad] -> 3 and 9 (not 4.5).
    assert pool(np.array([2.0, 4.0, 9.0]).reshape(1, 1, 3, 1), (1, 2), padding="same").ravel().tolist() == [3, 9]


@pytest.mark.parametrize("pool", MAX + AVERAGE, ids=lambda f: f.__name__)
def test_bad_input(pool):
    with pytest.raises(ValueError, match=r"x must have 4 axes .*x\[None\]"):
        pool(np.ones((4, 4, 1)))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        pool(np.ones((1, 4, 4, 1)), padding="full")
    with pytest.raises(ValueError, match="pool_size must be a positive int"):
        pool(np.ones((1, 4, 4, 1)), 0)
    with pytest.raises(ValueError, match=r"pool_size \(5, 5\) is larger than the input \(4, 4\)"):
        pool(np.ones((1, 4, 4, 1)), 5)
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        pool(np.full((1, 4, 4, 1), "a"))


@pytest.mark.parametrize("pool", MAX, ids=lambda f: f.__name__)
def test_a_nan_wins_the_max_as_in_np_max(pool):
    """Regression: max_pool2d_loop skipped a NaN (it gave 5 where max_pool2d and np.max give NaN)."""
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    x[0, 0, 0, 0] = np.nan
    y = pool(x)[0, :, :, 0]
    assert np.isnan(y[0, 0]) and y[0, 1] == 7 and y[1].tolist() == [13, 15]
    x[0, 1, 1, 0] = np.nan  # the last value of the window, after a real one
    x[0, 0, 2, 0] = -np.inf
    y = pool(x, 3, strides=1, padding="same")[0, :, :, 0]
    np.testing.assert_array_equal(np.isnan(y), np.isnan(oracle.max_pool(x, 3, strides=1, padding="same")[0, :, :, 0]))
