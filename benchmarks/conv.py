"""Benchmark every convolution method of the book against TensorFlow's ``tf.nn.conv2d``.

Run from the repository root::

    python -m benchmarks.conv            # the full run (several minutes): benchmarks/results/local/conv.{json,csv}
    python -m benchmarks.conv --quick    # a reduced run, under a minute: benchmarks/results/local/conv_quick.json
    python -m benchmarks.conv --quick --output /tmp/conv.json
    python -m benchmarks.conv --replace  # the full run, replacing the committed benchmarks/results/conv.json

A run writes to ``benchmarks/results/local/`` (ignored by git) unless told otherwise: chapter 9 reads the
committed ``benchmarks/results/conv.json``, the record of one machine, and a run on yours must not
overwrite it by accident. ``--replace`` is for the maintainers who re-record it.

What it measures, all float32, channels last, forward pass, in one process:

- this machine's float32 matrix-multiply peak (one large product) and copying bandwidth;
- ``typical``: four layers of image networks, every method of `convbook.bench.BENCHMARK_METHODS` but the loop;
- ``tiny``: one small layer, where even the Python loop finishes;
- ``large kernel``: a 31 x 31 kernel on a 512 x 512 single-channel image, direct vs FFT vs TensorFlow;
- sweeps of the batch size, the image size and the kernel size (the FFT crossover);
- the workspace (memory beyond the output) of ``conv2d`` on 64 images of 56 x 56 x 64.

Every time is the best of several runs after a warm-up, methods taking turns (`convbook.bench.measure`);
only ratios and GFLOP/s are reported, never a bare time. TensorFlow runs at its default settings (oneDNN on)
and, like convbook, takes NumPy arrays and returns one.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

import convbook
from convbook.bench import (
    ConvCase,
    benchmark_case,
    loglog_slope,
    machine_info,
    matmul_peak,
    memory_bandwidth,
    workspace,
)
from convbook.cost import im2col_bytes
from convbook.notebook import quiet_stderr

RESULTS = Path(__file__).parent / "results"
COMMITTED = RESULTS / "conv.json"  #: the run chapter 9 reports
LOCAL = RESULTS / "local"  #: where other runs go (ignored by git)

TYPICAL = [
    ConvCase("32x32x64 -> 64, 3x3", 32, 32, 64, 64, 3),
    ConvCase("56x56x64 -> 64, 3x3", 8, 56, 64, 64, 3),
    ConvCase("28x28x128 -> 128, 3x3", 16, 28, 128, 128, 3),
    ConvCase("64x64x32 -> 32, 5x5", 4, 64, 32, 32, 5),
]
TYPICAL_METHODS = [
    "einsum",
    "im2col",
    "per tap",
    "tiled im2col",
    "tiled per tap",
    "direct",
    "fft",
    "auto",
    "tensorflow",
]
TINY = ConvCase("tiny: 8x8x4 -> 4, 3x3", 1, 8, 4, 4, 3)
LARGE_KERNEL = ConvCase("512x512x1 -> 1, 31x31", 1, 512, 1, 1, 31)


def sweeps(quick: bool) -> dict[str, list[ConvCase]]:
    """The scaling sweeps: batch size, image size, kernel size."""
    batches = [1, 4, 16] if quick else [1, 2, 4, 8, 16, 32, 64]
    sizes = [16, 32, 64] if quick else [16, 32, 64, 128, 256]
    kernels = [1, 3, 7, 15] if quick else [1, 3, 5, 7, 9, 11, 15, 21, 31]
    return {
        "batch": [ConvCase(f"batch {b}", b, 32, 64, 64, 3) for b in batches],
        "image": [ConvCase(f"image {n}", 4, n, 32, 32, 3) for n in sizes],
        "kernel": [ConvCase(f"kernel {k}", 1, 128, 4, 4, k) for k in kernels],
    }


SWEEP_METHODS = {
    "batch": ["im2col", "auto", "tensorflow"],
    "image": ["im2col", "auto", "tensorflow"],
    "kernel": ["direct", "fft", "auto", "tensorflow"],
}


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def run(quick: bool = False, *, rounds: int | None = None, repeat: int | None = None, log=print) -> dict[str, Any]:
    """Every measurement; the result is what ``--output`` writes as JSON."""
    with quiet_stderr():
        import tensorflow as tf
    rounds = rounds or (2 if quick else 5)
    repeat = repeat or (2 if quick else 5)
    started = time.time()
    peak = matmul_peak(1024 if quick else 2048, repeat=repeat)
    bandwidth = memory_bandwidth(64, repeat=repeat)
    log(f"matmul peak {peak:.0f} GFLOP/s, copy bandwidth {bandwidth:.1f} GB/s")
    records: list[dict[str, Any]] = []

    def bench(group: str, case: ConvCase, methods: list[str], **options: int) -> None:
        rows = benchmark_case(case, methods, peak_gflops=peak, **{"rounds": rounds, "repeat": repeat, **options})
        for row in rows:
            row["group"] = group
        records.extend(rows)
        summary = ", ".join(f"{r['method']} {r['gflops']:.1f}" for r in rows)
        log(f"{group:>12} | {case.name:<24} | GFLOP/s: {summary}")

    bench("tiny", TINY, ["loop", *TYPICAL_METHODS], rounds=1, repeat=1 if quick else 3)
    for case in TYPICAL:
        bench("typical", case, TYPICAL_METHODS)
    bench("large kernel", LARGE_KERNEL, ["direct", "fft", "auto", "tensorflow"])
    for group, cases in sweeps(quick).items():
        for case in cases:
            bench(group, case, SWEEP_METHODS[group])

    memory_case = ConvCase("64x56x56x64 -> 64, 3x3", 64, 56, 64, 64, 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(memory_case.x_shape, dtype=np.float32)
    kernel = rng.standard_normal(memory_case.kernel_shape, dtype=np.float32)
    y, extra = workspace(convbook.conv2d, x, kernel, padding="same")
    memory = {
        "case": memory_case.name,
        "output_bytes": y.nbytes,
        "input_bytes": x.nbytes,
        "workspace_bytes": extra,
        "im2col_bytes": im2col_bytes(x.shape, 3, padding="same"),
    }
    whole = memory["im2col_bytes"] / 2**20
    log(f"workspace of conv2d on {memory_case.name}: {extra / 2**20:.1f} MiB (one im2col matrix: {whole:.0f} MiB)")

    def speedup(group: str, method: str) -> list[float]:
        return [r["speedup_vs_tensorflow"] for r in records if r["group"] == group and r["method"] == method]

    typical = speedup("typical", "auto")
    summary = {
        "typical_speedups_vs_tensorflow": dict(zip([c.name for c in TYPICAL], typical, strict=True)),
        "typical_geometric_mean": geometric_mean(typical),
        "large_kernel_speedup_vs_tensorflow": speedup("large kernel", "auto")[0],
        "workspace_mib": extra / 2**20,
        "slopes": {
            group: {
                method: loglog_slope(
                    [getattr(c, {"batch": "batch", "image": "size", "kernel": "kernel"}[group]) for c in cases],
                    [r["seconds"] for r in records if r["group"] == group and r["method"] == method],
                )
                for method in SWEEP_METHODS[group]
            }
            for group, cases in sweeps(quick).items()
        },
    }
    log(
        f"typical layers: auto reaches {summary['typical_geometric_mean']:.2f} of TensorFlow's speed (geometric "
        f"mean); large kernel: {summary['large_kernel_speedup_vs_tensorflow']:.1f}x TensorFlow"
    )
    info = machine_info()
    info["tensorflow"] = tf.__version__
    info["tensorflow_threads"] = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
    }
    return {
        "quick": quick,
        "rounds": rounds,
        "repeat": repeat,
        "seconds_taken": time.time() - started,
        "machine": info,
        "matmul_peak_gflops": peak,
        "memory_bandwidth_gbs": bandwidth,
        "summary": summary,
        "memory": memory,
        "records": records,
    }


def write(results: dict[str, Any], output: Path) -> None:
    """``output`` (JSON) and the records as CSV beside it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=1, default=str) + "\n")
    temporary.replace(output)
    records = results["records"]
    fields = list(dict.fromkeys(key for record in records for key in record))
    with open(output.with_suffix(".csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conv", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run, under a minute")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file to write (a CSV is written beside it); default benchmarks/results/local/conv.json, "
        "or conv_quick.json with --quick",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="write the full run to benchmarks/results/conv.json, the committed record that chapter 9 reports",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds of turns (default 5; 2 with --quick)")
    parser.add_argument("--repeat", type=int, default=None, help="timed calls per turn (default 5; 2 with --quick)")
    options = parser.parse_args(argv)
    if options.replace and (options.quick or options.output is not None):
        parser.error("--replace writes the full run to the committed file: it takes neither --quick nor --output")
    if options.replace:
        output = COMMITTED
    else:
        output = options.output or LOCAL / ("conv_quick.json" if options.quick else "conv.json")
    results = run(options.quick, rounds=options.rounds, repeat=options.repeat)
    write(results, output)
    print(f"wrote {output} and {output.with_suffix('.csv')} in {results['seconds_taken']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
