"""What a convolution costs: FLOPs, bytes, a machine's matrix-multiply peak, and which method to run.

Chapter 9 measures every method of the book against these counts:

``conv_flops``
    Floating-point operations of a convolution, ``2 * multiply-adds``: the same for every method
    that computes the sum as written (loop, einsum, im2col, per tap, TensorFlow).
``im2col_bytes``
    Size of the im2col matrix of a whole batch, the memory the plain method needs.
``fft_flops``
    A model of the FFT method's operations: transforms plus the products of their coefficients.
``matmul_peak``
    This machine's float32 matrix-multiply speed, measured with one large product.
``workspace``
    Memory a call allocates beyond its result, measured with `tracemalloc`.
``choose_method``, ``choose_strategy``
    The cost model behind ``conv2d(..., method="auto")`` and `convbook.vectorized.conv2d_direct`.
``memory_bandwidth``
    This machine's copying speed, the other ceiling of a roofline plot.
``ConvCase``, ``benchmark_case``, ``measure``
    The benchmark: every method of the book (and TensorFlow) on one layer, timed side by side;
    ``python -m benchmarks.conv`` runs it over many layers, chapter 9 over a few.
``loglog_slope``
    How a cost grows: the slope of a straight line through ``log(size), log(seconds)``.
``machine_info``
    CPU model, BLAS library and threads, package versions: what a benchmark must record.

Timings are only ever compared as ratios, or as FLOP/s, measured in the same run.
"""

from __future__ import annotations

import math
import platform
import sys
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import shapes
from ._arguments import ConvArguments, prepare_conv
from .timing import best_time

__all__ = [
    "METHODS",
    "ConvCase",
    "benchmark_case",
    "choose_method",
    "choose_strategy",
    "conv_flops",
    "direct_seconds",
    "fft_flops",
    "fft_seconds",
    "fft_size",
    "gflops",
    "im2col_bytes",
    "layer_arguments",
    "loglog_slope",
    "machine_info",
    "matmul_peak",
    "measure",
    "memory_bandwidth",
    "workspace",
]

# Rates of this book's machine (2 cores of an Intel Xeon with AVX-512, OpenBLAS), fitted to timings of the
# direct and FFT methods over images of 64 to 512 pixels, 1 to 16 channels and kernels of 3 to 31 taps.
# Only their ratios matter to the choice between methods, and those differ far less between machines than
# the rates themselves.
GEMM_RATE = 2.2e11  #: flop/s of the matrix products of a tile, with many terms per product
COPY_RATE = 1.8e9  #: elements/s copied into an im2col block
POSITION_SECONDS = 20e-9  #: the direct method's fixed cost per output position (gathering, writing)
ELEMENTWISE_SECONDS = 0.6e-9  #: one tap's multiply-add on one output value, elementwise strategy
FFT_RATE = 1.1e10  #: flop/s of real 2D FFTs (counted as ``2.5 n log2 n`` flops), on every core
SPECTRAL_RATE = 3.8e9  #: flop/s of the complex multiply-adds between transforms
FFT_SECONDS = 2.6e-4  #: the FFT method's fixed cost per call


