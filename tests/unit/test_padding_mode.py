"""padding_mode: what the padded positions hold, against numpy.pad and scipy.ndimage, forward and backward.

The oracle tests of every engine (test_conv, test_direct, test_fft, test_loops, test_vectorized, test_backward)
draw padding modes too; here are the references the modes are named after, the adjoint that trains them,
the errors, and the promise that the tiled engine never pads the input as a whole.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given, settings
from hypothesis import strategies as st

import convbook
from convbook import backward, direct, fft
from convbook.arguments import NUMPY_PAD_MODES, PADDING_MODES, conv_geometry, fold_padding, pad_input, padded_index
from convbook.bench import workspace
from convbook.conv import METHODS

MiB = 2**20
RNG = np.random.default_rng(20261122)

#: scipy.ndimage's name for each mode, from its manual; its "reflect" is NumPy's "symmetric", not ours.
SCIPY_MODES = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}


def test_the_modes_and_their_numpy_names():
    assert PADDING_MODES == ("zeros", "reflect", "replicate", "circular")
    assert NUMPY_PAD_MODES == {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
    assert convbook.PADDING_MODES is PADDING_MODES and convbook.pad_input is pad_input


@st.composite
def axis_cases(draw):
    mode = draw(st.sampled_from(PADDING_MODES))
    size = draw(st.integers(1, 9))
    limit = size - 1 if mode == "reflect" else 12  # a reflection reaches size - 1 at most; a wrap any distance
    return mode, size, draw(st.integers(0, limit)), draw(st.integers(0, limit))


@settings(max_examples=60)
@given(case=axis_cases())
def test_padded_index_reads_what_numpy_pad_writes(case):
    mode, size, before, after = case
    values = np.arange(1, size + 1)  # 0 is the padding of "zeros"
    index = padded_index(np.arange(-before, size + after), size, mode)
    read = np.where(index >= 0, values[np.maximum(index, 0)], 0)
    np.testing.assert_array_equal(read, np.pad(values, (before, after), mode=NUMPY_PAD_MODES[mode]))


@settings(max_examples=40)
@given(case=axis_cases(), rows=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_fold_padding_is_the_adjoint_of_pad_input(case, rows, seed):
    """``<pad(x), y> == <x, fold(y)>`` for random ``x`` and ``y``: what makes ``dx`` right for every mode."""
    mode, size, before, after = case
    rng = np.random.default_rng(seed)
    pads = [(min(1, rows - 1), 0) if mode == "reflect" else (2, 1), (before, after)]
    x = rng.standard_normal((2, rows, size, 3))
    padded = pad_input(x, pads, mode)
    y = rng.standard_normal(padded.shape)
    folded = fold_padding(y, pads, mode)
    assert folded.shape == x.shape and folded.flags.c_contiguous
    np.testing.assert_allclose(np.sum(padded * y), np.sum(x * folded), rtol=1e-12)


def test_no_padding_is_the_input_itself():
    x = np.ones((1, 3, 3, 1))
    assert pad_input(x, [(0, 0), (0, 0)], "reflect") is x


@settings(max_examples=30)
@given(
    mode=st.sampled_from(PADDING_MODES),
    kernel_size=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    extra=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    method=st.sampled_from(METHODS),
    seed=st.integers(0, 2**16),
)
def test_same_padding_is_scipy_ndimage_correlate_in_its_mode(mode, kernel_size, extra, method, seed):
    """scipy.ndimage.correlate centres a kernel of ``k`` taps at ``k // 2``; "same" pads ``(k - 1) // 2`` first.

    So for an even ``k`` the two agree with ``origin=-1``, which moves SciPy's centre to ``(k - 1) // 2``.
    """
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((kernel_size[0] + extra[0], kernel_size[1] + extra[1]))
    kernel = rng.standard_normal(kernel_size)
    origin = [(k - 1) // 2 - k // 2 for k in kernel_size]
    expected = scipy.ndimage.correlate(image, kernel, mode=SCIPY_MODES[mode], cval=0.0, origin=origin)
    actual = convbook.conv2d(image[None, ..., None], kernel[..., None, None], padding="same", padding_mode=mode)
    np.testing.assert_allclose(actual[0, ..., 0], expected, rtol=1e-10, atol=1e-10)
    actual = convbook.conv2d(
        image[None, ..., None], kernel[..., None, None], padding="same", padding_mode=mode, method=method
    )
    np.testing.assert_allclose(actual[0, ..., 0], expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_1d_same_padding_is_scipy_ndimage_correlate1d(mode):
    signal, taps = RNG.standard_normal(11), RNG.standard_normal(5)
    expected = scipy.ndimage.correlate1d(signal, taps, mode=SCIPY_MODES[mode], cval=0.0)
    for function in (convbook.conv1d, convbook.conv1d_loop):
        actual = function(signal[None, :, None], taps[:, None, None], padding="same", padding_mode=mode)
        np.testing.assert_allclose(actual[0, :, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("padding", ["same", "full", ((2, 1), (0, 2)), 1])
def test_every_function_is_numpy_pad_then_a_valid_convolution(mode, padding):
    x, kernel, bias = RNG.standard_normal((2, 6, 7, 4)), RNG.standard_normal((3, 2, 2, 6)), RNG.standard_normal(6)
    options = dict(strides=(2, 1), dilation_rate=(1, 2), groups=2)
    pads = conv_geometry(x.shape, kernel.shape, padding=padding, **options).pads
    expected = convbook.conv2d_loop(
        np.pad(x, [(0, 0), *pads, (0, 0)], mode=NUMPY_PAD_MODES[mode]), kernel, bias, **options
    )
    functions = [
        convbook.conv2d_loop,
        convbook.conv2d_im2col,
        convbook.conv2d_per_tap,
        convbook.conv2d_direct,
        convbook.conv2d_fft,
        *(lambda *a, m=m, **k: convbook.conv2d(*a, method=m, **k) for m in METHODS),
    ]
    for function in functions:
        actual = function(x, kernel, bias, padding=padding, padding_mode=mode, **options)
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


def test_circular_same_padding_is_the_circular_correlation_of_the_fft():
    """With circular padding, a stride-1 "same" correlation is the FFT's own circular correlation at the input's
    length: no zeros, no wider transform. (An odd kernel, centred; the FFT of the kernel is taken rolled so
    that its centre tap is at index 0.)"""
    image, kernel = RNG.standard_normal((12, 10)), RNG.standard_normal((5, 3))
    centred = np.zeros_like(image)
    centred[: kernel.shape[0], : kernel.shape[1]] = kernel
    centred = np.roll(centred, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), axis=(0, 1))
    circular = np.fft.ifft2(np.fft.fft2(image) * np.conj(np.fft.fft2(centred))).real
    actual = convbook.conv2d(image[None, ..., None], kernel[..., None, None], padding="same", padding_mode="circular")
    np.testing.assert_allclose(actual[0, ..., 0], circular, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_gradients_are_those_of_numpy_pad_then_a_valid_convolution(mode):
    """``dkernel`` is the valid convolution's on the padded input; ``dx`` its ``dx`` folded back by the padding."""
    x, kernel = RNG.standard_normal((2, 7, 6, 3)), RNG.standard_normal((3, 3, 3, 2))
    options = dict(strides=(1, 2), dilation_rate=(2, 1))
    pads = conv_geometry(x.shape, kernel.shape, padding="same", **options).pads
    padded = np.pad(x, [(0, 0), *pads, (0, 0)], mode=NUMPY_PAD_MODES[mode])
    grad_output = RNG.standard_normal(convbook.conv2d(padded, kernel, **options).shape)
    valid = convbook.conv2d_backward(padded, kernel, grad_output, **options)
    grads = convbook.conv2d_backward(x, kernel, grad_output, padding="same", padding_mode=mode, **options)
    np.testing.assert_allclose(grads.dkernel, valid.dkernel, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads.dbias, valid.dbias, rtol=1e-12, atol=1e-12)
    # Every input pixel's gradient is the sum of the gradients of the padded positions that copied it.
    copies = np.zeros_like(x)
    for row, source_row in enumerate(padded_index(np.arange(-pads[0][0], 7 + pads[0][1]), 7, mode)):
        for col, source_col in enumerate(padded_index(np.arange(-pads[1][0], 6 + pads[1][1]), 6, mode)):
            if source_row >= 0 and source_col >= 0:
                copies[:, source_row, source_col] += valid.dx[:, row, col]
    np.testing.assert_allclose(grads.dx, copies, rtol=1e-12, atol=1e-12)


