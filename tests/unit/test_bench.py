"""convbook.bench: timing, memory, the machine's ceilings and the benchmark runner (benchmarks/conv.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from convbook import bench
from convbook.bench import best_time, gflops, machine_info, matmul_peak, workspace
from convbook.cost import conv_flops

ROOT = Path(__file__).resolve().parents[2]


def test_best_time_is_the_minimum_after_warmup():
    calls = []

    def sleepy():
        calls.append(None)
        time.sleep(0.02 if len(calls) <= 2 else 0.001)  # the warm-up call and the first timed one are slow

    seconds = best_time(sleepy, repeat=3, warmup=1)
    assert len(calls) == 4
    assert 0.001 <= seconds < 0.015


@pytest.mark.parametrize(
    ("options", "message"),
    [(dict(repeat=0), "repeat must be a positive int"), (dict(warmup=-1), "warmup must be a non-negative int")],
)
def test_best_time_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        best_time(lambda: None, **options)
    with pytest.raises(TypeError, match="function must be callable"):
        best_time(3)


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


def test_benchmark_case_times_every_method_side_by_side():
    tiny = bench.ConvCase("tiny", batch=1, size=6, c_in=2, c_out=3, kernel=3)
    methods = [m for m in bench.BENCHMARK_METHODS if m != "tensorflow"]  # TensorFlow's: tests/parity/test_bench.py
    records = bench.benchmark_case(tiny, methods, rounds=1, repeat=1, peak_gflops=100.0)
    assert [r["method"] for r in records] == methods
    assert all(r["flops"] == tiny.flops == conv_flops((1, 6, 6, 2), (3, 3, 2, 3), padding="same") for r in records)
    assert all(r["seconds"] > 0 and r["gflops"] > 0 and r["fraction_of_peak"] > 0 for r in records)
    assert not any("speedup_vs_tensorflow" in r for r in records)
    assert tiny.min_bytes == 4 * (6 * 6 * 2 + 3 * 3 * 2 * 3 + 6 * 6 * 3)


def test_benchmark_case_rejects_unknown_methods():
    with pytest.raises(ValueError, match=r"methods must be names from .*; got \['magic'\]"):
        bench.benchmark_case(bench.ConvCase("t", 1, 4, 1, 1, 3), ["auto", "magic"])


def test_measure_and_loglog_slope():
    seconds = bench.measure({"a": lambda: None, "b": lambda: sum(range(1000))}, rounds=2, repeat=2)
    assert set(seconds) == {"a", "b"} and all(s > 0 for s in seconds.values())
    assert bench.loglog_slope([1, 10, 100], [5, 50, 500]) == pytest.approx(1.0)
    assert bench.memory_bandwidth(1, repeat=1) > 0


def test_benchmark_command_line_help():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.conv", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
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
    from benchmarks import conv as benchmark

    written = []
    monkeypatch.setattr(benchmark, "run", lambda quick, rounds, repeat: {"seconds_taken": 0.0, "quick": quick})
    monkeypatch.setattr(benchmark, "write", lambda results, output: written.append(output))
    assert benchmark.main(argv) == 0
    base = Path() if argv[:1] == ["--output"] else benchmark.RESULTS
    assert written == [base / expected]
    assert (written[0] == benchmark.COMMITTED) == (argv == ["--replace"])


@pytest.mark.parametrize("extra", [["--quick"], ["--output", "x.json"]])
def test_benchmark_replace_takes_only_a_full_run(extra):
    from benchmarks import conv as benchmark

    with pytest.raises(SystemExit):
        benchmark.main(["--replace", *extra])
