"""The FFT method: equal to the direct sum for every option, chosen by "auto" exactly where it pays."""

from __future__ import annotations

import numpy as np
import pytest

import convbook
from convbook import fft
from convbook.fft import conv2d_fft
from convbook.performance import choose_method, layer_arguments, workspace

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
    monkeypatch.setattr(fft, "CHUNK_BYTES", 2**20)  # about a dozen images per chunk
    _, fewer = workspace(conv2d_fft, random((64, 64, 64, 1), np.float32), kernel, padding="same")
    _, more = workspace(conv2d_fft, random((256, 64, 64, 1), np.float32), kernel, padding="same")
    assert more < 3 * 2**20
    assert more < fewer + 2**16


def method_for(x_shape, kernel_shape):
    return choose_method(layer_arguments(x_shape, kernel_shape, padding="same"))


@pytest.mark.parametrize(
    ("x_shape", "kernel_shape", "expected"),
    [
        ((1, 512, 512, 1), (31, 31, 1, 1), "fft"),  # the large-kernel case of chapter 9
        ((1, 256, 256, 3), (31, 31, 3, 8), "fft"),
        ((2, 16384, 1), (511, 1, 1), "fft"),  # a long 1D filter
        ((32, 32, 32, 64), (3, 3, 64, 64), "direct"),  # the typical layers
        ((8, 56, 56, 64), (3, 3, 64, 64), "direct"),
        ((16, 28, 28, 128), (3, 3, 128, 128), "direct"),
        ((4, 64, 64, 32), (5, 5, 32, 32), "direct"),
        ((1, 512, 512, 1), (3, 3, 1, 1), "direct"),  # small kernels, even on a large image
        ((1, 64, 64, 1), (1, 1, 1, 1), "direct"),
        ((8, 100, 16), (3, 16, 32), "direct"),
        ((0, 512, 512, 1), (31, 31, 1, 1), "direct"),  # nothing to transform
    ],
)
def test_auto_picks_fft_for_large_kernels_and_direct_for_small_ones(x_shape, kernel_shape, expected):
    assert method_for(x_shape, kernel_shape) == expected