def test_a_reflect_padded_layer_can_be_trained():
    """Gradient descent on a kernel under reflect padding recovers the kernel that made the targets."""
    x = RNG.standard_normal((4, 9, 9, 1))
    target_kernel = RNG.standard_normal((3, 3, 1, 1))
    targets = convbook.conv2d(x, target_kernel, padding="same", padding_mode="reflect")
    kernel = np.zeros_like(target_kernel)
    for _ in range(300):  # the loss is half the mean squared error
        y = convbook.conv2d(x, kernel, padding="same", padding_mode="reflect")
        grads = convbook.conv2d_backward(x, kernel, (y - targets) / y.size, padding="same", padding_mode="reflect")
        kernel -= 0.5 * grads.dkernel
    np.testing.assert_allclose(kernel, target_kernel, atol=1e-6)


# Errors: named, at the public functions, as PyTorch's.

FUNCTIONS_2D = [
    convbook.conv2d,
    convbook.conv2d_loop,
    convbook.conv2d_direct,
    convbook.conv2d_fft,
    convbook.conv2d_im2col,
    convbook.conv2d_per_tap,
    convbook.choose_method,
    lambda x, kernel, **options: convbook.conv2d_backward(x, kernel, np.ones((1, 3, 3, 1)), **options),
    lambda x, kernel, **options: convbook.im2col(x, kernel.shape[:2], **options),
    lambda x, kernel, **options: conv_geometry(x.shape, kernel.shape, **options),
]


