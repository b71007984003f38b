"""convbook.bench's benchmark with TensorFlow's tf.nn.conv2d among the methods."""

from __future__ import annotations

from convbook import bench
from convbook.cost import conv_flops


def test_benchmark_case_times_tensorflow_beside_every_method():
    tiny = bench.ConvCase("tiny", batch=1, size=6, c_in=2, c_out=3, kernel=3)
    methods = ["loop", "einsum", "im2col", "tiled per tap", "auto", "fft", "tensorflow"]
    records = bench.benchmark_case(tiny, methods, rounds=1, repeat=1, peak_gflops=100.0)
    assert [r["method"] for r in records] == methods
    assert all(r["flops"] == tiny.flops == conv_flops((1, 6, 6, 2), (3, 3, 2, 3), padding="same") for r in records)
    assert all(r["seconds"] > 0 and r["gflops"] > 0 and r["fraction_of_peak"] > 0 for r in records)
    assert all(r["speedup_vs_tensorflow"] > 0 for r in records)
    assert records[-1]["speedup_vs_tensorflow"] == 1.0
    assert "tensorflow" in bench.machine_info()
