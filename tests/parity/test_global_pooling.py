"""Global average pooling against Keras' GlobalAveragePooling1D and GlobalAveragePooling2D."""

from __future__ import annotations

import keras
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook.pooling import global_average_pool

LAYERS = {1: keras.layers.GlobalAveragePooling1D, 2: keras.layers.GlobalAveragePooling2D}


@settings(max_examples=60)
@given(
    rank=st.sampled_from([1, 2]),
    size=st.integers(1, 9),
    other=st.integers(1, 9),
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    dtype=st.sampled_from(["float32", "float64"]),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_keras(rank, size, other, batch, channels, dtype, keepdims, seed):
    spatial = (size,) if rank == 1 else (size, other)
    x = np.random.default_rng(seed).standard_normal((batch, *spatial, channels)).astype(dtype)
    expected = np.asarray(LAYERS[rank](keepdims=keepdims, dtype=dtype)(x))
    actual = global_average_pool(x, keepdims=keepdims)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype == np.dtype(dtype)
    # Each side sums the n values of a channel in its own order, n - 1 roundings off by at most
    # (n - 1) * u * n * max|x| (u the unit roundoff), then divides (or multiplies by 1 / n: two more roundings):
    # each mean is within (n + 1) * u * max|x| of the exact one, so the two are within twice that.
    n = int(np.prod(spatial))
    unit_roundoff = float(np.finfo(dtype).eps) / 2
    np.testing.assert_allclose(actual, expected, rtol=0, atol=2 * (n + 1) * unit_roundoff * np.abs(x).max())


def test_has_no_weights():
    for rank, shape in ((1, (1, 5, 2)), (2, (1, 4, 3, 2))):
        layer = LAYERS[rank]()
        np.testing.assert_array_equal(np.asarray(layer(np.ones(shape, "float32"))), global_average_pool(np.ones(shape)))
        assert layer.count_params() == 0 and not layer.weights
