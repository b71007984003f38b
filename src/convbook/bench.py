"""Measuring on this machine: timing, memory, the machine's ceilings, and the benchmark runner.

Everything here measures, so nothing here is compared as text in the book: chapter 9 and
``python -m benchmarks.conv`` report ratios and fractions of these measurements, never a bare time.

``best_time``, ``measure``
    The best of several calls after a warm-up; several functions measured in turns.
``workspace``
    Memory a call allocates beyond its result, measured with `tracemalloc`.
``matmul_peak``, ``memory_bandwidth``
    This machine's float32 matrix-multiply speed and copying speed: the roofline's two ceilings.
``gflops``, ``loglog_slope``
    A speed from a count and a time; how a cost grows with a size.
``ConvCase``, ``benchmark_case``, ``BENCHMARK_METHODS``
    The benchmark: every method of the book (and TensorFlow) on one layer, timed side by side.
``machine_info``
    CPU model, BLAS library and threads, package versions: what a benchmark must record.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import loops, shapes, vectorized
from .conv import conv2d
from .cost import conv_flops
from .direct import conv2d_direct
from .fft import conv2d_fft

__all__ = [
    "BENCHMARK_METHODS",
    "ConvCase",
    "benchmark_case",
    "best_time",
    "gflops",
    "loglog_slope",
    "machine_info",
    "matmul_peak",
    "measure",
    "memory_bandwidth",
    "workspace",
]


def best_time(function: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Seconds taken by the fastest of ``repeat`` calls of ``function()``, after ``warmup`` calls.

    The minimum, not the mean, is the figure least disturbed by other work on
    the machine; compare functions by the *ratio* of their best times measured
    in the same run, never by an absolute time.

    Parameters
    ----------
    function : callable
        Called with no arguments, ``warmup + repeat`` times.
    repeat : int, default 5
        Timed calls (at least 1).
    warmup : int, default 1
        Untimed calls first (caches, lazy initialisation, JIT).

    Returns
    -------
    float
        Seconds of the fastest timed call.

    Examples
    --------
    >>> best_time(lambda: sum(range(1000)), repeat=3) > 0
    True
    """
    if not callable(function):
        raise TypeError(f"function must be callable; got {type(function).__name__}")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive int; got {repeat!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int; got {warmup!r}")
    for _ in range(warmup):
        function()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(functions: dict[str, Callable[[], object]], *, rounds: int = 3, repeat: int = 3) -> dict[str, float]:
    """Best seconds of every function, measured in turns so that all see the same state of the machine.

    In each of ``rounds`` rounds every function gets `best_time`
    (one warm-up call, then the best of ``repeat``); the result is each
    function's best over all rounds. Taking turns spreads a burst of other work
    on a shared machine over all functions instead of one.

    Returns
    -------
    dict
        Name to seconds.
    """
    best = {name: math.inf for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            best[name] = min(best[name], best_time(function, repeat=repeat, warmup=1))
    return best


def workspace(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Call ``function(*args, **kwargs)``; return its result and the bytes it allocated beyond the result.

    `tracemalloc` sees every NumPy allocation, so its peak during the call,
    minus the result's own bytes, is the call's workspace: temporaries, copies,
    buffers.

    Returns
    -------
    (result, int)

    Examples
    --------
    >>> y, extra = workspace(np.add, np.ones(1000), 1.0)
    >>> extra < 1000
    True
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        result = function(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    result_bytes = result.nbytes if isinstance(result, np.ndarray) else 0
    return result, max(peak - start - result_bytes, 0)


def gflops(flops: float, seconds: float) -> float:
    """Billions of floating-point operations per second.

    Examples
    --------
    >>> gflops(2e9, 0.5)
    4.0
    """
    return flops / seconds / 1e9


def matmul_peak(size: int = 2048, *, dtype: Any = np.float32, repeat: int = 5) -> float:
    """This machine's matrix-multiply speed in GFLOP/s: the best of ``repeat`` products of two ``size x size`` matrices.

    A large square product is the fastest thing BLAS does, so it is the
    practical ceiling for every method that turns a convolution into matrix
    products. It counts ``2 * size**3`` flops.

    Parameters
    ----------
    size : int, default 2048
    dtype : default float32
    repeat : int, default 5

    Returns
    -------
    float
        GFLOP/s.

    Examples
    --------
    >>> matmul_peak(64, repeat=1) > 0
    True
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty((size, size), dtype=a.dtype)
    seconds = best_time(lambda: np.matmul(a, b, out=out), repeat=repeat)
    return gflops(2.0 * size**3, seconds)


def memory_bandwidth(megabytes: int = 64, *, repeat: int = 5) -> float:
    """This machine's copying speed in GB/s: the best of ``repeat`` copies of a ``megabytes`` array.

    A copy reads and writes every byte, so ``2 * size`` bytes move. Arrays much
    larger than the caches measure main memory.

    Examples
    --------
    >>> memory_bandwidth(1, repeat=1) > 0
    True
    """
    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    seconds = best_time(lambda: np.copyto(target, source), repeat=repeat)
    return 2 * source.nbytes / seconds / 1e9


def loglog_slope(sizes: Sequence[float], values: Sequence[float]) -> float:
    """Slope of the least-squares line through ``(log sizes, log values)``: the ``p`` in ``value ~ size**p``.

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]), 6)
    2.0
    """
    slope, _ = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float)), 1)
    return float(slope)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> list[str]:
    """The CPU's vector-instruction flags (SSE, AVX, AVX-512, AMX, FMA), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return sorted(f for f in flags if f.startswith(("avx", "amx", "fma", "sse4")))
    except OSError:
        pass
    return []


def _caches() -> dict[str, str]:
    """Cache sizes of CPU 0 (e.g. ``{"L1d": "48K", "L2": "2048K"}``), from sysfs."""
    caches = {}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
        caches[f"L{level}{suffix}"] = size
    return caches


def machine_info() -> dict[str, Any]:
    """What a benchmark must record about where it ran.

    Returns
    -------
    dict
        ``cpu`` (model name), ``cpu_flags`` (vector instructions), ``caches``
        (per core, from sysfs), ``cores`` (logical CPUs), ``platform``, ``python``,
        ``numpy`` and, if importable, ``scipy`` and ``tensorflow`` versions,
        ``threadpools`` (`threadpoolctl.threadpool_info`: BLAS library,
        version, CPU kernel and threads) and the ``OPENBLAS_*`` / ``OMP_*``
        environment variables that change BLAS's speed.
    """
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "caches": _caches(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    for name in ("scipy", "tensorflow"):
        module = sys.modules.get(name)
        if module is None and name == "scipy":
            try:
                import scipy as module
            except ImportError:  # pragma: no cover
                module = None
        if module is not None:
            info[name] = module.__version__
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = threadpool_info()
    except ImportError:  # pragma: no cover - threadpoolctl is in requirements.txt
        info["threadpools"] = []
    info["environment"] = {
        key: value for key, value in sorted(os.environ.items()) if key.startswith(("OPENBLAS", "OMP_", "MKL_"))
    }
    return info


@dataclass(frozen=True)
class ConvCase:
    """One float32 2D convolution layer to benchmark: ``batch`` images of ``size x size x c_in``.

    Attributes
    ----------
    name : str
    batch, size, c_in, c_out, kernel : int
        Square images and kernels.
    padding : {"same", "valid"}
    strides : int
    """

    name: str
    batch: int
    size: int
    c_in: int
    c_out: int
    kernel: int
    padding: str = "same"
    strides: int = 1

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.size, self.size, self.c_in)

    @property
    def kernel_shape(self) -> tuple[int, int, int, int]:
        return (self.kernel, self.kernel, self.c_in, self.c_out)

    @property
    def flops(self) -> int:
        """`conv_flops` of the layer."""
        return conv_flops(self.x_shape, self.kernel_shape, strides=self.strides, padding=self.padding)

    @property
    def min_bytes(self) -> int:
        """Bytes every method must move at least: input, kernel and output, once each."""
        out = shapes.conv_output_shape((self.size, self.size), self.kernel, self.strides, self.padding)
        return 4 * (math.prod(self.x_shape) + math.prod(self.kernel_shape) + self.batch * math.prod(out) * self.c_out)


def _tensorflow_conv2d(x: np.ndarray, kernel: np.ndarray, strides: int, padding: str) -> np.ndarray:
    import tensorflow as tf

    return tf.nn.conv2d(x, kernel, strides=strides, padding=padding.upper()).numpy()


def _method_functions() -> dict[str, Callable[..., np.ndarray]]:
    def method(name: str) -> Callable[..., np.ndarray]:
        return lambda x, kernel, **options: conv2d(x, kernel, method=name, **options)

    def strategy(name: str) -> Callable[..., np.ndarray]:
        return lambda x, kernel, **options: conv2d_direct(x, kernel, strategy=name, **options)

    return {
        "loop": loops.conv2d_loop,
        "einsum": method("einsum"),
        "im2col": vectorized.conv2d_im2col,
        "per tap": vectorized.conv2d_per_tap,
        "tiled im2col": strategy("im2col"),
        "tiled per tap": strategy("per_tap"),
        "direct": method("direct"),
        "fft": conv2d_fft,
        "auto": conv2d,
        "tensorflow": lambda x, kernel, *, strides, padding: _tensorflow_conv2d(x, kernel, strides, padding),
    }


#: The methods `benchmark_case` can time: chapter 5's (loop, einsum, im2col, per tap), the direct method's two
#: tiled strategies, the direct and FFT methods, ``conv2d``'s automatic choice, and TensorFlow's ``tf.nn.conv2d``.
BENCHMARK_METHODS = (
    "loop",
    "einsum",
    "im2col",
    "per tap",
    "tiled im2col",
    "tiled per tap",
    "direct",
    "fft",
    "auto",
    "tensorflow",
)


def benchmark_case(
    case: ConvCase,
    methods: Iterable[str],
    *,
    rounds: int = 3,
    repeat: int = 3,
    peak_gflops: float | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Time ``methods`` on one layer, side by side; one record per method.

    The input and kernel are float32 standard normal numbers. Every method's
    result is first checked against ``"direct"`` (to float32 tolerance), which
    also warms it up; then all are timed with `measure`.

    Parameters
    ----------
    case : ConvCase
    methods : iterable of str
        Names from `BENCHMARK_METHODS`.
    rounds, repeat : int
        As in `measure`.
    peak_gflops : float, optional
        The machine's matrix-multiply peak (`matmul_peak`), for ``fraction_of_peak``.
    seed : int, default 0

    Returns
    -------
    list of dict
        The case's fields, then ``method``, ``flops``, ``seconds``, ``gflops``,
        ``fraction_of_peak`` (if ``peak_gflops`` is given) and, when TensorFlow
        was timed, ``speedup_vs_tensorflow`` (TensorFlow's seconds over this
        method's: above 1 is faster than TensorFlow).
    """
    methods = list(methods)
    unknown = [name for name in methods if name not in BENCHMARK_METHODS]
    if unknown:
        raise ValueError(f"methods must be names from {BENCHMARK_METHODS}; got {unknown}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.x_shape, dtype=np.float32)
    kernel = rng.standard_normal(case.kernel_shape, dtype=np.float32)
    options = dict(strides=case.strides, padding=case.padding)
    table = _method_functions()
    functions = {name: (lambda f=table[name]: f(x, kernel, **options)) for name in methods}
    reference = table["direct"](x, kernel, **options)
    scale = float(np.abs(reference).max()) if reference.size else 1.0
    for name, function in functions.items():
        np.testing.assert_allclose(function(), reference, rtol=1e-4, atol=1e-5 * scale, err_msg=name)
    seconds = measure(functions, rounds=rounds, repeat=repeat)
    records = []
    for name in methods:
        record: dict[str, Any] = {**asdict(case), "method": name, "flops": case.flops, "min_bytes": case.min_bytes}
        record["seconds"] = seconds[name]
        record["gflops"] = gflops(case.flops, seconds[name])
        if peak_gflops:
            record["fraction_of_peak"] = record["gflops"] / peak_gflops
        if "tensorflow" in seconds:
            record["speedup_vs_tensorflow"] = seconds["tensorflow"] / seconds[name]
        records.append(record)
    return records
