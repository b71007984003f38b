"""convbook.arguments: every kind of bad input gets a clear error that names the argument; shapes without
data (`conv_geometry`, `as_2d`); the one dtype rule (`computation_dtype`) at every entry point."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import convbook
from convbook import depthwise, pooling, transposed
from convbook.arguments import ConvGeometry, as_2d, as_real_array, computation_dtype, conv_geometry, prepare_conv
from convbook.backward import conv1d_backward, conv2d_backward
from convbook.direct import conv2d_direct
from convbook.fft import conv2d_fft

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
    [
        convbook.conv2d,
        convbook.conv2d_loop,
        convbook.conv2d_im2col,
        convbook.conv2d_per_tap,
        conv2d_direct,
        conv2d_fft,
    ],
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


def test_as_real_array_names_the_argument():
    assert as_real_array([1, 2], "x").dtype.kind == "i"
    with pytest.raises(TypeError, match="weights must be an array of real numbers; got dtype complex128"):
        as_real_array([1j], "weights")
    with pytest.raises(TypeError, match="weights must be an array of real numbers; could not convert"):
        as_real_array([[1, 2], [3]], "weights")


# Shapes without data: conv_geometry (formerly performance.layer_arguments) and as_2d.


def test_conv_geometry_describes_a_layer_without_data():
    geometry = conv_geometry((64, 56, 56, 64), (3, 3, 64, 64), strides=2, padding="same")
    assert isinstance(geometry, ConvGeometry)
    assert geometry.output_shape == (64, 28, 28, 64) and geometry.strides == (2, 2) and geometry.dtype == np.float32
    assert geometry.pads == ((0, 1), (0, 1)) and geometry.rank == 2 and geometry.kernel_size == (3, 3)
    assert geometry.positions == 64 * 28 * 28 and geometry.macs == 64 * 28 * 28 * 64 * 9 * 64
    geometry_1d = conv_geometry((2, 100, 3), (5, 1, 6), padding="causal", groups=3, dilation_rate=2)
    assert geometry_1d.output_shape == (2, 100, 6) and geometry_1d.groups == 3 and geometry_1d.extents == (9,)
    assert conv_geometry((1, 8, 8, 1), (3, 3, 1, 1), dtype=np.uint8).dtype == np.float64  # the dtype rule
    with pytest.raises(ValueError, match="kernel has 2 input channels"):
        conv_geometry((1, 8, 8, 3), (3, 3, 2, 4))
    with pytest.raises(ValueError, match="input_shape must be"):
        conv_geometry((8, 3), (3, 3))


@pytest.mark.parametrize(
    ("x_shape", "kernel_shape", "options"),
    [
        ((2, 7, 6, 3), (3, 2, 3, 4), dict(strides=(2, 1), padding="same", dilation_rate=(1, 2))),
        ((1, 5, 5, 4), (3, 3, 2, 6), dict(groups=2, padding="full")),
        ((3, 9, 2), (4, 2, 5), dict(padding="causal", strides=2)),
        ((0, 9, 2), (4, 1, 4), dict(padding=(1, 2), groups=2)),
    ],
)
def test_conv_geometry_is_prepare_conv_without_the_arrays(x_shape, kernel_shape, options):
    rank = len(x_shape) - 2
    args = prepare_conv(
        np.zeros(x_shape, np.float32),
        np.zeros(kernel_shape, np.float32),
        None,
        options.get("strides", 1),
        options.get("padding", "valid"),
        options.get("dilation_rate", 1),
        options.get("groups", 1),
        rank=rank,
        function="t",
    )
    assert conv_geometry(x_shape, kernel_shape, **options) == args.geometry


def test_as_2d_lifts_1d_to_images_one_row_high_without_copying():
    x, kernel = np.arange(20.0).reshape(2, 5, 2), np.ones((3, 2, 4))
    args = prepare_conv(x, kernel, None, 2, "same", 1, 1, rank=1, function="t")
    lifted = as_2d(args)
    assert lifted.x.shape == (2, 1, 5, 2) and lifted.kernel.shape == (1, 3, 2, 4)
    assert np.shares_memory(lifted.x, x) and np.shares_memory(lifted.kernel, kernel)
    assert lifted.strides == (1, 2) and lifted.pads == ((0, 0), (1, 1)) and lifted.output_shape == (2, 1, 3, 4)
    assert as_2d(lifted) is lifted
    assert as_2d(args.geometry) == lifted.geometry


# The one dtype rule: integers and bools count as float64, float16 as float32, then NumPy's promotion.


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [
        ((np.uint8, np.uint8), np.float64),
        ((np.uint8, np.float32), np.float64),
        ((np.int8, np.float32), np.float64),
        ((np.bool_, np.bool_), np.float64),
        ((np.int64, np.int64), np.float64),
        ((np.float16, np.float16), np.float32),
        ((np.float16, np.float32), np.float32),
        ((np.float16, np.float64), np.float64),
        ((np.float32, np.float32), np.float32),
        ((np.float32, np.float32, np.float64), np.float64),  # a float64 bias (or upstream gradient)
        ((np.float64,), np.float64),
    ],
)
def test_computation_dtype(dtypes, expected):
    assert computation_dtype(*dtypes) == expected


U8_IMAGE = (np.arange(2 * 6 * 6 * 2) % 251).astype(np.uint8).reshape(2, 6, 6, 2)
U8_KERNEL = (np.arange(3 * 3 * 2 * 2) % 13).astype(np.uint8).reshape(3, 3, 2, 2)


CONV_2D = {
    **{f"conv2d[{m}]": functools.partial(convbook.conv2d, method=m) for m in convbook.conv.METHODS},
    "conv2d_loop": convbook.conv2d_loop,
    "conv2d_im2col": convbook.conv2d_im2col,
    "conv2d_per_tap": convbook.conv2d_per_tap,
    "conv2d_fft": conv2d_fft,
    **{f"conv2d_direct[{s}]": functools.partial(conv2d_direct, strategy=s) for s in ("auto", "im2col", "per_tap")},
}
CONV_1D = {
    **{f"conv1d[{m}]": functools.partial(convbook.conv1d, method=m) for m in convbook.conv.METHODS},
    "conv1d_loop": convbook.conv1d_loop,
}


@pytest.mark.parametrize("name", list(CONV_2D))
def test_uint8_image_and_kernel_compute_in_float64_exactly(name):
    """Regression: a uint8 pair was computed in float32 (255 * 255 * 18 sums lose their last digits there)."""
    y = CONV_2D[name](U8_IMAGE, U8_KERNEL)
    assert y.dtype == np.float64
    exact = np.einsum(
        "bijcpq,pqco->bijo",
        np.lib.stride_tricks.sliding_window_view(U8_IMAGE.astype(np.int64), (3, 3), axis=(1, 2)),
        U8_KERNEL.astype(np.int64),
    )
    np.testing.assert_allclose(y, exact, rtol=0, atol=1e-6 * np.abs(exact).max())
    if "fft" not in name:  # sums of integers below 2**53 are exact in float64
        np.testing.assert_array_equal(y, exact)


@pytest.mark.parametrize("name", list(CONV_1D))
def test_uint8_sequence_and_kernel_compute_in_float64(name):
    y = CONV_1D[name](U8_IMAGE[:, 0], U8_KERNEL[0])
    assert y.dtype == np.float64
    exact = np.einsum(
        "btcp,pco->bto",
        np.lib.stride_tricks.sliding_window_view(U8_IMAGE[:, 0].astype(np.int64), 3, axis=1),
        U8_KERNEL[0].astype(np.int64),
    )
    np.testing.assert_allclose(y, exact, rtol=1e-12)


@pytest.mark.parametrize("name", list(CONV_2D))
@pytest.mark.parametrize(
    ("x_dtype", "kernel_dtype", "bias_dtype", "expected"),
    [
        (np.uint8, np.float32, None, np.float64),
        (np.bool_, np.float32, None, np.float64),
        (np.float16, np.float16, None, np.float32),
        (np.float16, np.float16, np.float16, np.float32),
        (np.float32, np.float32, None, np.float32),
        (np.float32, np.float32, np.float64, np.float64),
        (np.float32, np.int16, None, np.float64),
    ],
)
def test_every_convolution_follows_the_dtype_rule(name, x_dtype, kernel_dtype, bias_dtype, expected):
    x = (U8_IMAGE % 2 if x_dtype is np.bool_ else U8_IMAGE).astype(x_dtype)
    bias = None if bias_dtype is None else np.ones(2, bias_dtype)
    assert CONV_2D[name](x, U8_KERNEL.astype(kernel_dtype), bias).dtype == expected
    assert CONV_2D[name](x, U8_KERNEL.astype(kernel_dtype), bias).dtype == computation_dtype(
        x_dtype, kernel_dtype, *(() if bias is None else (bias_dtype,))
    )


def test_the_upstream_gradient_counts_in_the_dtype_of_the_gradients():
    """Regression: a float64 upstream gradient was cast to the float32 of x and kernel."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 2)).astype(np.float32)
    kernel = rng.standard_normal((3, 2, 2, 3)).astype(np.float32)
    grad = rng.standard_normal((2, 3, 5, 3))  # float64
    grads = conv2d_backward(x, kernel, grad, strides=(2, 1), padding="same")
    exact = conv2d_backward(x.astype(np.float64), kernel.astype(np.float64), grad, strides=(2, 1), padding="same")
    assert grads.dx.dtype == grads.dkernel.dtype == grads.dbias.dtype == np.float64
    np.testing.assert_array_equal(grads.dx, exact.dx)
    np.testing.assert_array_equal(grads.dkernel, exact.dkernel)
    np.testing.assert_array_equal(grads.dbias, exact.dbias)
    assert conv1d_backward(x[:, 0], kernel[0], grad[:, 0, :4].astype(np.float16)).dx.dtype == np.float32
    uint8 = conv2d_backward(U8_IMAGE, U8_KERNEL, np.ones((2, 4, 4, 2), np.uint8))
    assert uint8.dx.dtype == uint8.dkernel.dtype == uint8.dbias.dtype == np.float64


