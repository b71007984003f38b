"""Max and average pooling against Keras' pooling layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook.pooling import average_pool2d, average_pool2d_loop, max_pool2d, max_pool2d_loop

MAX = [max_pool2d, max_pool2d_loop]
AVERAGE = [average_pool2d, average_pool2d_loop]


@st.composite
def pool_cases(draw):
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    smallest = pool if padding == "valid" else (1, 1)
    rows, cols = draw(st.integers(smallest[0], 9)), draw(st.integers(smallest[1], 9))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((batch, rows, cols, channels)).astype("float32")
    return x, dict(pool_size=pool, strides=strides, padding=padding)


@pytest.mark.parametrize(
    ("ours", "layer"),
    [*((f, keras.layers.MaxPooling2D) for f in MAX), *((f, keras.layers.AveragePooling2D) for f in AVERAGE)],
    ids=lambda f: getattr(f, "__name__", ""),
)
@settings(max_examples=80)
@given(case=pool_cases())
def test_matches_keras(ours, layer, case):
    x, options = case
    expected = np.asarray(layer(**options)(x))
    actual = ours(x, **options)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


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
