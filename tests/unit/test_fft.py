"""convbook.fft: equal to the oracle and the direct sum for every option, in a bounded workspace, on SciPy's workers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_convolution
from strategies import conv_cases

import convbook
from convbook import fft
from convbook.arguments import conv_geometry
from convbook.bench import workspace
from convbook.fft import conv2d_fft, fft_plan, fft_size, workspace_bytes

RNG = np.random.default_rng(0)


def random(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def test_large_kernel_equals_direct_to_float32_tolerance():
    x = random((1, 512, 512, 1), np.float32)
    kernel = random((31, 31, 1, 1), np.float32)
    by_fft = convbook.conv2d(x, kernel, padding="same", method="fft")
    direct = convbook.conv2d(x, kernel, padding="same", method="direct")
    assert by_fft.dtype == np.float32 and by_fft.shape == (1, 512, 512, 1)
    # Sums of 961 products of unit normals are about 31 in size; float32 keeps 7 digits of them.
    np.testing.assert_allclose(by_fft, direct, rtol=1e-4, atol=1e-4 * np.abs(direct).max())
    assert np.array_equal(convbook.conv2d(x, kernel, padding="same"), by_fft)  # "auto" ran the FFT


@pytest.mark.parametrize(
    "options",
    [
        {},
        dict(padding="same"),
        dict(padding="full"),
        dict(padding=((3, 0), (1, 4))),
        dict(strides=2, padding="same"),
        dict(strides=(3, 1)),
        dict(dilation_rate=2, padding="same"),
        dict(dilation_rate=(1, 3), strides=(2, 2), padding="full"),
        dict(groups=2),
        dict(groups=4, padding="same", strides=2),
    ],
    ids=repr,
)
def test_every_option_equals_einsum(options):
    x = random((3, 13, 11, 4))
    kernel = random((4, 3, 4 // options.get("groups", 1), 8))
    bias = random(8)
    expected = convbook.conv2d(x, kernel, bias, method="einsum", **options)
    np.testing.assert_allclose(conv2d_fft(x, kernel, bias, **options), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(convbook.conv2d(x, kernel, bias, method="fft", **options), expected, atol=1e-10)


@pytest.mark.parametrize(
    "options", [{}, dict(padding="causal"), dict(strides=3, padding="same"), dict(dilation_rate=4, groups=2)], ids=repr
)
def test_conv1d_by_fft(options):
    x = random((2, 50, 2))
    kernel = random((5, 2 // options.get("groups", 1), 4))
    expected = convbook.conv1d(x, kernel, method="einsum", **options)
    np.testing.assert_allclose(convbook.conv1d(x, kernel, method="fft", **options), expected, atol=1e-10)


def test_small_chunks_give_the_same_numbers(monkeypatch):
    """Kernel spectra a few filters at a time, images one at a time."""
    x = random((5, 20, 17, 3))
    kernel = random((6, 5, 3, 7))
    expected = convbook.conv2d(x, kernel, padding="same", method="einsum")
    monkeypatch.setattr(fft, "KERNEL_BYTES", 2 * 20 * 12 * 3 * 16)  # about two filters
    monkeypatch.setattr(fft, "CHUNK_BYTES", 1)  # one image per chunk
    np.testing.assert_allclose(conv2d_fft(x, kernel, padding="same"), expected, atol=1e-10)


def test_dtypes_and_empty_batch():
    x32, kernel32 = random((2, 9, 9, 1), np.float32), random((3, 3, 1, 2), np.float32)
    assert conv2d_fft(x32, kernel32).dtype == np.float32
    integer = conv2d_fft(np.arange(16).reshape(1, 4, 4, 1), np.ones((2, 2, 1, 1), dtype=int))
    assert integer.dtype == np.float64
    np.testing.assert_allclose(integer[0, :, :, 0], [[10, 14, 18], [26, 30, 34], [42, 46, 50]], atol=1e-12)
    empty = conv2d_fft(np.zeros((0, 9, 9, 1)), np.ones((3, 3, 1, 2)), strides=2)
    assert empty.shape == (0, 4, 4, 2)


def test_bad_input_is_rejected_like_conv2d():
    with pytest.raises(ValueError, match=r"add a batch axis: conv2d_fft\(x\[None\]"):
        conv2d_fft(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="kernel has 2 input channels"):
        conv2d_fft(np.ones((1, 5, 5, 1)), np.ones((3, 3, 2, 1)))


def test_workspace_does_not_grow_with_the_batch(monkeypatch):
    kernel = random((15, 15, 1, 1), np.float32)
    _, default = workspace(conv2d_fft, random((64, 64, 64, 1), np.float32), kernel, padding="same")
    assert default <= fft.KERNEL_BYTES + 2 * fft.CHUNK_BYTES
    assert default <= workspace_bytes(conv_geometry((64, 64, 64, 1), kernel.shape, padding="same"))
    monkeypatch.setattr(fft, "CHUNK_BYTES", 2**20)  # about a dozen images per chunk
    _, fewer = workspace(conv2d_fft, random((64, 64, 64, 1), np.float32), kernel, padding="same")
    _, more = workspace(conv2d_fft, random((256, 64, 64, 1), np.float32), kernel, padding="same")
    assert more < 3 * 2**20
    assert more < fewer + 2**16


@settings(max_examples=30)
@given(case=conv_cases(rank=2, small=False, padding_modes=True))
def test_conv2d_fft_matches_the_oracle(case):
    check_convolution(conv2d_fft, case)


def test_fft_size_and_plan():
    assert fft_size(542) == 576 and fft_size(512) == 512 and fft_size(1) == 1
    geometry = conv_geometry((64, 128, 128, 4), (9, 9, 4, 4), padding="same")
    filters, images = fft_plan(geometry)
    assert filters == 4 and 1 < images < 64
    assert fft_plan(conv_geometry((2, 512, 512, 16), (31, 31, 16, 16), padding="same")) == (1, 1)  # the floor


def test_transforms_run_on_the_workers_scipy_is_told(monkeypatch):
    """Regression: every transform was called with workers=os.cpu_count(), overriding scipy.fft.set_workers."""
    calls = []

    def recording(function):
        def transform(*args, **kwargs):
            calls.append((function.__name__, kwargs))
            return function(*args, **kwargs)

        return transform

    for name in ("rfftn", "irfftn"):
        monkeypatch.setattr(scipy.fft, name, recording(getattr(scipy.fft, name)))
    x, kernel = random((2, 20, 17, 3)), random((5, 4, 3, 4))
    y = conv2d_fft(x, kernel, padding="same")
    assert {name for name, _ in calls} == {"rfftn", "irfftn"}
    assert all("workers" not in kwargs for _, kwargs in calls), calls
    with scipy.fft.set_workers(2):
        np.testing.assert_allclose(conv2d_fft(x, kernel, padding="same"), y, rtol=1e-12, atol=1e-12)


@st.composite
def workspace_cases(draw):
    """Small convolutions in float32 or float64 (the computation dtype already), a bias or not."""
    case = draw(conv_cases(rank=2, small=False, padding_modes=True))
    batch, grow = draw(st.integers(1, 6)), draw(st.integers(0, 40))
    x = case["x"]
    rng = np.random.default_rng(batch * 100 + grow)
    case["x"] = rng.standard_normal((batch, x.shape[1] + grow, x.shape[2] + grow // 2, x.shape[3])).astype(x.dtype)
    return case


@settings(max_examples=15)
@given(case=workspace_cases())
def test_workspace_bytes_is_an_upper_bound_of_the_measured_workspace(case):
    """Regression: `workspace_bytes` (new) bounds `bench.workspace`; before, nothing predicted the workspace."""
    options = dict(
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        padding_mode=case["padding_mode"],
    )
    geometry = conv_geometry(case["x"].shape, case["kernel"].shape, dtype=case["x"].dtype, **options)
    conv2d_fft(case["x"], case["kernel"], case["bias"], **options)  # caches, outside the measurement
    _, measured = workspace(conv2d_fft, case["x"], case["kernel"], case["bias"], **options)
    assert measured <= workspace_bytes(geometry)


def test_many_filters_are_transformed_a_chunk_at_a_time():
    """Regression: the rolled kernels of all filters at once: 324 MiB of 411 MiB measured for this layer before."""
    x = RNG.standard_normal((1, 512, 512, 16), dtype=np.float32)
    kernel = RNG.standard_normal((31, 31, 16, 16), dtype=np.float32)
    geometry = conv_geometry(x.shape, kernel.shape, padding="same")
    rolled_at_once = 16 * 16 * fft_size(542) ** 2 * 4
    assert rolled_at_once / 2**20 == 324
    predicted = workspace_bytes(geometry)
    assert predicted < rolled_at_once / 3
    y, measured = workspace(conv2d_fft, x, kernel, padding="same")
    assert measured <= predicted
    rows = slice(200, 203)  # a few rows, by the direct method
    window = x[:, 200 - 15 : 203 + 15]
    np.testing.assert_allclose(
        y[:, rows], convbook.conv2d(window, kernel, padding=((0, 0), (15, 15)), method="direct"), rtol=1e-3, atol=2e-3
    )


def test_workspace_bound_holds_with_several_chunks_of_filters():
    """Regression: the previous chunk's kernel spectrum stayed alive while the next was computed (1.34x the bound)."""
    from convbook.arguments import prepare_conv
    from convbook.bench import workspace
    from convbook.fft import fft_convolve, fft_plan, workspace_bytes

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 8, 8, 512), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, 512, 512), dtype=np.float32)
    args = prepare_conv(x, kernel, None, 1, "same", 1, 1, rank=2, function="test")
    filters, _ = fft_plan(args.geometry)
    assert filters < 512  # more than one chunk of filters
    fft_convolve(args)  # first call: imports and SciPy's plan caches outside the count
    _, used = workspace(fft_convolve, args)
    assert used <= workspace_bytes(args.geometry)
