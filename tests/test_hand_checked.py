"""Cases small enough to work out by hand, including the seed notebooks' examples."""

from __future__ import annotations

import keras
import numpy as np
import pytest

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

SEED_1D = [0, 1, 0, 1, 1, 0]
SEED_FILTER = [0, 1]  # picks the second element of every window: a one-step shift


@pytest.mark.parametrize("conv", CONV1D, **by_name)
def test_seed_1d_valid_and_same(conv):
    # Windows (0,1) (1,0) (0,1) (1,1) (1,0) dotted with (0,1) give each window's second element;
    # "same" adds one zero at the end, whose window (0, 0) gives 0.
    assert conv(as_1d(SEED_1D), kernel_1d(SEED_FILTER))[0, :, 0].tolist() == [1, 0, 1, 1, 0]
    assert conv(as_1d(SEED_1D), kernel_1d(SEED_FILTER), padding="same")[0, :, 0].tolist() == [1, 0, 1, 1, 0, 0]


def test_seed_1d_keras_conv1d():
    layer = keras.layers.Conv1D(1, kernel_size=2, padding="same")
    layer.build((None, 6, 1))
    layer.set_weights([kernel_1d(SEED_FILTER), np.zeros(1)])
    out = np.asarray(layer(as_1d(SEED_1D).astype("float32")))
    assert out[0, :, 0].tolist() == [1, 0, 1, 1, 0, 0]


SEED_2D = np.tile(SEED_1D, (6, 1))  # six identical rows
SEED_DETECTOR = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 2]])
# With one zero of padding all round, y[i, j] = x[i-1, j-1] + x[i, j-1] + 2 x[i+1, j+1].
# Every row of x is v = (0, 1, 0, 1, 1, 0), so v[j-1] = (0, 0, 1, 0, 1, 1) and v[j+1] = (1, 0, 1, 1, 0, 0):
#   first row (no row above):  v[j-1] + 2 v[j+1]
#   rows 1..4:                2 v[j-1] + 2 v[j+1]
#   last row (no row below):  2 v[j-1]
SEED_2D_EXPECTED = np.array(
    [
        [2, 0, 3, 2, 1, 1],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [0, 0, 2, 0, 2, 2],
    ]
)


@pytest.mark.parametrize("conv", CONV2D, **by_name)
def test_seed_2d_detector_same(conv):
    x = SEED_2D.reshape(1, 6, 6, 1)
    kernel = SEED_DETECTOR.reshape(3, 3, 1, 1)
    np.testing.assert_array_equal(conv(x, kernel, padding="same")[0, :, :, 0], SEED_2D_EXPECTED)


def test_seed_2d_keras_conv2d():
    layer = keras.layers.Conv2D(1, kernel_size=(3, 3), padding="same")
    layer.build((None, 6, 6, 1))
    layer.set_weights([SEED_DETECTOR.reshape(3, 3, 1, 1), np.zeros(1)])
    out = np.asarray(layer(SEED_2D.reshape(1, 6, 6, 1).astype("float32")))
    np.testing.assert_array_equal(out[0, :, :, 0], SEED_2D_EXPECTED)


def per_channel_loop(image, kernels):
    """The seed's per-channel computation: filter every channel, then add the channel maps."""
    kh, kw, c_in, c_out = kernels.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    y = np.zeros((rows, cols, c_out))
    for o in range(c_out):
        for c in range(c_in):
            for i in range(rows):
                for j in range(cols):
                    y[i, j, o] += np.sum(kernels[:, :, c, o] * image[i : i + kh, j : j + kw, c])
    return y


def test_seed_keras_conv2d_on_4x4x3_equals_per_channel_loop():
    keras.utils.set_random_seed(0)
    layer = keras.layers.Conv2D(2, (2, 2), use_bias=False)
    image = np.random.default_rng(0).standard_normal((4, 4, 3)).astype("float32")
    feature_maps = np.asarray(layer(image[None]))
    kernels = layer.get_weights()[0]
    assert feature_maps.shape == (1, 3, 3, 2)
    assert kernels.shape == (2, 2, 3, 2)
    expected = per_channel_loop(image, kernels)
    np.testing.assert_allclose(feature_maps[0], expected, rtol=1e-5, atol=1e-6)
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
