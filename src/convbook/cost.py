"""What a convolution costs, from its shapes alone: FLOPs, bytes, workspace, predicted seconds.

Chapter 9 measures every method of the book against these counts, and ``method="auto"`` asks
`fastest_method` (through `convbook.conv.choose_method`, which first guards exact and
non-finite inputs):

``conv_flops``
    Floating-point operations of a convolution, ``2 * multiply-adds``: the same for every method
    that computes the sum as written (loop, einsum, im2col, per tap, TensorFlow).
``im2col_bytes``
    Size of the im2col matrix of a whole batch, the memory the plain method needs.
``fft_flops``
    A model of the FFT method's operations: transforms plus the products of their coefficients.
``direct_seconds``, ``fft_seconds``
    Predicted times of the direct and FFT methods on the book's machine.
``workspace_bytes``
    Bytes a method allocates besides its output: a true upper bound (`convbook.direct.workspace_bytes`,
    `convbook.fft.workspace_bytes`).
``fastest_method``
    The method the model predicts to be fastest, among those whose workspace fits `WORKSPACE_BYTES`.

None needs an array: the counts take plain shapes (``input_shape``, ``kernel_shape`` and the
options), the model a `convbook.arguments.ConvGeometry` (from `convbook.arguments.conv_geometry`, or
``args.geometry``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from . import direct, fft, shapes
from .arguments import ConvGeometry, as_2d, conv_geometry
from .direct import WORKSPACE_BYTES, choose_strategy

__all__ = [
    "WORKSPACE_BYTES",
    "conv_flops",
    "direct_seconds",
    "fastest_method",
    "fft_flops",
    "fft_seconds",
    "im2col_bytes",
    "workspace_bytes",
]

# Rates of this book's machine (2 cores of an Intel Xeon with AVX-512, OpenBLAS), fitted to timings of the
# direct and FFT methods over images of 64 to 512 pixels, 1 to 16 channels and kernels of 3 to 31 taps.
# Only their ratios matter to the choice between methods, and those differ far less between machines than
# the rates themselves.
GEMM_RATE = 2.2e11  #: flop/s of the matrix products of a tile, with many terms per product

COPY_RATE = 1.8e9  #: elements/s copied into an im2col block

POSITION_SECONDS = 20e-9  #: the direct method's fixed cost per output position (gathering, writing)

ELEMENTWISE_SECONDS = 0.6e-9  #: one tap's multiply-add on one output value, elementwise strategy

#: flop/s of real 2D FFTs (counted as ``2.5 n log2 n`` flops), fitted with the transforms on both cores; with
#: SciPy's default of one worker (`scipy.fft.set_workers`) they run slower than this on a multi-core machine.
FFT_RATE = 1.1e10

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


def _fft_counts(geometry: ConvGeometry) -> tuple[int, int, int]:
    """Number of transforms, points per transform and complex multiply-adds of the FFT method."""
    spatial = geometry.input_shape[1:-1]
    lengths = [fft.fft_size(n + before + after) for n, (before, after) in zip(spatial, geometry.pads, strict=True)]
    points = math.prod(lengths)
    half_spectrum = points // lengths[-1] * (lengths[-1] // 2 + 1)
    batch, c_in, (c_in_g, c_out) = geometry.input_shape[0], geometry.input_shape[-1], geometry.kernel_shape[-2:]
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
    every image, on the padded size rounded up by `convbook.fft.fft_size`, and in between
    does one complex multiply-add (8 flops) per frequency, image, input
    channel of the group and output channel. The count does not depend on the
    kernel's size -- the point of the method -- nor on the strides (it
    computes every stride-1 position and keeps every ``s``-th).

    Parameters are those of `conv_flops` but ``strides``: the method computes every stride-1 position.

    Returns
    -------
    float

    Examples
    --------
    >>> f = fft_flops((1, 512, 512, 1), (31, 31, 1, 1), padding="same")
    >>> round(f / conv_flops((1, 512, 512, 1), (31, 31, 1, 1), padding="same"), 3)
    0.093
    """
    geometry = conv_geometry(input_shape, kernel_shape, padding=padding, dilation_rate=dilation_rate, groups=groups)
    transforms, points, products = _fft_counts(geometry)
    return transforms * 2.5 * points * math.log2(max(points, 2)) + 8.0 * products