@pytest.mark.parametrize("function", FUNCTIONS_2D)
@pytest.mark.parametrize(
    ("kernel_size", "options", "error", "message"),
    [
        ((1, 2), dict(padding_mode="mirror"), ValueError, "padding_mode must be one of 'zeros', 'reflect'"),
        ((1, 2), dict(padding_mode=None), TypeError, "padding_mode must be a string"),
        ((1, 2), dict(padding_mode="Reflect"), ValueError, "padding_mode must be one of"),
        (
            (1, 2),
            dict(padding=((3, 0), (1, 1)), padding_mode="reflect"),
            ValueError,
            "padding_mode='reflect' needs padding smaller than the input along axis 'rows'",
        ),
        ((3, 3), dict(padding="full", padding_mode="reflect"), ValueError, "pads (2, 2) around 2 cols"),
    ],
)
def test_bad_padding_modes_are_named(function, kernel_size, options, error, message):
    x, kernel = np.ones((1, 3, 2, 1)), np.ones((*kernel_size, 1, 1))
    with pytest.raises(error, match=re.escape(message)):
        function(x, kernel, **{"padding": ((1, 1), (1, 0)), **options})


def test_a_reflection_fits_when_the_padding_is_one_less_than_the_input():
    x = np.arange(3.0).reshape(1, 3, 1)
    y = convbook.conv1d(x, np.ones((1, 1, 1)), padding=(2, 2), padding_mode="reflect")
    np.testing.assert_array_equal(y[0, :, 0], [2, 1, 0, 1, 2, 1, 0])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_an_empty_axis_has_nothing_to_pad_with(mode):
    with pytest.raises(ValueError, match=f"padding_mode='{mode}' pads with the input's own values, but x has 0 steps"):
        convbook.conv1d(np.ones((1, 0, 1)), np.ones((3, 1, 1)), padding="full", padding_mode=mode)
    assert convbook.conv1d(np.ones((1, 0, 1)), np.ones((3, 1, 1)), padding="full").shape == (1, 2, 1)


# The tiled engine gathers the padding tile by tile: the input is never padded as a whole.


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_the_direct_method_never_pads_the_whole_input(mode):
    x = RNG.standard_normal((16, 96, 96, 16), dtype=np.float32)
    kernel = RNG.standard_normal((5, 5, 16, 16), dtype=np.float32)
    options = dict(padding="same", padding_mode=mode)
    convbook.conv2d(x[:1], kernel, method="direct", **options)  # imports and BLAS threads, outside the measurement
    y, extra = workspace(convbook.conv2d, x, kernel, method="direct", **options)
    padded_bytes = pad_input(x, [(2, 2), (2, 2)], mode).nbytes
    bound = direct.workspace_bytes(conv_geometry(x.shape, kernel.shape, **options))
    assert extra <= bound < padded_bytes / 4
    assert bound == direct.workspace_bytes(conv_geometry(x.shape, kernel.shape, padding="same"))
    np.testing.assert_allclose(y[3:5], convbook.conv2d(x[3:5], kernel, method="einsum", **options), atol=5e-4)


def test_the_fft_pads_a_chunk_of_images_at_a_time_within_its_bound():
    x = RNG.standard_normal((48, 128, 128, 2), dtype=np.float32)
    kernel = RNG.standard_normal((15, 15, 2, 2), dtype=np.float32)
    options = dict(padding="same", padding_mode="reflect")
    geometry = conv_geometry(x.shape, kernel.shape, **options)
    fft.fft_convolve(convbook.prepare_conv(x[:1], kernel, None, 1, "same", 1, 1, rank=2, function="t"))
    _, extra = workspace(convbook.conv2d_fft, x, kernel, **options)
    assert extra <= fft.workspace_bytes(geometry)
    assert fft.fft_plan(geometry)[1] < 48  # more than one chunk, so a whole-batch pad would show


def test_backward_module_folds_with_fold_padding():
    """input_gradient is public: on validated arguments it honours their padding mode too."""
    args = convbook.prepare_conv(
        np.arange(4.0).reshape(1, 4, 1), np.ones((3, 1, 1)), None, 1, "same", 1, 1, rank=1, function="t",
        padding_mode="circular",
    )  # fmt: skip
    dx = backward.input_gradient(args, np.ones((1, 4, 1)))
    np.testing.assert_array_equal(dx[0, :, 0], [3, 3, 3, 3])  # every pixel is read by three windows, wrapping


def test_circular_padding_may_be_longer_than_the_input():
    # PyTorch refuses circular padding longer than the input; here it wraps as often as needed, as np.pad does.
    x = np.arange(3.0).reshape(1, 3, 1)
    y = convbook.conv1d(x, np.ones((2, 1, 1)), padding=((5, 4),), padding_mode="circular")
    wrapped = np.pad(x[0, :, 0], (5, 4), mode="wrap")
    np.testing.assert_array_equal(y[0, :, 0], wrapped[:-1] + wrapped[1:])