POOLS = [pooling.max_pool2d, pooling.average_pool2d, pooling.max_pool2d_loop, pooling.average_pool2d_loop]


@pytest.mark.parametrize("pool", POOLS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(np.uint8, np.float64), (np.bool_, np.float64), (np.float16, np.float32), (np.float32, np.float32)],
)
def test_pooling_follows_the_dtype_rule(pool, dtype, expected):
    """Regression: float16 was pooled in float16 (integers were float64 already)."""
    assert pool(np.ones((1, 4, 4, 1), dtype)).dtype == expected


TRANSPOSED = [
    transposed.conv2d_transpose,
    transposed.conv2d_transpose_loop,
    transposed.conv2d_transpose_zero_insertion,
]


@pytest.mark.parametrize("function", TRANSPOSED, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.int64, np.float64),
        (np.uint8, np.float64),
        (np.int8, np.float64),
        (np.float16, np.float32),
        (np.float32, np.float32),
    ],
)
def test_transposed_convolutions_follow_the_dtype_rule(function, dtype, expected):
    """Regression: a uint8 or int8 pair was computed in float32 (int64 in float64 already)."""
    x, kernel = np.full((1, 2, 2, 1), 200).astype(dtype), np.full((2, 2, 1, 1), 100).astype(dtype)
    assert function(x, kernel, strides=2).dtype == expected
    assert transposed.conv1d_transpose(x[:, 0], kernel[0], strides=2).dtype == expected


