"""convbook.shapes against Keras' output shapes."""

from __future__ import annotations

import math

import keras
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import shapes


@settings(max_examples=60)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same", "causal"]),
)
def test_output_size_matches_keras_conv1d(n, k, s, d, padding):
    # Keras rejects strides > 1 together with dilation > 1; one of them is set back to 1.
    if s > 1 and d > 1:
        d = 1
    expected = shapes.output_size(n, k, s, padding, d)
    if expected == 0:
        return
    layer = keras.layers.Conv1D(1, k, strides=s, padding=padding, dilation_rate=d)
    assert layer.compute_output_shape((None, n, 1)) == (None, expected, 1)
    if padding == "same":
        assert expected == math.ceil(n / s)
