"""The TensorFlow-free tier's oracle (tests/oracle.py) against TensorFlow and Keras: the oracle is right too."""

from __future__ import annotations

import keras
import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from reference import keras_transpose, tf_conv
from strategies import conv_cases, pool_cases, transpose_cases


@settings(max_examples=60)
@given(case=conv_cases(rank=1, small=False) | conv_cases(rank=2, small=False))
def test_correlate_matches_tensorflow(case):
    x, kernel, bias = (None if a is None else a.astype(np.float64) for a in (case["x"], case["kernel"], case["bias"]))
    options = dict(strides=case["strides"], padding=case["padding"], dilation=case["dilation"], groups=case["groups"])
    expected = tf_conv(x, kernel, bias, **options)
    actual = oracle.correlate(x, kernel, bias, **options)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["max", "average"])
@settings(max_examples=30)
@given(case=pool_cases())
def test_pooling_matches_keras(kind, case):
    x, options = case
    layer = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}[kind]
    reference = {"max": oracle.max_pool, "average": oracle.average_pool}[kind]
    expected = np.asarray(layer(**options)(x))
    np.testing.assert_allclose(reference(x, **options), expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=30)
@given(case=transpose_cases(rank=1, keras=True) | transpose_cases(rank=2, keras=True))
def test_transpose_matches_keras(case):
    expected = keras_transpose(case)
    actual = oracle.transpose_case(case)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
