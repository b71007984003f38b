"""convbook.locally_connected: a convolution's windows with one filter bank per output position."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import correlate

from convbook.conv import conv2d
from convbook.locally_connected import locally_connected2d
from convbook.loops import conv2d_loop


@st.composite
def cases(draw):
    """An input, untied weights of the right shapes and the strides of a valid locally connected layer."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    rows, cols = draw(st.integers(kh, 7)), draw(st.integers(kw, 7))
    out_rows, out_cols = (rows - kh) // strides[0] + 1, (cols - kw) // strides[1] + 1
    batch, c_in, c_out = draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return dict(
        x=rng.standard_normal((batch, rows, cols, c_in)).astype(dtype),
        kernel=rng.standard_normal((out_rows, out_cols, kh, kw, c_in, c_out)).astype(dtype),
        bias=rng.standard_normal((out_rows, out_cols, c_out)).astype(dtype) if draw(st.booleans()) else None,
        strides=strides,
    )


def einsum_oracle(x, kernel, bias, strides):
    """The definition in float64 with NumPy alone: every window, cut out, times its own filter bank."""
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    out_rows, out_cols, kh, kw = kernel.shape[:4]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # (b, r, c, c_in, kh, kw)
    windows = windows[:, :: strides[0], :: strides[1]][:, :out_rows, :out_cols]
    y = np.einsum("bijcpq,ijpqco->bijo", windows, kernel)
    return y if bias is None else y + bias


def tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(case=cases())
def test_untied_weights_match_the_einsum_oracle(case):
    y = locally_connected2d(case["x"], case["kernel"], case["bias"], strides=case["strides"])
    expected = einsum_oracle(case["x"], case["kernel"], case["bias"], case["strides"])
    assert y.shape == expected.shape and y.dtype == case["x"].dtype
    np.testing.assert_allclose(y, expected, **tolerance(y.dtype))


@settings(max_examples=40)
@given(case=cases())
def test_tied_weights_are_a_convolution(case):
    shared = case["kernel"][0, 0]  # one (kh, kw, c_in, c_out) filter bank for every position
    shared_bias = None if case["bias"] is None else case["bias"][0, 0]
    tied = np.broadcast_to(shared, case["kernel"].shape)
    tied_bias = None if shared_bias is None else np.broadcast_to(shared_bias, case["bias"].shape)
    y = locally_connected2d(case["x"], tied, tied_bias, strides=case["strides"])
    np.testing.assert_allclose(
        y, conv2d_loop(case["x"], shared, shared_bias, strides=case["strides"]), **tolerance(y.dtype)
    )
    np.testing.assert_allclose(y, conv2d(case["x"], shared, shared_bias, strides=case["strides"]), **tolerance(y.dtype))
    np.testing.assert_allclose(
        y, correlate(case["x"], shared, shared_bias, strides=case["strides"]), **tolerance(y.dtype)
    )


def test_each_position_uses_only_its_own_filter_bank():
    x = np.random.default_rng(0).standard_normal((1, 5, 4, 2))
    kernel = np.random.default_rng(1).standard_normal((3, 2, 3, 3, 2, 2))
    before = locally_connected2d(x, kernel)
    changed = kernel.copy()
    changed[1, 0] += 1.0
    after = locally_connected2d(x, changed)
    differs = np.any(after != before, axis=(0, 3))
    np.testing.assert_array_equal(differs, np.arange(6).reshape(3, 2) == 2)  # only position (1, 0)


def test_dtype_follows_the_library_rule():
    x = np.ones((1, 3, 3, 1), np.uint8)
    assert locally_connected2d(x, np.ones((2, 2, 2, 2, 1, 1), np.uint8)).dtype == np.float64
    assert locally_connected2d(x.astype(np.float32), np.ones((2, 2, 2, 2, 1, 1), np.float32)).dtype == np.float32
    assert locally_connected2d(x.astype(np.float16), np.ones((2, 2, 2, 2, 1, 1), np.float16)).dtype == np.float32


def test_an_empty_batch_gives_an_empty_output():
    y = locally_connected2d(np.ones((0, 4, 4, 2)), np.ones((2, 2, 3, 3, 2, 5)))
    assert y.shape == (0, 2, 2, 5)


@pytest.mark.parametrize(
    ("x", "kernel", "bias", "strides", "error", "message"),
    [
        (np.ones((4, 4, 1)), np.ones((3, 3, 2, 2, 1, 1)), None, 1, ValueError, r"x must have 4 axes.*x\[None\]"),
        (np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), None, 1, ValueError, r"kernel must have 6 axes \(out_rows"),
        (np.ones((1, 4, 4, 1)), np.ones((3, 3, 2, 2, 1, 0)), None, 1, ValueError, "kernel must not be empty"),
        (np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 2, 2, 1)), None, 1, ValueError, "kernel has 2 input channels"),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((1, 1, 5, 2, 1, 1)),
            None,
            1,
            ValueError,
            "kernel does not fit along axis 'rows'",
        ),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((3, 2, 2, 2, 1, 1)),
            None,
            1,
            ValueError,
            r"kernel.shape\[:2\] must be \(3, 3\)",
        ),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((3, 3, 2, 2, 1, 1)),
            None,
            2,
            ValueError,
            r"kernel.shape\[:2\] must be \(2, 2\)",
        ),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((3, 3, 2, 2, 1, 2)),
            np.ones(2),
            1,
            ValueError,
            r"bias must have shape .* \(3, 3, 2\)",
        ),
        (np.ones((1, 4, 4, 1)), np.ones((3, 3, 2, 2, 1, 1)), None, (1, 0), ValueError, "strides must be"),
        (np.ones((1, 4, 4, 1)), np.ones((3, 3, 2, 2, 1, 1)), None, 1.5, TypeError, "strides must be"),
        (np.ones((1, 4, 4, 1), complex), np.ones((3, 3, 2, 2, 1, 1)), None, 1, TypeError, "x must be an array of real"),
        (np.ones((1, 4, 4, 1)), [["a"]], None, 1, TypeError, "kernel must be an array of real"),
        (np.ones((1, 4, 4, 1)), np.ones((3, 3, 2, 2, 1, 1)), "b", 1, TypeError, "bias must be an array of real"),
    ],
)
def test_bad_arguments_are_named(x, kernel, bias, strides, error, message):
    with pytest.raises(error, match=message):
        locally_connected2d(x, kernel, bias, strides=strides)