def _spatial_args(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    strides: int | Sequence[int],
    padding: shapes.Padding,
    dilation_rate: int | Sequence[int],
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Spatial input shape, kernel size and output shape, checked."""
    input_shape, kernel_shape = tuple(input_shape), tuple(kernel_shape)
    rank = len(input_shape) - 2
    if rank < 1 or len(kernel_shape) != rank + 2:
        raise ValueError(
            "input_shape must be (batch, *spatial, c_in) and kernel_shape (*kernel_size, c_in // groups, c_out) "
            f"with the same number of spatial axes; got {input_shape} and {kernel_shape}"
        )
    spatial, kernel_size = input_shape[1:-1], kernel_shape[:rank]
    out = shapes.conv_output_shape(spatial, kernel_size, strides, padding, dilation_rate)
    return spatial, kernel_size, out


def conv_flops(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: shapes.Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
) -> int:
    """Floating-point operations of a convolution: two (a multiply and an add) per multiply-add.

    Every output value ``y[b, *position, o]`` is a sum of ``prod(kernel_size) * c_in_g``
    products, so the count is ``2 * batch * prod(out_spatial) * c_out * prod(kernel_size) * c_in_g``,
    with ``c_in_g = c_in // groups`` read from the kernel. Padding's zeros are
    counted (every method multiplies them).

    Parameters
    ----------
    input_shape : sequence of int
        ``(batch, *spatial, c_in)``, e.g. ``x.shape``.
    kernel_shape : sequence of int
        ``(*kernel_size, c_in // groups, c_out)``, e.g. ``kernel.shape``.
    strides, padding, dilation_rate, groups
        As in `convbook.conv2d`.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_flops((1, 4, 4, 3), (2, 2, 3, 2))   # 9 positions, 2 filters, 12 products each
    432
    """
    _, kernel_size, out = _spatial_args(input_shape, kernel_shape, strides, padding, dilation_rate)
    batch, (c_in_g, c_out) = input_shape[0], tuple(kernel_shape)[-2:]
    if c_in_g * groups != input_shape[-1]:
        raise ValueError(
            f"kernel_shape has {c_in_g} input channels per group but input_shape has {input_shape[-1]} channels "
            f"in {groups} group(s)"
        )
    return 2 * batch * math.prod(out) * c_out * math.prod(kernel_size) * c_in_g


def im2col_bytes(
    input_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: shapes.Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    itemsize: int = 4,
) -> int:
    """Bytes of the im2col matrix of a whole batch: ``batch * prod(out_spatial)`` rows of ``prod(k) * c_in``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(batch, *spatial, c_in)``.
    kernel_size : int or sequence of int
        Taps per spatial axis.
    strides, padding, dilation_rate
        As in `convbook.conv2d`.
    itemsize : int, default 4
        Bytes per number (4 for float32).

    Returns
    -------
    int

    Examples
    --------
    >>> im2col_bytes((64, 56, 56, 64), 3, padding="same") / 2**20   # MiB
    441.0
    """
    input_shape = tuple(input_shape)
    rank = len(input_shape) - 2
    kernel_size = shapes.normalize_tuple(kernel_size, rank, "kernel_size")
    out = shapes.conv_output_shape(input_shape[1:-1], kernel_size, strides, padding, dilation_rate)
    return input_shape[0] * math.prod(out) * math.prod(kernel_size) * input_shape[-1] * itemsize


def fft_size(n: int) -> int:
    """The transform length the FFT method uses for an axis of ``n`` padded positions.

    The smallest length ``>= n`` whose prime factors are all small (SciPy's
    ``next_fast_len``), for which FFTs are fastest; ``n`` itself without SciPy.

    Examples
    --------
    >>> fft_size(542)   # 2**6 * 3**2
    576
    """
    try:
        from scipy.fft import next_fast_len
    except ImportError:  # pragma: no cover - SciPy is in requirements.txt
        return int(n)
    return int(next_fast_len(int(n), real=True))


def _fft_counts(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    padding: shapes.Padding,
    dilation_rate: int | Sequence[int],
    groups: int,
) -> tuple[int, int, int]:
    """Number of transforms, points per transform and complex multiply-adds of the FFT method."""
    input_shape, kernel_shape = tuple(input_shape), tuple(kernel_shape)
    rank = len(input_shape) - 2
    spatial, kernel_size = input_shape[1:-1], kernel_shape[:rank]
    pads = shapes.conv_padding(spatial, kernel_size, 1, padding, dilation_rate)
    lengths = [fft_size(n + before + after) for n, (before, after) in zip(spatial, pads, strict=True)]
    points = math.prod(lengths)
    half_spectrum = points // lengths[-1] * (lengths[-1] // 2 + 1)
    batch, c_in, (c_in_g, c_out) = input_shape[0], input_shape[-1], kernel_shape[-2:]
    transforms = batch * c_in + batch * c_out + c_in_g * c_out
    return transforms, points, batch * half_spectrum * c_in_g * c_out


def fft_flops(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    padding: shapes.Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
) -> float:
    """A model of the FFT method's floating-point operations.

    One real transform of ``n`` points costs about ``2.5 n log2(n)`` flops (half
    of a complex FFT's ``5 n log2(n)``). The method transforms every input
    channel of every image, every kernel slice and every output channel of
    every image, on the padded size rounded up by `fft_size`, and in between
    does one complex multiply-add (8 flops) per frequency, image, input
    channel of the group and output channel. The count does not depend on the
    kernel's size -- the point of the method -- nor on the strides (it
    computes every stride-1 position and keeps every ``s``-th).

    Parameters are those of `conv_flops`, plus ``groups``.

    Returns
    -------
    float

    Examples
    --------
    >>> f = fft_flops((1, 512, 512, 1), (31, 31, 1, 1), padding="same")
    >>> round(f / conv_flops((1, 512, 512, 1), (31, 31, 1, 1), padding="same"), 3)
    0.093
    """
    transforms, points, products = _fft_counts(input_shape, kernel_shape, padding, dilation_rate, groups)
    return transforms * 2.5 * points * math.log2(max(points, 2)) + 8.0 * products


def layer_arguments(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: shapes.Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    dtype: Any = np.float32,
) -> ConvArguments:
    """The validated arguments of a convolution with these shapes, without data.

    For asking the cost model (`choose_method`, `choose_strategy`,
    `direct_seconds`, `fft_seconds`) or `convbook.vectorized.tile_plan` about a
    layer without allocating it: the arrays are zeros broadcast to the shapes,
    which take no memory.

    Parameters
    ----------
    input_shape : sequence of int
        ``(batch, *spatial, c_in)``.
    kernel_shape : sequence of int
        ``(*kernel_size, c_in // groups, c_out)``.
    strides, padding, dilation_rate, groups
        As in `convbook.conv2d` (or `convbook.conv1d` for one spatial axis).
    dtype : default float32

    Returns
    -------
    ConvArguments

    Examples
    --------
    >>> choose_method(layer_arguments((1, 512, 512, 1), (31, 31, 1, 1), padding="same"))
    'fft'
    """
    zero = np.zeros((), dtype=dtype)
    x = np.broadcast_to(zero, tuple(input_shape))
    kernel = np.broadcast_to(zero, tuple(kernel_shape))
    rank = x.ndim - 2
    return prepare_conv(x, kernel, None, strides, padding, dilation_rate, groups, rank=rank, function="layer_arguments")


def _as_2d_shapes(args: ConvArguments) -> tuple[tuple[int, ...], tuple[int, ...]]:
    x_shape, kernel_shape = args.x.shape, args.kernel.shape
    if len(x_shape) == 3:
        return (x_shape[0], 1, *x_shape[1:]), (1, *kernel_shape)
    return tuple(x_shape), tuple(kernel_shape)


def direct_seconds(args: ConvArguments) -> float:
    """Predicted seconds of the direct method, for the strategy `choose_strategy` picks.

    ``"elementwise"``: a multiply-add per tap and output value. ``"per_tap"``:
    a cost per position, and the FLOPs at a speed that grows with the number of
    terms per product (``c_in_g``). ``"im2col"``: a cost per position, copying
    every window, and the FLOPs.
    """
    from .vectorized import _as_2d

    args = _as_2d(args)
    kh, kw, c_in_g, c_out = args.kernel.shape
    positions = math.prod(args.output_shape[:-1])
    flops = 2 * positions * kh * kw * c_in_g * c_out
    strategy = choose_strategy(args)
    if strategy == "elementwise":
        return positions * c_out * kh * kw * ELEMENTWISE_SECONDS
    if strategy == "per_tap":
        return positions * POSITION_SECONDS + flops / (GEMM_RATE * c_in_g / (c_in_g + 16))
    entries = positions * kh * kw * c_in_g * args.groups  # of the im2col blocks
    return positions * POSITION_SECONDS + entries / COPY_RATE + flops / GEMM_RATE


def fft_seconds(args: ConvArguments) -> float:
    """Predicted seconds of the FFT method: a fixed cost, the transforms, the products of their coefficients."""
    x_shape, kernel_shape = _as_2d_shapes(args)
    padding = args.pads if len(args.pads) == 2 else ((0, 0), *args.pads)
    dilation = args.dilation_rate if len(args.dilation_rate) == 2 else (1, *args.dilation_rate)
    transforms, points, products = _fft_counts(x_shape, kernel_shape, padding, dilation, args.groups)
    transform_flops = transforms * 2.5 * points * math.log2(max(points, 2))
    return FFT_SECONDS + transform_flops / FFT_RATE + 8.0 * products / SPECTRAL_RATE


def choose_method(args: ConvArguments) -> str:
    """The method ``conv2d(..., method="auto")`` runs: ``"fft"`` or ``"direct"``.

    ``"fft"`` when the model predicts it to be at least twice as fast as the
    direct method (`fft_seconds` < `direct_seconds` / 2): large kernels over
    few channels; ``"direct"`` otherwise. The margin is deliberate: the FFT's
    rounding errors, though tiny, grow with the image rather than the kernel,
    and it does not reproduce exact results (integers, zeros) the direct sum
    gives, so it is used only where it clearly pays. (``"einsum"`` is never
    the fastest: it is there to be read.)

    Parameters
    ----------
    args : ConvArguments
        Validated arguments (`convbook._arguments.prepare_conv`), 1D or 2D.

    Returns
    -------
    str
    """
    if args.x.shape[0] > 0 and fft_seconds(args) < direct_seconds(args) / 2:
        return "fft"
    return "direct"


def choose_strategy(args: ConvArguments) -> str:
    """The strategy of the direct method (see `convbook.vectorized.conv2d_direct`).

    ``"elementwise"`` for one input channel and one filter per group
    (single-channel images, depthwise convolutions), where a matrix product
    would have a single term. ``"per_tap"`` for stride 1 when a group has at
    least 8 input channels and 128 weights per tap: per-tap products skip the
    im2col copy but have only ``c_in`` terms each and add into the sums
    ``kh * kw`` times, which pays off with enough channels. ``"im2col"``
    otherwise. Measured on the book's machine (chapter 9).

    Parameters
    ----------
    args : ConvArguments
        Validated 2D arguments.

    Returns
    -------
    str
    """
    c_in_g, c_out = args.kernel.shape[-2:]
    c_out_g = c_out // args.groups
    if c_in_g == 1 and c_out_g == 1:
        return "elementwise"
    if all(s == 1 for s in args.strides) and c_in_g >= 8 and c_in_g * c_out_g >= 128:
        return "per_tap"
    return "im2col"


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
    from pathlib import Path

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
    import os

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


def measure(functions: dict[str, Callable[[], object]], *, rounds: int = 3, repeat: int = 3) -> dict[str, float]:
    """Best seconds of every function, measured in turns so that all see the same state of the machine.

    In each of ``rounds`` rounds every function gets `convbook.timing.best_time`
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
    from . import fft, loops, vectorized

    def method(name: str) -> Callable[..., np.ndarray]:
        return lambda x, kernel, **options: vectorized.conv2d(x, kernel, method=name, **options)

    def strategy(name: str) -> Callable[..., np.ndarray]:
        return lambda x, kernel, **options: vectorized.conv2d_direct(x, kernel, strategy=name, **options)

    return {
        "loop": loops.conv2d_loop,
        "einsum": method("einsum"),
        "im2col": vectorized.conv2d_im2col,
        "per tap": vectorized.conv2d_per_tap,
        "tiled im2col": strategy("im2col"),
        "tiled per tap": strategy("per_tap"),
        "direct": method("direct"),
        "fft": fft.conv2d_fft,
        "auto": vectorized.conv2d,
        "tensorflow": lambda x, kernel, *, strides, padding: _tensorflow_conv2d(x, kernel, strides, padding),
    }


#: The methods `benchmark_case` can time: chapter 5's (loop, einsum, im2col, per tap), the direct method's two
#: tiled strategies, the direct and FFT methods, ``conv2d``'s automatic choice, and TensorFlow's ``tf.nn.conv2d``.
METHODS = (
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
        Names from `METHODS`.
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
    unknown = [name for name in methods if name not in METHODS]
    if unknown:
        raise ValueError(f"methods must be names from {METHODS}; got {unknown}")
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
