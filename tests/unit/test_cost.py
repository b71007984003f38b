"""convbook.cost: FLOPs, bytes, workspace and predicted seconds from shapes alone, and the method they pick."""

from __future__ import annotations

import numpy as np
import pytest

import convbook
from convbook import cost, direct, fft, vectorized
from convbook.arguments import conv_geometry, prepare_conv
from convbook.cost import conv_flops, fastest_method, fft_flops, im2col_bytes

MiB = 2**20


def count_multiplications(x_shape, kernel_shape, **options):
    """Multiply-adds of conv2d_loop, counted by running it on a kernel of ones and an input of ones."""
    rank = len(x_shape) - 2
    loop = convbook.conv1d_loop if rank == 1 else convbook.conv2d_loop
    # With zero padding, padded positions contribute 0; count every product by padding with ones instead.
    args = prepare_conv(
        np.zeros(x_shape),
        np.zeros(kernel_shape),
        None,
        options.get("strides", 1),
        options.get("padding", "valid"),
        options.get("dilation_rate", 1),
        options.get("groups", 1),
        rank=rank,
        function="test",
    )
    padded = np.ones([x_shape[0], *(n + sum(p) for n, p in zip(x_shape[1:-1], args.pads, strict=True)), x_shape[-1]])
    y = loop(padded, np.ones(kernel_shape), strides=args.strides, dilation_rate=args.dilation_rate, groups=args.groups)
    return int(y.sum())


@pytest.mark.parametrize(
    ("x_shape", "kernel_shape", "options"),
    [
        ((1, 4, 4, 3), (2, 2, 3, 2), {}),
        ((2, 7, 6, 3), (3, 2, 3, 4), dict(strides=(2, 1), padding="same", dilation_rate=(1, 2))),
        ((1, 5, 5, 4), (3, 3, 2, 6), dict(groups=2, padding="full")),
        ((3, 9, 2), (4, 2, 5), dict(padding="causal", strides=2)),
    ],
)
def test_conv_flops_counts_every_multiply_add_twice(x_shape, kernel_shape, options):
    assert conv_flops(x_shape, kernel_shape, **options) == 2 * count_multiplications(x_shape, kernel_shape, **options)
    assert conv_flops(x_shape, kernel_shape, **options) == 2 * conv_geometry(x_shape, kernel_shape, **options).macs


def test_conv_flops_of_a_typical_layer():
    # 32 images, 32 x 32 positions, 64 filters of 3 x 3 x 64: 2.4 GFLOP.
    assert conv_flops((32, 32, 32, 64), (3, 3, 64, 64), padding="same") == 2 * 32 * 32 * 32 * 64 * 9 * 64


def test_conv_flops_bad_shapes():
    with pytest.raises(ValueError, match="input_shape must be"):
        conv_flops((1, 4, 4, 3), (2, 3, 2))


@pytest.mark.parametrize(
    ("x_shape", "kernel_size", "options", "dtype"),
    [
        ((2, 7, 6, 3), (3, 2), dict(strides=(2, 1), padding="same", dilation_rate=(1, 2)), np.float64),
        ((1, 9, 9, 2), 3, {}, np.float32),
        ((3, 11, 2), 4, dict(padding="causal"), np.float32),
    ],
)
def test_im2col_bytes_is_the_size_of_the_matrix(x_shape, kernel_size, options, dtype):
    columns = vectorized.im2col(np.zeros(x_shape, dtype), kernel_size, **options)
    assert im2col_bytes(x_shape, kernel_size, itemsize=np.dtype(dtype).itemsize, **options) == columns.nbytes


def test_fft_flops_do_not_grow_with_the_kernel():
    padding = ((20, 20), (20, 20))  # the same padded size for every kernel
    counts = [fft_flops((1, 200, 200, 1), (k, k, 1, 1), padding=padding) for k in (3, 11, 41)]
    assert counts[0] == counts[1] == counts[2]
    direct_counts = [conv_flops((1, 200, 200, 1), (k, k, 1, 1), padding=padding) for k in (3, 11, 41)]
    assert direct_counts[0] < counts[0] < direct_counts[2]


def test_model_rates_are_positive():
    rates = [cost.GEMM_RATE, cost.COPY_RATE, cost.FFT_RATE, cost.SPECTRAL_RATE, cost.ELEMENTWISE_SECONDS]
    assert all(rate > 0 for rate in rates)


def test_workspace_bytes_asks_the_method():
    geometry = conv_geometry((8, 64, 64, 4), (9, 9, 4, 4), padding="same")
    assert (
        cost.workspace_bytes(geometry) == cost.workspace_bytes(geometry, "direct") == direct.workspace_bytes(geometry)
    )
    assert cost.workspace_bytes(geometry, "fft") == fft.workspace_bytes(geometry)
    assert cost.WORKSPACE_BYTES == direct.WORKSPACE_BYTES == 48 * MiB
    with pytest.raises(ValueError, match="method must be 'direct' or 'fft'; got 'einsum'"):
        cost.workspace_bytes(geometry, "einsum")


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
def test_the_model_picks_fft_for_large_kernels_and_direct_for_small_ones(x_shape, kernel_shape, expected):
    assert fastest_method(conv_geometry(x_shape, kernel_shape, padding="same")) == expected


def test_an_fft_whose_workspace_exceeds_the_budget_is_not_chosen(monkeypatch):
    """Regression: the model chose the FFT whatever its workspace (here 86 MiB, 412 MiB measured before)."""
    geometry = conv_geometry((1, 512, 512, 16), (31, 31, 16, 16), padding="same")
    assert cost.fft_seconds(geometry) < cost.direct_seconds(geometry) / 2  # the FFT would pay...
    assert fft.workspace_bytes(geometry) > cost.WORKSPACE_BYTES  # ...but needs more than the budget
    assert fastest_method(geometry) == "direct"
    zeros = np.broadcast_to(np.float32(0), geometry.input_shape), np.broadcast_to(np.float32(0), geometry.kernel_shape)
    assert convbook.choose_method(*zeros, padding="same") == "direct"
    monkeypatch.setattr(cost, "WORKSPACE_BYTES", 2**30)  # the budget alone decides it
    assert fastest_method(geometry) == "fft"


def test_every_fft_the_model_picks_fits_the_budget():
    for size in (64, 128, 256, 512, 1024):
        for channels in (1, 2, 4, 8, 16, 32):
            for kernel in (15, 31, 63):
                geometry = conv_geometry(
                    (4, size, size, channels), (kernel, kernel, channels, channels), padding="same"
                )
                if fastest_method(geometry) == "fft":
                    assert cost.workspace_bytes(geometry, "fft") <= cost.WORKSPACE_BYTES


def test_predicted_seconds_follow_the_strategy():
    typical = conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), padding="same")
    strided = conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), strides=2, padding="same")
    depthwise = conv_geometry((8, 56, 56, 64), (3, 3, 1, 64), padding="same", groups=64)
    assert direct.choose_strategy(typical) == "per_tap" and direct.choose_strategy(strided) == "im2col"
    assert direct.choose_strategy(depthwise) == "elementwise"
    assert all(cost.direct_seconds(g) > 0 for g in (typical, strided, depthwise))
    assert cost.direct_seconds(depthwise) < cost.direct_seconds(typical)
    one_d = conv_geometry((2, 16384, 1), (511, 1, 1), padding="same")
    assert cost.fft_seconds(one_d) < cost.direct_seconds(one_d) / 2