def direct_seconds(geometry: ConvGeometry) -> float:
    """Predicted seconds of the direct method, for the strategy `convbook.direct.choose_strategy` picks.

    ``"elementwise"``: a multiply-add per tap and output value. ``"per_tap"``:
    a cost per position, and the FLOPs at a speed that grows with the number of
    terms per product (``c_in_g``). ``"im2col"``: a cost per position, copying
    every window, and the FLOPs. A 3D convolution is the 2D one the direct method
    runs (`convbook.conv3d`: depth slices stacked along the channels), plus the
    stacking copies.

    Examples
    --------
    >>> geometry = conv_geometry((1, 512, 512, 1), (31, 31, 1, 1), padding="same")
    >>> fft_seconds(geometry) < direct_seconds(geometry) / 2
    True
    """
    if geometry.rank == 3:
        # Stacking: every (image, output depth) pair copies the kd depth slices its windows read.
        batch, out_depth = geometry.output_shape[:2]
        _, _, rows, cols, c_in = geometry.input_shape
        stacking = batch * out_depth * geometry.kernel_shape[0] * rows * cols * c_in / COPY_RATE
        return stacking + direct_seconds(direct._stacked_geometry(geometry, batch * out_depth))
    geometry = as_2d(geometry)
    kh, kw, c_in_g, c_out = geometry.kernel_shape
    positions = geometry.positions
    flops = 2 * geometry.macs
    strategy = choose_strategy(geometry)
    if strategy == "elementwise":
        return positions * c_out * kh * kw * ELEMENTWISE_SECONDS
    if strategy == "per_tap":
        return positions * POSITION_SECONDS + flops / (GEMM_RATE * c_in_g / (c_in_g + 16))
    entries = positions * kh * kw * c_in_g * geometry.groups  # of the im2col blocks
    return positions * POSITION_SECONDS + entries / COPY_RATE + flops / GEMM_RATE


def fft_seconds(geometry: ConvGeometry) -> float:
    """Predicted seconds of the FFT method: a fixed cost, the transforms, the products of their coefficients."""
    transforms, points, products = _fft_counts(geometry)
    transform_flops = transforms * 2.5 * points * math.log2(max(points, 2))
    return FFT_SECONDS + transform_flops / FFT_RATE + 8.0 * products / SPECTRAL_RATE


def workspace_bytes(geometry: ConvGeometry, method: str = "direct") -> int:
    """Bytes ``method`` allocates besides its output on a convolution of this geometry: a true upper bound.

    Parameters
    ----------
    geometry : ConvGeometry
    method : {"direct", "fft"}, default "direct"

    Returns
    -------
    int

    Examples
    --------
    >>> geometry = conv_geometry((64, 56, 56, 64), (3, 3, 64, 64), padding="same")
    >>> workspace_bytes(geometry) < 4 * 2**20 < im2col_bytes((64, 56, 56, 64), 3, padding="same")
    True
    """
    if method == "direct":
        return direct.workspace_bytes(geometry)
    if method == "fft":
        return fft.workspace_bytes(geometry)
    raise ValueError(f"method must be 'direct' or 'fft'; got {method!r}")


def fastest_method(geometry: ConvGeometry) -> str:
    """The method the cost model picks for these shapes: ``"fft"`` or ``"direct"``.

    ``"fft"`` when the model predicts it to be at least twice as fast as the
    direct method (`fft_seconds` < `direct_seconds` / 2) -- large kernels over
    few channels -- and its workspace fits in `WORKSPACE_BYTES`; ``"direct"``
    otherwise. The margin is deliberate: the FFT's rounding errors, though
    tiny, grow with the image rather than the kernel, and it does not
    reproduce exact results (integers, zeros) the direct sum gives, so it is
    used only where it clearly pays. (``"einsum"`` is never the fastest: it
    is there to be read.) This is the model alone; `convbook.choose_method`
    first keeps integer and non-finite inputs on the direct path.

    Parameters
    ----------
    geometry : ConvGeometry
        1D, 2D or 3D. The rates were fitted on 2D timings; in 3D the model
        predicts from the same rates (each method's counts are rank-general).

    Returns
    -------
    str

    Examples
    --------
    >>> fastest_method(conv_geometry((1, 512, 512, 1), (31, 31, 1, 1), padding="same"))
    'fft'
    >>> fastest_method(conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), padding="same"))
    'direct'
    """
    if geometry.input_shape[0] == 0:
        return "direct"
    if fft_seconds(geometry) < direct_seconds(geometry) / 2 and fft.workspace_bytes(geometry) <= WORKSPACE_BYTES:
        return "fft"
    return "direct"
