"""convbook.normalization: batch norm forward, backward and folding, against the definitions in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import finite_difference
from strategies import conv_cases

import convbook
from convbook.normalization import (
    EPSILON,
    batch_norm,
    batch_norm_backward,
    batch_norm_statistics,
    fold_batch_norm,
    moving_statistics,
)


@st.composite
def feature_maps(draw, most_spatial_axes: int = 3):
    """A float64 batch of feature maps with 0 to ``most_spatial_axes`` spatial axes, and per-channel parameters."""
    rank = draw(st.integers(0, most_spatial_axes))
    shape = (draw(st.integers(1, 4)), *(draw(st.integers(1, 5)) for _ in range(rank)), draw(st.integers(1, 4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    channels = shape[-1]
    x = rng.standard_normal(shape) * rng.uniform(0.1, 10, channels) + rng.uniform(-5, 5, channels)
    return dict(
        x=x,
        gamma=rng.uniform(0.5, 2, channels),
        beta=rng.standard_normal(channels),
        mean=rng.standard_normal(channels),
        variance=rng.uniform(0.1, 4, channels),
        delta=rng.standard_normal(shape),
    )


def by_definition(x, gamma, beta, mean, variance, epsilon=EPSILON):
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


@settings(max_examples=40)
@given(case=feature_maps())
def test_statistics_are_over_the_batch_and_every_position(case):
    x = case["x"]
    flat = x.reshape(-1, x.shape[-1])  # every value of a channel, whatever its example and position
    mean, variance = batch_norm_statistics(x)
    np.testing.assert_allclose(mean, flat.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(variance, flat.var(axis=0, ddof=0), rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(case=feature_maps())
def test_training_and_inference_are_the_definition(case):
    x, gamma, beta = case["x"], case["gamma"], case["beta"]
    mean, variance = batch_norm_statistics(x)
    np.testing.assert_allclose(
        batch_norm(x, gamma, beta), by_definition(x, gamma, beta, mean, variance), rtol=1e-10, atol=1e-10
    )
    np.testing.assert_allclose(
        batch_norm(x, gamma, beta, mean=case["mean"], variance=case["variance"]),
        by_definition(x, gamma, beta, case["mean"], case["variance"]),
        rtol=1e-12,
        atol=1e-12,
    )


@settings(max_examples=30)
@given(case=feature_maps())
def test_in_training_each_channel_comes_out_with_mean_beta_and_variance_gamma_squared(case):
    x = case["x"]
    y = batch_norm(x, case["gamma"], case["beta"])
    mean, variance = batch_norm_statistics(y)
    _, input_variance = batch_norm_statistics(x)
    np.testing.assert_allclose(mean, case["beta"], atol=1e-9)
    shrink = input_variance / (input_variance + EPSILON)  # what epsilon takes off
    np.testing.assert_allclose(variance, case["gamma"] ** 2 * shrink, rtol=1e-9, atol=1e-12)


@settings(max_examples=30)
@given(case=feature_maps(), shift=st.floats(-100, 100))
def test_a_bias_before_training_batch_norm_changes_nothing(case, shift):
    """Why a convolution followed by batch norm has ``use_bias=False``: the batch mean absorbs any bias."""
    x = case["x"]
    bias = shift * np.arange(1, x.shape[-1] + 1)
    np.testing.assert_allclose(batch_norm(x + bias), batch_norm(x), rtol=1e-7, atol=1e-7)


@settings(max_examples=25)
@given(case=feature_maps(most_spatial_axes=2), inference=st.booleans())
def test_gradients_match_finite_differences_in_both_modes(case, inference):
    x, gamma, beta, delta = case["x"], case["gamma"].copy(), case["beta"].copy(), case["delta"]
    statistics = dict(mean=case["mean"], variance=case["variance"]) if inference else {}

    def loss():
        return float(np.sum(batch_norm(x, gamma, beta, **statistics) * delta))

    grads = batch_norm_backward(x, gamma, delta, **statistics)
    np.testing.assert_allclose(grads.dx, finite_difference(loss, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads.dgamma, finite_difference(loss, gamma), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads.dbeta, finite_difference(loss, beta), rtol=1e-5, atol=1e-6)


def test_a_training_gradient_keeps_no_part_the_statistics_absorb():
    """dx sums to 0 per channel and is orthogonal to x_hat: shifting or scaling a channel changes nothing."""
    rng = np.random.default_rng(0)
    x, delta = rng.standard_normal((3, 4, 5, 2)), rng.standard_normal((3, 4, 5, 2))
    dx = batch_norm_backward(x, None, delta).dx
    mean, variance = batch_norm_statistics(x)
    x_hat = (x - mean) / np.sqrt(variance + EPSILON)
    np.testing.assert_allclose(dx.sum(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose((dx * x_hat).sum(axis=(0, 1, 2)), 0, atol=1e-3 * np.abs(dx).sum())


@settings(max_examples=40)
@given(case=conv_cases(rank=2, small=False))
def test_folding_equals_the_convolution_then_inference_batch_norm(case):
    x, kernel = case["x"].astype(np.float64), case["kernel"].astype(np.float64)
    c_out = kernel.shape[-1]
    rng = np.random.default_rng(c_out)
    gamma, beta = rng.uniform(0.5, 2, c_out), rng.standard_normal(c_out)
    mean, variance = rng.standard_normal(c_out), rng.uniform(0.1, 4, c_out)
    bias = None if case["bias"] is None else case["bias"].astype(np.float64)
    options = dict(
        strides=case["strides"], padding=case["padding"], dilation_rate=case["dilation"], groups=case["groups"]
    )
    expected = batch_norm(convbook.conv2d(x, kernel, bias, **options), gamma, beta, mean=mean, variance=variance)
    folded_kernel, folded_bias = fold_batch_norm(kernel, bias, gamma, beta, mean, variance)
    assert folded_kernel.shape == kernel.shape and folded_bias.shape == (c_out,)
    np.testing.assert_allclose(
        convbook.conv2d(x, folded_kernel, folded_bias, **options), expected, rtol=1e-9, atol=1e-9
    )


def test_folding_without_scale_shift_or_bias():
    kernel = np.arange(8.0).reshape(1, 2, 2, 2)
    folded, bias = fold_batch_norm(kernel, None, None, None, mean=[1.0, -1.0], variance=[0.999, 3.999])
    np.testing.assert_allclose(folded, kernel / np.sqrt([1.0, 4.0]), rtol=1e-12)
    np.testing.assert_allclose(bias, [-1.0, 0.5], rtol=1e-12)


def test_moving_statistics_are_exponential_averages():
    mean, variance = moving_statistics(np.zeros(2), np.ones(2), [1.0, 2.0], [3.0, 5.0])
    np.testing.assert_allclose(mean, [0.01, 0.02])
    np.testing.assert_allclose(variance, [0.99 + 0.03, 0.99 + 0.05])
    mean, variance = moving_statistics([1.0], [2.0], [3.0], [4.0], momentum=0.0)
    assert mean.tolist() == [3.0] and variance.tolist() == [4.0]


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [((np.uint8,), np.float64), ((np.float16,), np.float32), ((np.float32,), np.float32), ((np.int32,), np.float64)],
)
def test_the_dtype_rule(dtypes, expected):
    x = np.arange(12).reshape(2, 3, 2).astype(dtypes[0])
    assert batch_norm(x).dtype == expected
    assert batch_norm_statistics(x)[0].dtype == expected
    assert batch_norm_backward(x, None, np.ones(x.shape, dtypes[0])).dx.dtype == expected
    assert batch_norm(x.astype(np.float32), mean=np.zeros(2), variance=np.ones(2)).dtype == np.float64


X = np.ones((2, 3, 2))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: batch_norm(np.ones(3)),
            ValueError,
            r"x must have a batch axis and a channel axis.*batch_norm\(x\[None\]",
        ),
        (lambda: batch_norm("a"), TypeError, "x must be an array of real numbers"),
        (lambda: batch_norm(X, np.ones(3)), ValueError, r"gamma must have shape \(channels,\) = \(2,\)"),
        (lambda: batch_norm(X, None, np.ones((2, 1))), ValueError, "beta must have shape"),
        (lambda: batch_norm(X, mean=np.zeros(2)), ValueError, "mean and variance must be given together"),
        (
            lambda: batch_norm(X, mean=np.zeros(2), variance=-np.ones(2)),
            ValueError,
            "variance must be finite and non-negative",
        ),
        (lambda: batch_norm(X, mean=np.zeros(2), variance=[1.0, np.nan]), ValueError, "variance must be finite"),
        (lambda: batch_norm(X, mean=[0j, 0j], variance=np.ones(2)), TypeError, "mean must be an array of real numbers"),
        (lambda: batch_norm(X, epsilon=np.inf), ValueError, "epsilon must be positive and finite"),
        (
            lambda: fold_batch_norm(np.ones((3, 3, 4, 1)), None, np.ones(4), None, np.zeros(4), np.ones(4)),
            ValueError,
            r"gamma must have shape.*output channels.*reshaped to \(kh, kw, 1, c_in \* m\)",
        ),
        (lambda: batch_norm(X, epsilon=0), ValueError, "epsilon must be positive"),
        (lambda: batch_norm(X, epsilon="small"), TypeError, "epsilon must be a positive number"),
        (lambda: batch_norm(np.ones((0, 2))), ValueError, "at least one value per channel"),
        (lambda: batch_norm_backward(X, None, np.ones((2, 3))), ValueError, r"grad_output must have the shape of x"),
        (
            lambda: fold_batch_norm(np.ones(3), None, None, None, [0.0], [1.0]),
            ValueError,
            "kernel must have at least 2",
        ),
        (lambda: fold_batch_norm(np.ones((3, 1, 2)), [1.0], None, None, [0.0] * 2, [1.0] * 2), ValueError, "bias must"),
        (lambda: fold_batch_norm(np.ones((3, 1, 2)), None, None, None, [0.0] * 2, [1.0]), ValueError, "variance must"),
        (lambda: moving_statistics([0.0], [1.0], [0.0], [1.0], momentum=1.5), ValueError, "momentum must be between"),
        (lambda: moving_statistics([0.0], [1.0], [0.0], [1.0, 2.0]), ValueError, r"variance must have shape"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_batch_statistics_are_taken_in_the_computation_dtype():
    """Regression: a float32 x with float64 parameters computed its statistics in float32 (means off by 3e-5)."""
    x = np.random.default_rng(5).standard_normal((64, 9, 9, 2)).astype(np.float32) * 100 + 1000
    y = batch_norm(x, [1.0, 1.0], [0.0, 0.0])
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    dx = batch_norm_backward(x, [1.0, 1.0], np.ones(x.shape)).dx
    np.testing.assert_allclose(dx.sum(axis=(0, 1, 2)), 0, atol=1e-9)


def test_float32_moving_statistics_weigh_the_batch_by_float32_of_one_minus_momentum():
    """Regression: 1 - float32(0.99) is 0.00999999; Keras weighs the batch by float32(1.0 - 0.99)."""
    mean, _ = moving_statistics(
        np.zeros(1, np.float32), np.ones(1, np.float32), np.ones(1, np.float32), np.ones(1, np.float32)
    )
    assert mean.dtype == np.float32 and mean[0] == np.float32(1.0 - 0.99)


def test_exported_from_convbook():
    for name in ("batch_norm", "batch_norm_backward", "batch_norm_statistics", "fold_batch_norm", "moving_statistics"):
        assert getattr(convbook, name) is getattr(convbook.normalization, name)
