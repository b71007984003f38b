"""Every kind of bad input gets a clear error that names the argument."""

from __future__ import annotations

import numpy as np
import pytest

import convbook

IMAGE = np.ones((1, 5, 5, 3))
KERNEL = np.ones((3, 3, 3, 2))
SEQUENCE = np.ones((1, 6, 2))
KERNEL_1D = np.ones((2, 2, 4))

CASES_2D = [
    # (name, x, kernel, keyword arguments, error type, message pattern)
    (
        "unbatched image",
        np.ones((5, 5, 3)),
        KERNEL,
        {},
        ValueError,
        r"x must have 4 axes .*add a batch axis: conv2d\w*\(x\[None\]",
    ),
    (
        "1D input to conv2d",
        SEQUENCE,
        KERNEL,
        {},
        ValueError,
        r"x must have 4 axes \(batch, rows, cols, channels\); got shape \(1, 6, 2\)",
    ),
    ("channel mismatch", IMAGE, np.ones((3, 3, 2, 2)), {}, ValueError, "kernel has 2 input channels .* but x has 3"),
    (
        "kernel rank",
        IMAGE,
        np.ones((3, 3)),
        {},
        ValueError,
        r"kernel must have 4 axes \(kh, kw, c_in // groups, c_out\); got shape \(3, 3\)",
    ),
    ("zero stride", IMAGE, KERNEL, dict(strides=0), ValueError, "strides must be a positive int or a sequence of 2"),
    ("negative stride", IMAGE, KERNEL, dict(strides=(1, -2)), ValueError, "strides must be"),
    ("strides of wrong length", IMAGE, KERNEL, dict(strides=(1, 1, 1)), ValueError, "strides must be .* 3 entries"),
    ("float stride", IMAGE, KERNEL, dict(strides=1.5), TypeError, "strides must be"),
    ("zero dilation", IMAGE, KERNEL, dict(dilation_rate=0), ValueError, "dilation_rate must be a positive int"),
    (
        "dilation of wrong length",
        IMAGE,
        KERNEL,
        dict(dilation_rate=(2,)),
        ValueError,
        "dilation_rate must be .* 1 entries",
    ),
    ("unknown padding", IMAGE, KERNEL, dict(padding="smae"), ValueError, "padding must be 'valid', 'same'.*got 'smae'"),
    ("negative padding", IMAGE, KERNEL, dict(padding=-1), ValueError, "padding must be a non-negative int"),
    ("causal in 2D", IMAGE, KERNEL, dict(padding="causal"), ValueError, "padding='causal' is only defined for 1D"),
    (
        "kernel larger than input",
        IMAGE,
        np.ones((6, 3, 3, 2)),
        {},
        ValueError,
        "kernel does not fit along axis 'rows': its extent is 6",
    ),
    (
        "dilated kernel larger than input",
        IMAGE,
        KERNEL,
        dict(dilation_rate=3),
        ValueError,
        "its extent is 7 .*dilation 3",
    ),
    (
        "bias of wrong length",
        IMAGE,
        KERNEL,
        dict(bias=np.ones(3)),
        ValueError,
        r"bias must have shape \(c_out,\) = \(2,\); got shape \(3,\)",
    ),
    (
        "groups not dividing c_in",
        IMAGE,
        np.ones((3, 3, 1, 2)),
        dict(groups=2),
        ValueError,
        r"groups=2 must divide the input channels of x \(3\)",
    ),
    (
        "groups not dividing c_out",
        np.ones((1, 5, 5, 4)),
        np.ones((3, 3, 2, 3)),
        dict(groups=2),
        ValueError,
        r"groups=2 must divide the output channels of kernel \(3\)",
    ),
    (
        "kernel channels not c_in // groups",
        np.ones((1, 5, 5, 4)),
        np.ones((3, 3, 4, 2)),
        dict(groups=2),
        ValueError,
        r"kernel has 4 input channels .* c_in // groups = 4 // 2 = 2",
    ),
    ("zero groups", IMAGE, KERNEL, dict(groups=0), ValueError, "groups must be a positive int"),
    ("float groups", IMAGE, KERNEL, dict(groups=1.0), TypeError, "groups must be a positive int"),
    (
        "empty kernel",
        IMAGE,
        np.ones((0, 3, 3, 2)),
        {},
        ValueError,
        r"kernel must not be empty; got shape \(0, 3, 3, 2\)",
    ),
    (
        "string input",
        np.full((1, 5, 5, 3), "a"),
        KERNEL,
        {},
        TypeError,
        "x must be an array of real numbers; got dtype <U1",
    ),
    (
        "complex kernel",
        IMAGE,
        KERNEL + 1j,
        {},
        TypeError,
        "kernel must be an array of real numbers; got dtype complex128",
    ),
    ("ragged input", [[1, 2], [3]], KERNEL, {}, TypeError, "x must be an array of real numbers; could not convert"),
    ("string bias", IMAGE, KERNEL, dict(bias=["a", "b"]), TypeError, "bias must be an array of real numbers"),
]