def test_depthwise_and_separable_follow_the_dtype_rule():
    x, kernel = np.ones((1, 4, 4, 2), np.uint8), np.ones((3, 3, 2, 1), np.uint8)
    assert depthwise.depthwise_conv2d(x, kernel).dtype == np.float64
    assert depthwise.depthwise_conv2d(x.astype(np.float16), kernel.astype(np.float16)).dtype == np.float32
    assert depthwise.separable_conv2d(x, kernel, np.ones((1, 1, 2, 3), np.uint8)).dtype == np.float64


def test_im2col_keeps_floats_and_counts_integers_as_float64():
    assert convbook.im2col(np.ones((1, 3, 3, 1), np.float32), 2).dtype == np.float32
    assert convbook.im2col(np.ones((1, 3, 3, 1), np.uint8), 2).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.complex64, object, "U3", "datetime64[s]"])
def test_the_dtype_rule_rejects_types_that_are_not_real_numbers(dtype):
    from convbook.arguments import computation_dtype, conv_geometry

    with pytest.raises(TypeError, match="dtype must be a real number type"):
        computation_dtype(np.float32, dtype)
    with pytest.raises(TypeError, match="dtype must be a real number type"):
        conv_geometry((1, 5, 5, 2), (3, 3, 2, 4), dtype=dtype)


def test_choose_method_hints_at_the_batch_axis_for_an_unbatched_image():
    with pytest.raises(ValueError, match=r"add a batch axis: choose_method\(x\[None\]"):
        convbook.choose_method(np.ones((5, 5, 2)), np.ones((3, 3, 2, 4)))
