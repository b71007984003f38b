"""convbook.pooling.global_average_pool: the mean over positions, against NumPy and average pooling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook.pooling import average_pool2d, global_average_pool


@st.composite
def global_cases(draw):
    """A 1D or 2D channels-last batch (possibly empty), in one of the dtypes the dtype rule covers."""
    rank = draw(st.sampled_from([1, 2]))
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(rank))
    batch, channels = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.float16, np.int32, np.uint8, np.bool_]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = np.clip(rng.standard_normal((batch, *spatial, channels)) * 10, -40, 40)
    if np.dtype(dtype).kind in "bu":
        values = np.abs(values)
    return values.astype(dtype), draw(st.booleans())


@settings(max_examples=60)
@given(case=global_cases())
def test_is_the_numpy_mean_over_the_spatial_axes(case):
    x, keepdims = case
    spatial = tuple(range(1, x.ndim - 1))
    # The dtype rule: integers and bools count as float64, float16 as float32.
    expected_dtype = np.float32 if x.dtype in (np.float16, np.float32) else np.float64
    expected = x.astype(np.float64).mean(axis=spatial, keepdims=keepdims)
    actual = global_average_pool(x, keepdims=keepdims)
    assert actual.dtype == expected_dtype
    assert actual.shape == expected.shape
    assert actual.shape == ((x.shape[0], *(1,) * len(spatial), x.shape[-1]) if keepdims else (x.shape[0], x.shape[-1]))
    # In float32 a sum of n <= 49 terms with |x| <= 40 is off by at most (n - 1) * 2**-24 * 40 * n, and the
    # division adds a rounding or two: the mean is within (n + 1) * 2**-24 * 40 < 1.2e-4 (float16 inputs are
    # converted to float32 exactly; the reference is float64).
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1.2e-4)


def test_by_hand():
    x = np.arange(12.0).reshape(1, 2, 3, 2)  # channel 0: 0, 2, ..., 10; channel 1: 1, 3, ..., 11
    assert global_average_pool(x).tolist() == [[5, 6]]
    assert global_average_pool(x[:, 0]).tolist() == [[2, 3]]  # one row of three steps: (0, 2, 4), (1, 3, 5)


@settings(max_examples=30)
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_is_average_pooling_with_one_window_over_the_whole_map(rows, cols, seed):
    x = np.random.default_rng(seed).standard_normal((2, rows, cols, 3))
    np.testing.assert_allclose(
        global_average_pool(x, keepdims=True), average_pool2d(x, (rows, cols)), rtol=1e-12, atol=1e-12
    )


def test_unchanged_by_a_permutation_of_positions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 4, 3))
    shuffled = x.reshape(2, 20, 3)[:, rng.permutation(20)].reshape(x.shape)
    np.testing.assert_allclose(global_average_pool(shuffled), global_average_pool(x), rtol=1e-12)
    np.testing.assert_allclose(global_average_pool(np.roll(x, (2, 1), axis=(1, 2))), global_average_pool(x), rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match=r"x must have 3 axes .* or 4 axes .*; got shape \(4, 3\).*x\[None\]"):
        global_average_pool(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"x must have 3 axes .*got shape \(1, 2, 2, 2, 3\)$"):
        global_average_pool(np.ones((1, 2, 2, 2, 3)))
    with pytest.raises(ValueError, match=r"x must have at least one position .*got shape \(1, 0, 3, 2\)"):
        global_average_pool(np.ones((1, 0, 3, 2)))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        global_average_pool(np.full((1, 2, 2), "a"))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        global_average_pool(np.ones((1, 2, 2), complex))
    with pytest.raises(TypeError, match="keepdims must be a bool; got 1"):
        global_average_pool(np.ones((1, 2, 2)), keepdims=1)