@pytest.mark.parametrize(
    "conv",
    [convbook.conv2d, convbook.conv2d_loop, convbook.conv2d_im2col, convbook.conv2d_per_tap],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(("name", "x", "kernel", "options", "error", "message"), CASES_2D, ids=[c[0] for c in CASES_2D])
def test_conv2d_bad_input(conv, name, x, kernel, options, error, message):
    with pytest.raises(error, match=message):
        conv(x, kernel, **options)


CASES_1D = [
    (
        "unbatched sequence",
        np.ones((6, 2)),
        KERNEL_1D,
        {},
        ValueError,
        r"x must have 3 axes \(batch, steps, channels\).*x\[None\]",
    ),
    (
        "kernel rank",
        SEQUENCE,
        np.ones((2, 2, 4, 1)),
        {},
        ValueError,
        r"kernel must have 3 axes \(k, c_in // groups, c_out\)",
    ),
    ("channel mismatch", SEQUENCE, np.ones((2, 3, 4)), {}, ValueError, "kernel has 3 input channels .* but x has 2"),
    (
        "kernel larger than input",
        SEQUENCE,
        np.ones((7, 2, 4)),
        {},
        ValueError,
        "kernel does not fit along axis 'steps'",
    ),
    ("explicit padding too large a pair", SEQUENCE, KERNEL_1D, dict(padding=(1, 2, 3)), ValueError, "padding must"),
]


@pytest.mark.parametrize("conv", [convbook.conv1d, convbook.conv1d_loop], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("name", "x", "kernel", "options", "error", "message"), CASES_1D, ids=[c[0] for c in CASES_1D])
def test_conv1d_bad_input(conv, name, x, kernel, options, error, message):
    with pytest.raises(error, match=message):
        conv(x, kernel, **options)


def test_causal_padding_is_accepted_in_1d():
    assert convbook.conv1d(SEQUENCE, KERNEL_1D, padding="causal").shape == (1, 6, 4)


# The method argument of conv1d and conv2d.

METHOD_CASES = [
    # (name, keyword arguments, error type, message pattern)
    (
        "unknown method",
        dict(method="fast"),
        ValueError,
        r"method must be one of 'auto', 'direct', 'fft', 'einsum'; got 'fast'",
    ),
    ("method in capitals", dict(method="FFT"), ValueError, r"method must be one of .*; got 'FFT'"),
    (
        "method not a string",
        dict(method=1),
        TypeError,
        r"method must be a string, one of 'auto', 'direct', 'fft', 'einsum'; got 1",
    ),
    ("method None", dict(method=None), TypeError, "method must be a string"),
]


@pytest.mark.parametrize(("name", "options", "error", "message"), METHOD_CASES, ids=[c[0] for c in METHOD_CASES])
def test_conv2d_bad_method(name, options, error, message):
    with pytest.raises(error, match=message):
        convbook.conv2d(IMAGE, KERNEL, **options)


@pytest.mark.parametrize(("name", "options", "error", "message"), METHOD_CASES, ids=[c[0] for c in METHOD_CASES])
def test_conv1d_bad_method(name, options, error, message):
    with pytest.raises(error, match=message):
        convbook.conv1d(SEQUENCE, KERNEL_1D, **options)


@pytest.mark.parametrize("method", ["direct", "fft", "einsum"])
@pytest.mark.parametrize(("name", "x", "kernel", "options", "error", "message"), CASES_2D, ids=[c[0] for c in CASES_2D])
def test_every_method_rejects_bad_2d_input_alike(method, name, x, kernel, options, error, message):
    with pytest.raises(error, match=message):
        convbook.conv2d(x, kernel, **options, method=method)


@pytest.mark.parametrize("method", ["direct", "fft", "einsum"])
@pytest.mark.parametrize(("name", "x", "kernel", "options", "error", "message"), CASES_1D, ids=[c[0] for c in CASES_1D])
def test_every_method_rejects_bad_1d_input_alike(method, name, x, kernel, options, error, message):
    with pytest.raises(error, match=message):
        convbook.conv1d(x, kernel, **options, method=method)


def test_bad_method_is_reported_before_the_arrays_are_checked():
    with pytest.raises(ValueError, match="method must be"):
        convbook.conv2d(np.ones((5, 5, 3)), KERNEL, method="loop")
