"""Cases small enough to work out by hand, including the seed notebooks' examples."""

from __future__ import annotations

import numpy as np
import pytest
from seeds import SEED_1D, SEED_2D, SEED_2D_EXPECTED, SEED_DETECTOR, SEED_FILTER, per_channel_loop

import convbook

CONV1D = [convbook.conv1d, convbook.conv1d_loop]
CONV2D = [convbook.conv2d, convbook.conv2d_loop, convbook.conv2d_im2col, convbook.conv2d_per_tap]
by_name = dict(ids=lambda f: f.__name__)


def as_1d(values):
    """A single one-channel sequence as a (1, steps, 1) batch."""
    return np.asarray(values, dtype=float).reshape(1, -1, 1)


def kernel_1d(values):
    return np.asarray(values, dtype=float).reshape(-1, 1, 1)


# --- the seed examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("conv", CONV1D, **by_name)
def test_seed_1d_valid_and_same(conv):
    # Windows (0,1) (1,0) (0,1) (1,1) (1,0) dotted with (0,1) give each window's second element;
    # "same" adds one zero at the end, whose window (0, 0) gives 0.
    assert conv(as_1d(SEED_1D), kernel_1d(SEED_FILTER))[0, :, 0].tolist() == [1, 0, 1, 1, 0]
    assert conv(as_1d(SEED_1D), kernel_1d(SEED_FILTER), padding="same")[0, :, 0].tolist() == [1, 0, 1, 1, 0, 0]


@pytest.mark.parametrize("conv", CONV2D, **by_name)
def test_seed_2d_detector_same(conv):
    x = SEED_2D.reshape(1, 6, 6, 1)
    kernel = SEED_DETECTOR.reshape(3, 3, 1, 1)
    np.testing.assert_array_equal(conv(x, kernel, padding="same")[0, :, :, 0], SEED_2D_EXPECTED)


def test_seed_4x4x3_image_with_two_filters_equals_per_channel_loop():
    # The seed's example with random weights (Keras' initializer draws them in tests/parity/test_hand_checked.py).
    image = np.random.default_rng(0).standard_normal((4, 4, 3)).astype("float32")
    kernels = np.random.default_rng(1).standard_normal((2, 2, 3, 2)).astype("float32")
    expected = per_channel_loop(image, kernels)
    assert expected.shape == (3, 3, 2)
    for conv in CONV2D:
        np.testing.assert_allclose(conv(image[None], kernels)[0], expected, rtol=1e-5, atol=1e-6)


# --- small cases worked out by hand --------------------------------------------------------------------


@pytest.mark.parametrize("conv", CONV1D, **by_name)
@pytest.mark.parametrize(
    ("x", "kernel", "options", "expected"),
    [
        # 5 steps, stride 2: ceil(5/2) = 3 outputs, total padding (3-1)*2 + 3 - 5 = 2 -> one zero each side:
        # [0 1 2 3 4 5 0] -> windows at 0, 2, 4 -> 0+1+2, 2+3+4, 4+5+0
        ([1, 2, 3, 4, 5], [1, 1, 1], dict(strides=2, padding="same"), [3, 9, 9]),
        # 6 steps, stride 2: total padding (3-1)*2 + 3 - 6 = 1, odd -> the zero goes at the end:
        # [1 2 3 4 5 6 0] -> 1+2+3, 3+4+5, 5+6+0
        ([1, 2, 3, 4, 5, 6], [1, 1, 1], dict(strides=2, padding="same"), [6, 12, 11]),
        # dilation 2 spreads [1, 1] over 3 steps: x[t] + x[t+2]
        ([1, 2, 3, 4, 5, 6], [1, 1], dict(dilation_rate=2), [4, 6, 8, 10]),
        # causal: one zero before -> [0 1 2 3] -> 0+1, 1+2, 2+3
        ([1, 2, 3], [1, 1], dict(padding="causal"), [1, 3, 5]),
        # full: one zero each side -> [0 1 1 0] with [1, 2] -> 0+2, 1+2, 1+0
        ([1, 1], [1, 2], dict(padding="full"), [2, 3, 1]),
        # explicit (2, 0): [0 0 1 2] with [1, -1] -> 0, -1, -1
        ([1, 2], [1, -1], dict(padding=(2, 0)), [0, -1, -1]),
        # cross-correlation, not convolution: [1, 2, 3] with [1, 0] picks x[t], no flip
        ([1, 2, 3], [1, 0], {}, [1, 2]),
    ],
)
def test_1d_by_hand(conv, x, kernel, options, expected):
    assert conv(as_1d(x), kernel_1d(kernel), **options)[0, :, 0].tolist() == expected


@pytest.mark.parametrize("conv", CONV2D, **by_name)
def test_2d_stride_and_bias_by_hand(conv):
    x = np.arange(16.0).reshape(1, 4, 4, 1)  # rows 0-3, 4-7, 8-11, 12-15
    kernel = np.ones((2, 2, 1, 1))
    # stride 2: the four disjoint 2x2 blocks: 0+1+4+5, 2+3+6+7, 8+9+12+13, 10+11+14+15; bias +1
    y = conv(x, kernel, [1.0], strides=2)
    assert y[0, :, :, 0].tolist() == [[11, 19], [43, 51]]


@pytest.mark.parametrize("conv", CONV2D, **by_name)
def test_groups_by_hand(conv):
    # Two channels, two groups, 1x1 kernels: each output channel scales its own input channel.
    x = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 10.0)], axis=-1)[None]
    kernel = np.array([3.0, 5.0]).reshape(1, 1, 1, 2)
    y = conv(x, kernel, groups=2)
    assert y[0, 0, 0].tolist() == [3, 50]
    # One group instead: both output channels see both channels (kernel now (1, 1, 2, 1)).
    y = conv(x, np.array([3.0, 5.0]).reshape(1, 1, 2, 1))
    assert y[0, 0, 0].tolist() == [3 + 50]


@pytest.mark.parametrize("conv", CONV2D, **by_name)
def test_empty_batch_gives_empty_result_of_right_shape(conv):
    y = conv(np.zeros((0, 7, 5, 3), np.float32), np.ones((3, 2, 3, 4), np.float32), strides=2, padding="same")
    assert y.shape == (0, 4, 3, 4)
    assert y.dtype == np.float32


@pytest.mark.parametrize("conv", CONV2D + CONV1D, **by_name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(conv, dtype):
    rank = 2 if "2d" in conv.__name__ else 1
    x = np.ones((1, *(3,) * rank, 1), dtype)
    assert conv(x, np.ones((*(2,) * rank, 1, 1), dtype)).dtype == dtype


def test_integer_input_is_computed_in_float64():
    y = convbook.conv1d(np.array([[[1], [2]]]), np.array([[[1]], [[1]]]))
    assert y.dtype == np.float64
    assert y.tolist() == [[[3.0]]]
