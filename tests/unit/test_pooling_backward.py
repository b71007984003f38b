"""convbook.pooling's gradients: against finite differences, the adjoint identity and TensorFlow's tie rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import finite_difference
from strategies import pool_cases

from convbook import shapes
from convbook.pooling import (
    average_pool2d,
    average_pool2d_backward,
    global_average_pool,
    global_average_pool_backward,
    max_pool2d,
    max_pool2d_backward,
)

PAIRS = [(max_pool2d, max_pool2d_backward), (average_pool2d, average_pool2d_backward)]


def distinct(x: np.ndarray, seed: int) -> np.ndarray:
    """x's shape in float64, every value at least 1 from every other: no tie for a finite difference to cross."""
    return np.random.default_rng(seed).permutation(x.size).reshape(x.shape).astype(np.float64)


@pytest.mark.parametrize(("forward", "backward"), PAIRS, ids=lambda f: f.__name__)
@settings(max_examples=20, deadline=None)
@given(case=pool_cases(), seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_finite_differences(forward, backward, case, seed):
    x, options = case
    x = distinct(x, seed)
    delta = np.random.default_rng(seed).standard_normal(forward(x, **options).shape)
    grad = backward(x, delta, **options)
    assert grad.shape == x.shape and grad.dtype == np.float64
    expected = finite_difference(lambda: float(np.sum(forward(x, **options) * delta)), x, step=1e-3)
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("forward", "backward"), PAIRS, ids=lambda f: f.__name__)
@settings(max_examples=30, deadline=None)
@given(case=pool_cases(), ties=st.booleans())
def test_adjoint_identity(forward, backward, case, ties):
    """<pool(x), g> = <x, pool_backward(x, g)>: exact for a linear map, and for max, whose output *is* the winner."""
    x, options = case
    x = x.astype(np.float64)
    if ties:  # a few distinct values: many windows hold several maxima
        x = np.round(x)
    g = np.random.default_rng(1).standard_normal(forward(x, **options).shape)
    lhs = np.sum(forward(x, **options) * g)
    rhs = np.sum(x * backward(x, g, **options))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(case=pool_cases())
def test_max_sends_each_window_to_exactly_one_input_the_first_maximum(case):
    x, options = case
    x = np.round(x.astype(np.float64))  # ties everywhere
    out = max_pool2d(x, **options)
    for flat in range(out.size):
        index = np.unravel_index(flat, out.shape)
        g = np.zeros(out.shape)
        g[index] = 1.0
        grad = max_pool2d_backward(x, g, **options)
        (winner,) = np.argwhere(grad == 1.0)  # exactly one input gets the window's gradient
        assert np.count_nonzero(grad) == 1 and x[tuple(winner)] == out[index]
        # the winner lies in the window, and no earlier input of the window (row-major) holds the maximum
        b, i, j, c = index
        window = _window_mask(x.shape, (i, j), options)[0, :, :, 0]
        assert window[winner[1], winner[2]]
        earlier = [(r, s) for r, s in np.argwhere(window) if (r, s) < (winner[1], winner[2])]
        assert all(x[b, r, s, c] < out[index] for r, s in earlier)


def _window_mask(shape, position, options):
    """True on the inputs that output ``position`` of the pooling reads."""
    pool = shapes.normalize_tuple(options["pool_size"], 2, "pool_size")
    steps = pool if options["strides"] is None else shapes.normalize_tuple(options["strides"], 2, "strides")
    (top, _), (left, _) = shapes.conv_padding(shape[1:3], pool, steps, options["padding"])
    mask = np.zeros((1, shape[1], shape[2], 1), dtype=bool)
    r0, c0 = position[0] * steps[0] - top, position[1] * steps[1] - left
    mask[0, max(r0, 0) : max(r0 + pool[0], 0), max(c0, 0) : max(c0 + pool[1], 0), 0] = True
    return mask


def test_ties_by_hand():
    # Four equal values in one 2 x 2 window: the top-left one (first in row-major order) takes the gradient.
    assert max_pool2d_backward(np.ones((1, 2, 2, 1)), [[[[3.0]]]])[0, :, :, 0].tolist() == [[3, 0], [0, 0]]
    # A tie between the top-right and the bottom-left: the top-right comes first.
    x = np.array([[0.0, 7.0], [7.0, 1.0]]).reshape(1, 2, 2, 1)
    assert max_pool2d_backward(x, [[[[1.0]]]])[0, :, :, 0].tolist() == [[0, 1], [0, 0]]
    # Overlapping windows (pool 2, stride 1) that share their maximum: it collects both gradients.
    x = np.array([0.0, 5.0, 1.0]).reshape(1, 1, 3, 1)
    assert max_pool2d_backward(x, np.array([2.0, 3.0]).reshape(1, 1, 2, 1), (1, 2), 1)[0, 0, :, 0].tolist() == [0, 5, 0]


def test_average_same_padding_by_hand():
    # Rows of 3 pooled by 2 with "same": the last window holds one real value and gives it all its gradient.
    grad = average_pool2d_backward(
        np.zeros((1, 1, 3, 1)), np.array([4.0, 4.0]).reshape(1, 1, 2, 1), (1, 2), None, "same"
    )
    assert grad[0, 0, :, 0].tolist() == [2, 2, 4]


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=3, max_size=4).map(tuple),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_global_average_gradient_matches_finite_differences(shape, keepdims, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    delta = rng.standard_normal(global_average_pool(x, keepdims).shape)
    grad = global_average_pool_backward(x, delta, keepdims)
    expected = finite_difference(lambda: float(np.sum(global_average_pool(x, keepdims) * delta)), x)
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


def test_dtypes_follow_the_one_rule():
    x32 = np.ones((1, 4, 4, 1), np.float32)
    assert max_pool2d_backward(x32, np.ones((1, 2, 2, 1), np.float32)).dtype == np.float32
    assert average_pool2d_backward(x32, np.ones((1, 2, 2, 1), np.float32)).dtype == np.float32
    assert max_pool2d_backward(x32.astype(int), np.ones((1, 2, 2, 1), int)).dtype == np.float64
    assert global_average_pool_backward(x32, np.ones((1, 1), np.float32)).dtype == np.float32


@pytest.mark.parametrize("backward", [max_pool2d_backward, average_pool2d_backward], ids=lambda f: f.__name__)
def test_bad_input(backward):
    x = np.ones((1, 4, 4, 1))
    forward = backward.__name__.removesuffix("_backward")
    expected = rf"{backward.__name__}: grad_output must have the shape of {forward}'s output, \(1, 2, 2, 1\); got"
    with pytest.raises(ValueError, match=expected):
        backward(x, x)
    with pytest.raises(TypeError, match="grad_output must be an array of real numbers"):
        backward(x, np.full((1, 2, 2, 1), "a"))
    with pytest.raises(ValueError, match=r"x must have 4 axes .*x\[None\]"):
        backward(np.ones((4, 4, 1)), np.ones((1, 2, 2, 1)))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        backward(x, np.ones((1, 2, 2, 1)), padding="full")


def test_global_bad_input():
    with pytest.raises(
        ValueError,
        match=r"global_average_pool_backward: grad_output must have the shape of global_average_pool's output",
    ):
        global_average_pool_backward(np.ones((2, 3, 3, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x must have 3 axes"):
        global_average_pool_backward(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(TypeError, match="keepdims must be a bool"):
        global_average_pool_backward(np.ones((2, 3, 4)), np.ones((2, 4)), keepdims=1)
