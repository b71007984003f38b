"""convbook.performance (counting, measuring, choosing) and the direct method's tiles and memory bound."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import convbook
from convbook import performance, vectorized
from convbook._arguments import prepare_conv
from convbook.performance import (
    choose_strategy,
    conv_flops,
    fft_flops,
    gflops,
    im2col_bytes,
    machine_info,
    matmul_peak,
    workspace,
)
from convbook.vectorized import WORKSPACE_BYTES, conv2d_direct

RNG = np.random.default_rng(0)
MiB = 2**20


def random(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# Counting


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
    direct = [conv_flops((1, 200, 200, 1), (k, k, 1, 1), padding=padding) for k in (3, 11, 41)]
    assert direct[0] < counts[0] < direct[2]


def test_gflops_and_matmul_peak():
    assert gflops(3e9, 1.5) == 2.0
    assert matmul_peak(128, repeat=2) > 0.1


def test_workspace_counts_temporaries_not_the_result():
    def make(n):
        temporary = np.ones(n)  # freed before returning
        return temporary[:10].copy()

    result, extra = workspace(make, 1_000_000)
    assert result.shape == (10,)
    assert 8_000_000 <= extra < 8_100_000


def test_machine_info_records_what_a_benchmark_needs():
    info = machine_info()
    assert {"cpu", "cores", "numpy", "threadpools", "environment", "python"} <= set(info)
    assert info["numpy"] == np.__version__
    assert any(pool.get("user_api") == "blas" for pool in info["threadpools"])


# The direct method: tiles, strategies, memory


def test_64_images_of_56x56x64_need_a_bounded_workspace():
    x = random((64, 56, 56, 64), np.float32)
    kernel = random((3, 3, 64, 64), np.float32)
    convbook.conv2d(x[:1], kernel, padding="same")  # imports and BLAS threads, outside the measurement
    y, extra = workspace(convbook.conv2d, x, kernel, padding="same")
    whole_im2col = im2col_bytes(x.shape, 3, padding="same")
    assert whole_im2col / MiB == 441  # what one im2col matrix for the batch would take
    assert extra <= 64 * MiB
    assert extra <= WORKSPACE_BYTES
    np.testing.assert_allclose(y[5:7], convbook.conv2d(x[5:7], kernel, padding="same", method="einsum"), atol=2e-4)


@pytest.mark.parametrize("strategy", ["im2col", "per_tap"])
def test_direct_workspace_does_not_grow_with_the_batch(strategy):
    kernel = random((3, 3, 16, 16), np.float32)
    conv2d_direct(random((1, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    _, few = workspace(conv2d_direct, random((8, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    _, many = workspace(conv2d_direct, random((64, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    assert many <= few + 64 * 1024


def test_huge_kernels_shrink_the_tiles_to_stay_within_the_workspace():
    args = prepare_conv(
        np.broadcast_to(np.float32(0), (1, 600, 600, 256)),
        np.broadcast_to(np.float32(0), (31, 31, 256, 2)),
        None,
        1,
        "same",
        1,
        1,
        rank=2,
        function="test",
    )
    images, rows, cols = vectorized.tile_plan(args, "im2col", None)
    block_bytes = images * rows * cols * 31 * 31 * 256 * 4
    assert (images, rows) == (1, 1) and 1 <= cols < 600
    assert block_bytes <= WORKSPACE_BYTES


@pytest.mark.parametrize(
    ("shape", "tile_positions", "expected"),
    [
        ((16, 28, 28), 2048, (2, 28, 28)),  # whole images
        ((8, 56, 56), 2048, (1, 36, 56)),  # bands of rows
        ((1, 1, 5000), 2048, (1, 1, 2048)),  # pieces of a row (a long 1D sequence)
        ((4, 3, 3), 1, (1, 1, 1)),
    ],
)
def test_tile_plan(shape, tile_positions, expected):
    batch, rows, cols = shape
    args = prepare_conv(
        np.zeros((batch, rows, cols, 2)), np.zeros((1, 1, 2, 2)), None, 1, "valid", 1, 1, rank=2, function="t"
    )
    assert vectorized.tile_plan(args, "im2col", tile_positions) == expected


@pytest.mark.parametrize("strategy", ["im2col", "per_tap"])
@pytest.mark.parametrize("tile_positions", [None, 1, 7, 40])
@pytest.mark.parametrize(
    "options",
    [dict(padding="same"), dict(padding=((2, 0), (0, 3)), dilation_rate=(2, 1)), dict(groups=2, padding="full")],
    ids=repr,
)
def test_direct_strategies_and_tiles_equal_einsum(strategy, tile_positions, options):
    x = random((3, 9, 8, 4))
    kernel = random((3, 2, 4 // options.get("groups", 1), 6))
    bias = random(6)
    expected = convbook.conv2d(x, kernel, bias, method="einsum", **options)
    actual = conv2d_direct(x, kernel, bias, strategy=strategy, tile_positions=tile_positions, **options)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tile_positions", [None, 1, 7])
@pytest.mark.parametrize(
    ("groups", "options"),
    [
        (1, dict(padding="same")),
        (6, dict(padding="same", strides=2)),
        (6, dict(padding=((0, 2), (1, 0)), dilation_rate=(1, 2))),
        (1, dict(strides=(1, 3), padding="full")),
    ],
    ids=repr,
)
def test_elementwise_strategy_equals_einsum(groups, options, tile_positions):
    """One input channel and one filter per group: single-channel images and depthwise convolutions."""
    x = random((2, 9, 10, groups))
    kernel = random((3, 4, 1, groups))
    bias = random(groups)
    expected = convbook.conv2d(x, kernel, bias, groups=groups, method="einsum", **options)
    actual = conv2d_direct(
        x, kernel, bias, groups=groups, strategy="elementwise", tile_positions=tile_positions, **options
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_per_tap_without_an_accumulating_blas(monkeypatch):
    monkeypatch.setattr(vectorized, "_accumulating_gemm", lambda dtype: None)
    x, kernel = random((2, 9, 9, 8), np.float32), random((3, 3, 8, 16), np.float32)
    expected = convbook.conv2d(x, kernel, padding="same", method="einsum")
    actual = conv2d_direct(x, kernel, padding="same", strategy="per_tap", tile_positions=20)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_long_sequences_are_cut_into_pieces_of_a_row():
    x, kernel = random((2, 5000, 3)), random((7, 3, 4))
    expected = convbook.conv1d(x, kernel, padding="same", method="einsum")
    np.testing.assert_allclose(convbook.conv1d(x, kernel, padding="same", method="direct"), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("kernel_shape", "strides", "expected"),
    [
        ((3, 3, 64, 64), 1, "per_tap"),
        ((5, 5, 32, 32), 1, "per_tap"),
        ((3, 3, 64, 64), 2, "im2col"),  # per-tap slices need stride 1
        ((3, 3, 3, 32), 1, "im2col"),  # an RGB input: too few channels per tap
        ((3, 3, 8, 8), 1, "im2col"),
        ((3, 3, 1, 1), 1, "elementwise"),  # a single-channel image and one filter
        ((3, 3, 1, 4), 1, "im2col"),
    ],
)
def test_choose_strategy(kernel_shape, strides, expected):
    args = prepare_conv(
        np.zeros((1, 8, 8, kernel_shape[2])), np.zeros(kernel_shape), None, strides, "same", 1, 1, 2, "t"
    )
    assert choose_strategy(args) == expected


def test_direct_bad_arguments():
    x, kernel = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 2))
    with pytest.raises(
        ValueError, match="strategy must be one of 'auto', 'im2col', 'per_tap', 'elementwise'; got 'fast'"
    ):
        conv2d_direct(x, kernel, strategy="fast")
    with pytest.raises(ValueError, match=r"strategy='per_tap' needs strides of 1; got strides=\(2, 2\)"):
        conv2d_direct(x, kernel, strides=2, strategy="per_tap")
    with pytest.raises(ValueError, match=r"strategy='elementwise' needs one input channel per group .*; got 2"):
        conv2d_direct(x, kernel, strategy="elementwise")
    with pytest.raises(ValueError, match="tile_positions must be a positive int or None; got 0"):
        conv2d_direct(x, kernel, tile_positions=0)
    with pytest.raises(ValueError, match=r"add a batch axis: conv2d_direct\(x\[None\]"):
        conv2d_direct(x[0], kernel)


def test_model_rates_are_positive():
    rates = [performance.GEMM_RATE, performance.COPY_RATE, performance.FFT_RATE, performance.SPECTRAL_RATE]
    assert all(rate > 0 for rate in rates)


def test_depthwise_convolutions_use_the_elementwise_strategy():
    args = prepare_conv(np.zeros((1, 8, 8, 6)), np.zeros((3, 3, 1, 6)), None, 2, "same", 1, 6, 2, "t")
    assert choose_strategy(args) == "elementwise"
    x, kernel = random((2, 8, 8, 6)), random((3, 3, 1, 6))
    expected = convbook.conv2d(x, kernel, groups=6, strides=2, padding="same", method="einsum")
    np.testing.assert_allclose(convbook.conv2d(x, kernel, groups=6, strides=2, padding="same"), expected, atol=1e-12)


# The benchmark


def test_benchmark_case_times_every_method_side_by_side():
    tiny = performance.ConvCase("tiny", batch=1, size=6, c_in=2, c_out=3, kernel=3)
    methods = ["loop", "einsum", "im2col", "tiled per tap", "auto", "fft", "tensorflow"]
    records = performance.benchmark_case(tiny, methods, rounds=1, repeat=1, peak_gflops=100.0)
    assert [r["method"] for r in records] == methods
    assert all(r["flops"] == tiny.flops == conv_flops((1, 6, 6, 2), (3, 3, 2, 3), padding="same") for r in records)
    assert all(r["seconds"] > 0 and r["gflops"] > 0 and r["fraction_of_peak"] > 0 for r in records)
    assert records[-1]["speedup_vs_tensorflow"] == 1.0
    assert tiny.min_bytes == 4 * (6 * 6 * 2 + 3 * 3 * 2 * 3 + 6 * 6 * 3)


def test_benchmark_case_rejects_unknown_methods():
    with pytest.raises(ValueError, match=r"methods must be names from .*; got \['magic'\]"):
        performance.benchmark_case(performance.ConvCase("t", 1, 4, 1, 1, 3), ["auto", "magic"])


def test_measure_and_loglog_slope():
    seconds = performance.measure({"a": lambda: None, "b": lambda: sum(range(1000))}, rounds=2, repeat=2)
    assert set(seconds) == {"a", "b"} and all(s > 0 for s in seconds.values())
    assert performance.loglog_slope([1, 10, 100], [5, 50, 500]) == pytest.approx(1.0)
    assert performance.memory_bandwidth(1, repeat=1) > 0


def test_benchmark_command_line_help():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.conv", "--help"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert "--quick" in done.stdout and "--output" in done.stdout and "--replace" in done.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "local/conv.json"),
        (["--quick"], "local/conv_quick.json"),
        (["--output", "elsewhere/run.json"], "elsewhere/run.json"),
        (["--replace"], "conv.json"),
    ],
)
def test_benchmark_writes_the_committed_record_only_when_told(monkeypatch, argv, expected):
    from benchmarks import conv as bench

    written = []
    monkeypatch.setattr(bench, "run", lambda quick, rounds, repeat: {"seconds_taken": 0.0, "quick": quick})
    monkeypatch.setattr(bench, "write", lambda results, output: written.append(output))
    assert bench.main(argv) == 0
    base = Path() if argv[:1] == ["--output"] else bench.RESULTS
    assert written == [base / expected]
    assert (written[0] == bench.COMMITTED) == (argv == ["--replace"])


@pytest.mark.parametrize("extra", [["--quick"], ["--output", "x.json"]])
def test_benchmark_replace_takes_only_a_full_run(extra):
    from benchmarks import conv as bench

    with pytest.raises(SystemExit):
        bench.main(["--replace", *extra])


def test_accumulating_gemm_adds_in_place_even_into_a_strided_output():
    gemm = vectorized._accumulating_gemm(np.dtype(np.float64))
    a, w = random((7, 3)), random((3, 2))
    wide = np.zeros((7, 5))
    out = wide[:, 1:3]  # not contiguous: SciPy computes into a copy, which must be written back
    gemm(a, w, out, True)
    gemm(a, w, out, False)
    np.testing.assert_allclose(wide[:, 1:3], 2 * a @ w, rtol=1e-12)
    assert not wide[:, [0, 3, 4]].any()
    assert vectorized._accumulating_gemm(np.dtype(np.longdouble)) is None


def test_layer_arguments_describe_a_layer_without_data():
    args = performance.layer_arguments((64, 56, 56, 64), (3, 3, 64, 64), strides=2, padding="same")
    assert args.output_shape == (64, 28, 28, 64) and args.strides == (2, 2) and args.dtype == np.float32
    assert args.x.base is not None and args.x.strides == (0, 0, 0, 0)  # a broadcast zero: no memory
    args_1d = performance.layer_arguments((2, 100, 3), (5, 1, 6), padding="causal", groups=3)
    assert args_1d.output_shape == (2, 100, 6) and args_1d.groups == 3
    with pytest.raises(ValueError, match="kernel has 2 input channels"):
        performance.layer_arguments((1, 8, 8, 3), (3, 3, 2, 4))
