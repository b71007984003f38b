"""convbook.conv: conv1d and conv2d by every method against the oracle, and choose_method, the choice behind "auto"."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from oracle import check_convolution
from strategies import conv_cases

import convbook
from convbook import conv, cost
from convbook.arguments import conv_geometry
from convbook.conv import METHODS, choose_method


@settings(max_examples=40)
@given(case=conv_cases(rank=1, small=False, padding_modes=True))
def test_conv1d_every_method_matches_the_oracle(case):
    for method in METHODS:
        check_convolution(convbook.conv1d, case, method=method)


@settings(max_examples=50)
@given(case=conv_cases(rank=2, small=False, padding_modes=True))
def test_conv2d_every_method_matches_the_oracle(case):
    for method in METHODS:
        check_convolution(convbook.conv2d, case, method=method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("spatial", "kernel_size", "options"),
    [
        # same with odd totals: (ceil(7/2) - 1) * 2 + 3 - 7 = 2, (ceil(8/3) - 1) * 3 + (2 - 1) * 2 + 1 - 8 = 1
        ((7, 8), (3, 2), dict(strides=(2, 3), padding="same", dilation=(1, 2), groups=2)),
        ((6, 9), (2, 4), dict(strides=(1, 2), padding="same", dilation=(3, 1), groups=3)),
        ((10, 5), (3, 3), dict(strides=(3, 1), padding=((0, 2), (3, 1)), dilation=2, groups=1)),
        ((4, 4), (3, 3), dict(strides=2, padding="full", dilation=(2, 1), groups=2)),
    ],
)
def test_stride_dilation_groups_and_odd_same_padding_match_the_oracle(method, spatial, kernel_size, options):
    rng = np.random.default_rng(3)
    groups = options["groups"]
    case = dict(
        x=rng.standard_normal((2, *spatial, 2 * groups)),
        kernel=rng.standard_normal((*kernel_size, 2, 3 * groups)),
        bias=rng.standard_normal(3 * groups),
        strides=options["strides"],
        padding=options["padding"],
        dilation=options["dilation"],
        groups=groups,
    )
    check_convolution(convbook.conv2d, case, method=method)
    case_1d = dict(case, x=case["x"][:, 0], kernel=case["kernel"][0])
    for key in ("strides", "dilation", "padding"):
        value = case[key]
        case_1d[key] = value[1] if isinstance(value, tuple) else value
    check_convolution(convbook.conv1d, case_1d, method=method)


def test_empty_batch_under_every_method():
    for method in METHODS:
        y = convbook.conv2d(np.zeros((0, 9, 9, 2)), np.ones((3, 3, 2, 4)), strides=2, padding="same", method=method)
        assert y.shape == (0, 5, 5, 4)


# choose_method: exact and non-finite inputs stay on the direct path, then the cost model decides.

RNG = np.random.default_rng(0)
IMAGE = RNG.standard_normal((1, 256, 256, 1)).astype(np.float32)
KERNEL = RNG.standard_normal((31, 31, 1, 1)).astype(np.float32)


def test_float_inputs_with_a_large_kernel_go_to_the_fft():
    assert choose_method(IMAGE, KERNEL, padding="same") == "fft"
    assert cost.fastest_method(conv_geometry(IMAGE.shape, KERNEL.shape, padding="same")) == "fft"
    assert choose_method(IMAGE, KERNEL[:3, :3], padding="same") == "direct"  # a small kernel


@pytest.mark.parametrize("where", ["x", "kernel", "bias"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_stay_direct(where, value):
    x, kernel, bias = IMAGE.copy(), KERNEL.copy(), np.zeros(1, np.float32)
    {"x": x, "kernel": kernel, "bias": bias}[where].flat[0] = value
    assert choose_method(x, kernel, bias, padding="same") == "direct"


def test_one_nan_spoils_only_the_windows_that_contain_it_under_auto():
    """Regression: under "auto", one NaN in a 256x256 image made every output NaN (65,536), not 961."""
    x = IMAGE.copy()
    x[0, 100, 100, 0] = np.nan
    assert choose_method(x, KERNEL, padding="same") == "direct"
    nan_outputs = {m: int(np.isnan(convbook.conv2d(x, KERNEL, padding="same", method=m)).sum()) for m in METHODS}
    assert nan_outputs["direct"] == nan_outputs["auto"] == 31 * 31 == 961
    assert nan_outputs["fft"] == 256 * 256  # what "auto" gave before: the transform spreads the NaN everywhere
    finite = ~np.isnan(convbook.conv2d(x, KERNEL, padding="same"))
    assert np.isnan(convbook.conv2d(x, KERNEL, padding="same", method="direct"))[~finite].all()
    y_1d = convbook.conv1d(np.where(np.arange(4096) == 9, np.nan, 1.0).reshape(1, 4096, 1), np.ones((301, 1, 1)))
    assert int(np.isnan(y_1d).sum()) == 10  # windows 0..9 contain step 9


@pytest.mark.parametrize("dtype", [np.uint8, np.bool_])
def test_integer_inputs_stay_direct_and_are_exact(dtype):
    """Regression: a uint8 image and kernel went to the FFT in float32, up to 7 off the exact sums."""
    rng = np.random.default_rng(1)
    high = 2 if dtype is np.bool_ else 256
    x = rng.integers(0, high, (1, 256, 256, 1)).astype(dtype)
    kernel = rng.integers(0, high, (31, 31, 1, 1)).astype(dtype)
    assert choose_method(x, kernel, padding="same") == "direct"
    assert choose_method(x.astype(np.float32), kernel.astype(np.float32), padding="same") == "fft"
    assert choose_method(x, kernel.astype(np.float32), padding="same") == "direct"  # one exact input suffices
    y = convbook.conv2d(x, kernel, padding="same")
    # Integer arithmetic: the exact sums (below 2**53, so float64 holds them exactly).
    exact = scipy.signal.correlate(
        np.pad(x[0, :, :, 0].astype(np.int64), 15), kernel[:, :, 0, 0].astype(np.int64), mode="valid", method="direct"
    )
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y[0, :, :, 0], exact)


def test_empty_batch_stays_direct():
    assert choose_method(np.zeros((0, 256, 256, 1), np.float32), KERNEL, padding="same") == "direct"


def test_choose_method_takes_1d_arrays_and_checks_its_arguments():
    assert choose_method(np.ones((2, 16384, 1)), np.ones((511, 1, 1)), padding="same") == "fft"
    assert choose_method(np.ones((2, 100, 16)), np.ones((3, 16, 32))) == "direct"
    with pytest.raises(ValueError, match="kernel has 2 input channels"):
        choose_method(np.ones((1, 8, 8, 1)), np.ones((3, 3, 2, 1)))
    with pytest.raises(TypeError, match="x must be an array of real numbers"):
        choose_method("image", np.ones((3, 3, 1, 1)))


def test_methods_are_the_public_list():
    assert conv.METHODS == ("auto", "direct", "fft", "einsum")
