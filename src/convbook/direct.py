"""The direct method: ``conv2d(..., method="direct")``, in cache-sized tiles with a bounded workspace.

Chapter 9's engine. The output is cut into tiles of a few thousand positions; for each tile the input
patch it reads is gathered (a view of the input, or a copy with the padding filled in as ``padding_mode``
says: the input is never padded as a whole) and the tile is computed straight into the output by one of
three strategies (`choose_strategy`): an im2col block and one matrix product, a sum of per-tap matrix
products accumulated in place by BLAS, or elementwise multiply-adds for one channel per group.

Every buffer is sized by the tile, never by the batch. `workspace_bytes` says, from shapes alone, how
many bytes a call allocates besides its output; `tile_plan` shrinks tiles until that fits in
`WORKSPACE_BYTES`, down to an irreducible floor of one output position's buffers.

1D convolutions run as 2D ones whose images are one row high (`convbook.arguments.as_2d`). 3D ones
(``conv3d(..., method="direct")``) run as 2D ones too: for each output depth, the ``kd`` input depth
slices its windows read are stacked along the channels, and chunks of (image, output depth) pairs are
the batch of the 2D engine, with the kernel's depth taps as input channels. The stacked slices of one
chunk count in the workspace, which does not grow with the batch or the depth. When one pair's slices
alone exceed `WORKSPACE_BYTES`, each pair is cut into bands of output positions, and only the input rows
and columns a band reads are stacked (with their padding): the floor is one output position's buffers,
as in 2D.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike
from scipy.linalg import blas

from . import shapes
from .arguments import ConvArguments, ConvGeometry, as_2d, padded_index, prepare_conv
from .shapes import Padding

__all__ = [
    "OVERHEAD_BYTES",
    "STRATEGIES",
    "TILE_BYTES",
    "WORKSPACE_BYTES",
    "choose_strategy",
    "conv2d_direct",
    "direct_convolve",
    "tile_plan",
    "workspace_bytes",
]

#: Strategies of the direct method (`conv2d_direct`); ``"auto"`` asks `choose_strategy`.
STRATEGIES = ("auto", "im2col", "per_tap", "elementwise")

#: Target size in bytes of one tile's largest buffer: about a core's L2 cache.
TILE_BYTES = 2 * 2**20

#: Budget in bytes for the direct method's workspace (every buffer it allocates besides the output).
WORKSPACE_BYTES = 48 * 2**20

#: Bytes of Python bookkeeping per call counted in `workspace_bytes` besides the buffers (views, tuples).
OVERHEAD_BYTES = 64 * 2**10

#: ``gemm(a, w, out, first)``: ``out = a @ w`` if ``first``, else ``out += a @ w`` (see `_accumulating_gemm`).
Gemm = Callable[[np.ndarray, np.ndarray, np.ndarray, bool], None]


def choose_strategy(geometry: ConvGeometry) -> str:
    """The strategy `conv2d_direct` uses for ``strategy="auto"``.

    ``"elementwise"`` for one input channel and one filter per group
    (single-channel images, depthwise convolutions), where a matrix product
    would have a single term. ``"per_tap"`` for stride 1 when a group has at
    least 8 input channels and 128 weights per tap: per-tap products skip the
    im2col copy but have only ``c_in`` terms each and add into the sums
    ``kh * kw`` times, which pays off with enough channels. ``"im2col"``
    otherwise. Measured on the book's machine (chapter 9).

    Parameters
    ----------
    geometry : ConvGeometry
        From `convbook.arguments.conv_geometry` (or ``args.geometry``), 1D, 2D or 3D;
        in 3D, the strategy of the 2D convolution of stacked depth slices the direct method
        runs, whose groups have ``kd * c_in // groups`` input channels.

    Returns
    -------
    str

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> choose_strategy(conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), padding="same"))
    'per_tap'
    """
    if geometry.rank == 3:
        geometry = _stacked_geometry(geometry, 1)
    c_in_g, c_out = geometry.kernel_shape[-2:]
    c_out_g = c_out // geometry.groups
    if c_in_g == 1 and c_out_g == 1:
        return "elementwise"
    if all(s == 1 for s in geometry.strides) and c_in_g >= 8 and c_in_g * c_out_g >= 128:
        return "per_tap"
    return "im2col"


def _check_strategy(geometry: ConvGeometry, strategy: str) -> str:
    """``strategy``, with ``"auto"`` resolved, or an error if it cannot compute this convolution."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got {strategy!r}")
    if strategy == "auto":
        return choose_strategy(geometry)
    if strategy == "per_tap" and any(s != 1 for s in geometry.strides):
        raise ValueError(f"strategy='per_tap' needs strides of 1; got strides={geometry.strides}")
    if strategy == "elementwise" and geometry.kernel_shape[-2] != 1:
        raise ValueError(
            "strategy='elementwise' needs one input channel per group (c_in // groups == 1); "
            f"got {geometry.kernel_shape[-2]}"
        )
    return strategy


def _check_tile_positions(tile_positions: object) -> None:
    if tile_positions is not None and (not shapes._is_int(tile_positions) or tile_positions < 1):
        raise ValueError(f"tile_positions must be a positive int or None; got {tile_positions!r}")


def _tile_shape(geometry: ConvGeometry, positions: int) -> tuple[int, int, int]:
    """Images, rows and columns of a tile of at most ``positions`` output positions (2D geometry)."""
    _, out_rows, out_cols, _ = geometry.output_shape
    per_image = out_rows * out_cols
    if per_image <= positions:
        return min(positions // per_image, geometry.output_shape[0]) or 1, out_rows, out_cols
    if out_cols <= positions:
        return 1, positions // out_cols, out_cols
    return 1, 1, positions


def _plan_bytes(geometry: ConvGeometry, strategy: str, plan: tuple[int, int, int]) -> int:
    """Bytes `direct_convolve` allocates besides the output for this 2D tile plan (its buffers)."""
    n_images, n_rows, n_cols = plan
    kh, kw, _, c_out = geometry.kernel_shape
    c_in = geometry.input_shape[-1]
    (sh, sw), (extent_h, extent_w) = geometry.strides, geometry.extents
    itemsize = geometry.dtype.itemsize
    patch_positions = n_images * ((n_rows - 1) * sh + extent_h) * ((n_cols - 1) * sw + extent_w)
    tile_positions = n_images * n_rows * n_cols
    if strategy == "im2col":
        buffers = tile_positions * kh * kw * c_in
    elif strategy == "per_tap":
        gemm_in_place = geometry.groups == 1 and geometry.dtype in (np.float32, np.float64)
        buffers = patch_positions * c_out * (1 if gemm_in_place else 2)
    else:
        buffers = tile_positions * c_out
    # NumPy's ufuncs buffer a broadcast or strided operand (the bias added to a tile, the elementwise
    # strategy's taps and weights) in chunks of np.getbufsize() elements: at most one per operand of three.
    ufunc_buffers = 3 * np.getbufsize()
    return (patch_positions * c_in + buffers + ufunc_buffers) * itemsize


def tile_plan(geometry: ConvGeometry, strategy: str, tile_positions: int | None = None) -> tuple[int, int, int]:
    """How `conv2d_direct` cuts the output: images, output rows and output columns per tile.

    A tile holds about ``tile_positions`` output positions: several whole images when
    images are small, a band of rows of one image, or part of one row (the last tile
    along each axis may be smaller). By default the count makes the tile's largest
    buffer about `TILE_BYTES` (per-tap tiles up to twice that, at most 4096
    positions). Whatever the count asked for, the tile shrinks until the whole
    workspace (`workspace_bytes`) fits in `WORKSPACE_BYTES`, or to a single
    output position, whose buffers are the irreducible floor.

    Parameters
    ----------
    geometry : ConvGeometry
        Validated shapes (`convbook.arguments.conv_geometry`, or ``args.geometry``), 1D, 2D or 3D.
    strategy : {"auto", "im2col", "per_tap", "elementwise"}
    tile_positions : int, optional

    Returns
    -------
    (int, int, int)
        For 1D geometry, the plan of the equivalent 2D one (rows of 1). For 3D geometry, the
        plan of the 2D convolution that one chunk of stacked depth slices runs, whose images
        are (image, output depth) pairs, or one band of a pair too large to stack whole.

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> tile_plan(conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), padding="same"), "per_tap")
    (1, 56, 56)
    """
    if geometry.rank == 3:
        stacked = _stacked_geometry(geometry, 1)
        strategy = _check_strategy(stacked, strategy)
        _check_tile_positions(tile_positions)
        if geometry.output_shape[0] == 0:
            return tile_plan(_stacked_geometry(geometry, 0), strategy, tile_positions)
        pairs, band = _depth_plan(geometry, strategy, tile_positions)
        if band is not None:
            return tile_plan(_band_geometry(geometry, *band), strategy, tile_positions)
        return tile_plan(_stacked_geometry(geometry, pairs), strategy, tile_positions)
    strategy = _check_strategy(geometry, strategy)
    _check_tile_positions(tile_positions)
    geometry = as_2d(geometry)
    kh, kw, _, c_out = geometry.kernel_shape
    c_in = geometry.input_shape[-1]
    itemsize = geometry.dtype.itemsize
    if strategy == "im2col":
        per_position = kh * kw * c_in * itemsize  # one row of the im2col block
    elif strategy == "per_tap":
        per_position = (c_out + c_in) * itemsize  # a row of the sums, a row of the input
    else:
        per_position = 2 * c_out * itemsize  # a row of the output, a row of the input
    if tile_positions is None:
        if strategy == "per_tap":  # BLAS splits these tiles between the cores: up to twice the budget
            tile_positions = min(max(2 * TILE_BYTES // per_position, 256), 4096)
        else:
            tile_positions = max(TILE_BYTES // per_position, 256)
    positions = max(1, int(tile_positions))
    plan = _tile_shape(geometry, positions)
    while positions > 1 and _plan_bytes(geometry, strategy, plan) + OVERHEAD_BYTES > WORKSPACE_BYTES:
        positions = max(1, min(positions, math.prod(plan)) // 2)
        plan = _tile_shape(geometry, positions)
    return plan


def workspace_bytes(geometry: ConvGeometry, strategy: str = "auto", tile_positions: int | None = None) -> int:
    """Bytes `conv2d_direct` allocates besides its output, from shapes alone: a true upper bound.

    The input patch of one tile, the tile's im2col block or sums, NumPy's ufunc buffers
    (`numpy.getbufsize` elements per operand) and `OVERHEAD_BYTES` of Python bookkeeping;
    the kernel is used in place, never copied. At most `WORKSPACE_BYTES`, unless a single
    output position's buffers are larger (a kernel whose window holds more than the budget), in 3D
    as in 2D.
    Converting the inputs to the computation dtype (`convbook.arguments.computation_dtype`),
    and a kernel that is not C-ordered to a C-ordered copy, is not counted. In 3D, the
    stacked depth slices of one chunk of (image, output depth) pairs (or of one band of a pair's
    output positions, and one slice of it gathered), the kernel rearranged for them (the one copy
    of it), and the 2D engine's workspace on that chunk.

    Parameters
    ----------
    geometry : ConvGeometry
        1D, 2D or 3D.
    strategy : {"auto", "im2col", "per_tap", "elementwise"}, default "auto"
    tile_positions : int, optional
        As in `tile_plan`.

    Returns
    -------
    int

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> workspace_bytes(conv_geometry((64, 56, 56, 64), (3, 3, 64, 64), padding="same")) < 4 * 2**20
    True
    >>> workspace_bytes(conv_geometry((64, 16, 112, 112, 64), (3, 3, 3, 64, 64), padding="same")) <= WORKSPACE_BYTES
    True
    """
    if geometry.rank == 3:
        strategy = _check_strategy(_stacked_geometry(geometry, 1), strategy)
        _check_tile_positions(tile_positions)
        if geometry.output_shape[0] == 0:
            return OVERHEAD_BYTES
        return _plan_3d_bytes(geometry, strategy, tile_positions)
    strategy = _check_strategy(geometry, strategy)
    if geometry.output_shape[0] == 0:
        return OVERHEAD_BYTES
    geometry = as_2d(geometry)
    return _plan_bytes(geometry, strategy, tile_plan(geometry, strategy, tile_positions)) + OVERHEAD_BYTES


def direct_convolve(args: ConvArguments, strategy: str = "auto", tile_positions: int | None = None) -> np.ndarray:
    """The direct method on validated 1D, 2D or 3D arguments; see `conv2d_direct` and `convbook.conv3d`.

    Parameters
    ----------
    args : ConvArguments
        From `convbook.arguments.prepare_conv`.
    strategy : {"auto", "im2col", "per_tap", "elementwise"}, default "auto"
        For 3D arguments, the strategy of the 2D convolutions the depth slices are stacked into.
    tile_positions : int, optional

    Returns
    -------
    ndarray, shape args.output_shape
    """
    if args.geometry.rank == 3:
        return _direct_3d(args, strategy, tile_positions)
    output_shape = args.output_shape
    strategy = _check_strategy(args.geometry, strategy)
    args = as_2d(args)
    y = np.empty(args.output_shape, dtype=args.dtype)
    _direct_2d(args, strategy, tile_positions, y)
    return y.reshape(output_shape)


def _direct_2d(args: ConvArguments, strategy: str, tile_positions: int | None, y: np.ndarray) -> None:
    """The direct method on validated 2D arguments and a resolved strategy, written into ``y``."""
    x, kernel, groups = args.x, args.kernel, args.groups
    batch, c_in = x.shape[0], x.shape[-1]
    kh, kw, c_in_g, c_out = kernel.shape
    c_out_g = c_out // groups
    sh, sw = args.strides
    (top, _), (left, _) = args.pads
    extent_h, extent_w = args.geometry.extents
    _, out_rows, out_cols, _ = args.output_shape
    if batch == 0:
        return

    n_images, n_rows, n_cols = tile_plan(args.geometry, strategy, tile_positions)
    patch_rows, patch_cols = (n_rows - 1) * sh + extent_h, (n_cols - 1) * sw + extent_w
    patch_buffer = np.empty(n_images * patch_rows * patch_cols * c_in, dtype=args.dtype)
    # One BLAS for every product of the call (SciPy's, which can add into its output), or NumPy's matmul.
    gemm = _accumulating_gemm(args.dtype) if groups == 1 else None
    # The kernel is only ever viewed, never copied: its copies would count against the workspace.
    if strategy == "im2col":
        # weights[g]: the group's kernel as one (kh * kw * c_in_g, c_out_g) matrix.
        weights = kernel.reshape(kh * kw * c_in_g, groups, c_out_g).transpose(1, 0, 2)
        buffers = [np.empty(n_images * n_rows * n_cols * kh * kw * c_in, dtype=args.dtype)]
    elif strategy == "per_tap":
        # weights[p, q, g]: the (c_in_g, c_out_g) matrix of tap (p, q) in group g.
        weights = kernel.reshape(kh, kw, c_in_g, groups, c_out_g).transpose(0, 1, 3, 2, 4)
        positions = n_images * patch_rows * patch_cols
        # The sums, and (without an accumulating BLAS) each product before it is added to them.
        buffers = [np.empty(positions * c_out, dtype=args.dtype) for _ in range(1 if gemm else 2)]
    else:
        weights = kernel
        buffers = [np.empty(n_images * n_rows * n_cols * c_out, dtype=args.dtype)]
    compute_tile = {"im2col": _im2col_tile, "per_tap": _per_tap_tile, "elementwise": _elementwise_tile}[strategy]

    for b0 in range(0, batch, n_images):
        images = slice(b0, min(b0 + n_images, batch))
        for i0 in range(0, out_rows, n_rows):
            i1 = min(i0 + n_rows, out_rows)
            for j0 in range(0, out_cols, n_cols):
                j1 = min(j0 + n_cols, out_cols)
                patch = _input_patch(
                    x,
                    images,
                    i0 * sh - top,
                    (i1 - i0 - 1) * sh + extent_h,
                    j0 * sw - left,
                    (j1 - j0 - 1) * sw + extent_w,
                    patch_buffer,
                    contiguous=strategy == "per_tap",
                    padding_mode=args.padding_mode,
                )
                compute_tile(patch, y[images, i0:i1, j0:j1], weights, args, buffers, gemm)


# 3D: a 2D convolution whose channels are the depth slices each output depth reads.


def _stacked_geometry(geometry: ConvGeometry, pairs: int) -> ConvGeometry:
    """The 2D convolution `_direct_3d` runs on ``pairs`` (image, output depth) pairs of a 3D geometry.

    Its images are the pairs; its input channels, per group, the ``kd`` depth slices each
    pair's window reads, ``kd * c_in_g`` of them in the order (group, tap, channel).
    """
    _, _, rows, cols, c_in = geometry.input_shape
    kd, kh, kw, c_in_g, c_out = geometry.kernel_shape
    _, _, out_rows, out_cols, _ = geometry.output_shape
    return ConvGeometry(
        input_shape=(pairs, rows, cols, kd * c_in),
        kernel_shape=(kh, kw, kd * c_in_g, c_out),
        strides=geometry.strides[1:],
        dilation_rate=geometry.dilation_rate[1:],
        pads=geometry.pads[1:],
        groups=geometry.groups,
        output_shape=(pairs, out_rows, out_cols, c_out),
        dtype=geometry.dtype,
        padding_mode=geometry.padding_mode,
    )


def _depth_bytes(geometry: ConvGeometry, strategy: str, tile_positions: int | None, pairs: int) -> int:
    """Bytes `_direct_3d` allocates besides the output with chunks of ``pairs`` (image, output depth) pairs.

    The stacked depth slices of one chunk, the kernel rearranged for them, and the larger workspace of
    the 2D calls on a full chunk and on the last, smaller one; the bookkeeping of both levels.
    """
    batch, out_depth = geometry.output_shape[:2]
    _, _, rows, cols, c_in = geometry.input_shape
    itemsize = geometry.dtype.itemsize
    kd = geometry.kernel_shape[0]
    total = batch * out_depth
    calls = [pairs] + ([total % pairs] if total % pairs else [])
    chunk = 0
    for n in calls:
        stacked = _stacked_geometry(geometry, n)
        chunk = max(chunk, _plan_bytes(stacked, strategy, tile_plan(stacked, strategy, tile_positions)))
    stacked_bytes = pairs * rows * cols * kd * c_in * itemsize
    kernel_bytes = math.prod(geometry.kernel_shape) * itemsize
    return stacked_bytes + kernel_bytes + chunk + 2 * OVERHEAD_BYTES


def _band_geometry(geometry: ConvGeometry, band_rows: int, band_cols: int) -> ConvGeometry:
    """The 2D convolution `_direct_3d` runs on one band of one (image, output depth) pair.

    Its one image is the ``kd`` depth slices, stacked along the channels, of just the input rows and
    columns that ``band_rows`` x ``band_cols`` output positions read, gathered with their padding
    (`padded_index`), so that the 2D call pads nothing.
    """
    c_in = geometry.input_shape[-1]
    kd, kh, kw, c_in_g, c_out = geometry.kernel_shape
    (_, sh, sw), (_, extent_h, extent_w) = geometry.strides, geometry.extents
    return ConvGeometry(
        input_shape=(1, (band_rows - 1) * sh + extent_h, (band_cols - 1) * sw + extent_w, kd * c_in),
        kernel_shape=(kh, kw, kd * c_in_g, c_out),
        strides=geometry.strides[1:],
        dilation_rate=geometry.dilation_rate[1:],
        pads=((0, 0), (0, 0)),
        groups=geometry.groups,
        output_shape=(1, band_rows, band_cols, c_out),
        dtype=geometry.dtype,
        padding_mode="zeros",
    )


def _band_bytes(geometry: ConvGeometry, strategy: str, tile_positions: int | None, band: tuple[int, int]) -> int:
    """Bytes `_direct_3d` allocates besides the output when it cuts each pair into bands of output positions.

    One band's stacked slices, one slice of it gathered before it is copied into the stack, the
    kernel rearranged, and the largest workspace of the 2D calls on a full band and on the last,
    smaller ones; the bookkeeping of both levels.
    """
    band_rows, band_cols = band
    out_rows, out_cols = geometry.output_shape[2:4]
    kd = geometry.kernel_shape[0]
    itemsize = geometry.dtype.itemsize
    sizes = {
        (rows, cols)
        for rows in (band_rows, out_rows % band_rows or band_rows)
        for cols in (band_cols, out_cols % band_cols or band_cols)
    }
    chunk = 0
    for rows, cols in sizes:
        stacked = _band_geometry(geometry, rows, cols)
        chunk = max(chunk, _plan_bytes(stacked, strategy, tile_plan(stacked, strategy, tile_positions)))
    stacked_bytes = math.prod(_band_geometry(geometry, band_rows, band_cols).input_shape) * itemsize
    kernel_bytes = math.prod(geometry.kernel_shape) * itemsize
    return stacked_bytes + stacked_bytes // kd + kernel_bytes + chunk + 2 * OVERHEAD_BYTES


def _depth_plan(
    geometry: ConvGeometry, strategy: str, tile_positions: int | None
) -> tuple[int, tuple[int, int] | None]:
    """How `_direct_3d` cuts its work: (image, output depth) pairs per chunk, and output rows and columns per band.

    Chunks of whole pairs whose stacked slices take about `TILE_BYTES`, halved until the workspace
    (`_depth_bytes`) fits in `WORKSPACE_BYTES`. If one pair alone does not fit, each pair is cut
    into bands of output rows, halved down to one row, then each row into bands of columns, down to
    one output position (`_band_bytes`): the floor is one output position's buffers, as in 2D.
    Returns ``(pairs, band)``: ``band`` is None for whole pairs, else ``(band_rows, band_cols)`` with
    ``pairs`` 1.
    """
    batch, out_depth, out_rows, out_cols, _ = geometry.output_shape
    _, _, rows, cols, c_in = geometry.input_shape
    per_pair = rows * cols * geometry.kernel_shape[0] * c_in * geometry.dtype.itemsize
    pairs = max(1, min(batch * out_depth, TILE_BYTES // max(per_pair, 1)))
    while pairs > 1 and _depth_bytes(geometry, strategy, tile_positions, pairs) > WORKSPACE_BYTES:
        pairs //= 2
    if pairs > 1 or _depth_bytes(geometry, strategy, tile_positions, 1) <= WORKSPACE_BYTES:
        return pairs, None
    band_rows, band_cols = out_rows, out_cols
    while band_rows > 1 and _band_bytes(geometry, strategy, tile_positions, (band_rows, band_cols)) > WORKSPACE_BYTES:
        band_rows = (band_rows + 1) // 2
    while band_cols > 1 and _band_bytes(geometry, strategy, tile_positions, (band_rows, band_cols)) > WORKSPACE_BYTES:
        band_cols = (band_cols + 1) // 2
    return 1, (band_rows, band_cols)


def _plan_3d_bytes(geometry: ConvGeometry, strategy: str, tile_positions: int | None) -> int:
    """`workspace_bytes` of a 3D geometry with at least one pair: the bytes of `_depth_plan`'s plan."""
    pairs, band = _depth_plan(geometry, strategy, tile_positions)
    if band is None:
        return _depth_bytes(geometry, strategy, tile_positions, pairs)
    return _band_bytes(geometry, strategy, tile_positions, band)


def _direct_3d(args: ConvArguments, strategy: str, tile_positions: int | None) -> np.ndarray:
    """The direct method on validated 3D arguments: 2D convolutions of stacked depth slices.

    For output depth ``od``, kernel tap ``p`` along depth reads input depth
    ``od * sd + p * dd - front`` (`padded_index` says which slice, or zeros, in the padding).
    Those ``kd`` slices, stacked along the channels in the order (group, tap, channel), form one
    image of a 2D convolution with the kernel rearranged to ``(kh, kw, kd * c_in_g, c_out)``,
    which keeps ``groups``; chunks of (image, output depth) pairs are its batch, and each chunk's
    result is written straight into the output.
    """
    geometry = args.geometry
    batch, depth, rows, cols, c_in = args.x.shape
    kd, kh, kw, c_in_g, c_out = args.kernel.shape
    groups = args.groups
    _, out_depth, out_rows, out_cols, _ = args.output_shape
    strategy = _check_strategy(_stacked_geometry(geometry, 1), strategy)
    y = np.empty(args.output_shape, dtype=args.dtype)
    total = batch * out_depth
    if total == 0:
        return y
    pairs, band = _depth_plan(geometry, strategy, tile_positions)
    # kernel2d[q, r, p * c_in_g + c, o] = kernel[p, q, r, c, o]: taps along depth become input channels.
    kernel_2d = np.ascontiguousarray(args.kernel.transpose(1, 2, 0, 3, 4)).reshape(kh, kw, kd * c_in_g, c_out)
    if band is not None:  # one pair's slices exceed the budget: cut it into bands
        _direct_3d_bands(args, strategy, tile_positions, kernel_2d, band, y)
        return y
    stacked = np.empty((pairs, rows, cols, groups, kd, c_in_g), dtype=args.dtype)
    x = args.x.reshape(batch, depth, rows, cols, groups, c_in_g)
    y_pairs = y.reshape(total, out_rows, out_cols, c_out)  # a view: row f is image f // out_depth, depth f % out_depth
    sd, dd = geometry.strides[0], geometry.dilation_rate[0]
    front = geometry.pads[0][0]
    for f0 in range(0, total, pairs):
        f1 = min(f0 + pairs, total)
        for i, f in enumerate(range(f0, f1)):
            b, od = divmod(f, out_depth)
            sources = padded_index(od * sd + np.arange(kd) * dd - front, depth, args.padding_mode)
            for p, source in enumerate(sources):
                if source < 0:
                    stacked[i, :, :, :, p] = 0
                else:
                    stacked[i, :, :, :, p] = x[b, source]
        n = f1 - f0
        chunk = ConvArguments(
            x=stacked[:n].reshape(n, rows, cols, kd * c_in),
            kernel=kernel_2d,
            bias=args.bias,
            geometry=_stacked_geometry(geometry, n),
        )
        _direct_2d(chunk, strategy, tile_positions, y_pairs[f0:f1])
    return y


def _direct_3d_bands(
    args: ConvArguments,
    strategy: str,
    tile_positions: int | None,
    kernel_2d: np.ndarray,
    band: tuple[int, int],
    y: np.ndarray,
) -> None:
    """`_direct_3d` for pairs too large to stack whole: one band of output positions at a time.

    For each (image, output depth) pair and each band of ``band_rows`` x ``band_cols`` output
    positions, the input rows and columns the band reads are gathered from the ``kd`` depth slices
    with their padding (`padded_index`: a negative index is a zero) into one stacked image, and the
    2D engine convolves it without padding, writing into the band of ``y``. Bands narrower than a
    row are one row high (`_depth_plan`), so every band of ``y`` is contiguous.
    """
    geometry = args.geometry
    batch, depth, rows, cols, _ = args.x.shape
    kd, _, _, c_in_g, _ = args.kernel.shape
    groups, mode = args.groups, args.padding_mode
    _, out_depth, out_rows, out_cols, _ = args.output_shape
    (sd, sh, sw), (dd, _, _) = geometry.strides, geometry.dilation_rate
    _, extent_h, extent_w = geometry.extents
    (front, _), (top, _), (left, _) = geometry.pads
    band_rows, band_cols = band
    full = _band_geometry(geometry, band_rows, band_cols)
    buffer = np.empty(math.prod(full.input_shape), dtype=args.dtype)
    x = args.x.reshape(batch, depth, rows, cols, groups, c_in_g)
    for b, od in np.ndindex(batch, out_depth):
        sources = padded_index(od * sd + np.arange(kd) * dd - front, depth, mode)
        for i0 in range(0, out_rows, band_rows):
            i1 = min(i0 + band_rows, out_rows)
            row_index = padded_index(i0 * sh - top + np.arange((i1 - i0 - 1) * sh + extent_h), rows, mode)
            for j0 in range(0, out_cols, band_cols):
                j1 = min(j0 + band_cols, out_cols)
                col_index = padded_index(j0 * sw - left + np.arange((j1 - j0 - 1) * sw + extent_w), cols, mode)
                shape = (len(row_index), len(col_index), groups, kd, c_in_g)
                stacked = buffer[: math.prod(shape)].reshape(shape)
                for p, source in enumerate(sources):
                    if source < 0:
                        stacked[:, :, :, p] = 0
                        continue
                    rows_read, cols_read = np.maximum(row_index, 0), np.maximum(col_index, 0)
                    stacked[:, :, :, p] = x[b, source][rows_read[:, None], cols_read[None, :]]
                    stacked[row_index < 0, :, :, p] = 0
                    stacked[:, col_index < 0, :, p] = 0
                chunk = ConvArguments(
                    x=stacked.reshape(1, shape[0], shape[1], -1),
                    kernel=kernel_2d,
                    bias=args.bias,
                    geometry=_band_geometry(geometry, i1 - i0, j1 - j0),
                )
                _direct_2d(chunk, strategy, tile_positions, y[b : b + 1, od, i0:i1, j0:j1])


def _axis_runs(start: int, length: int, size: int, padding_mode: str) -> list[tuple[slice, slice | None]]:
    """Positions ``start : start + length`` of a padded axis as runs that slices of the input fill.

    Each run is ``(target, source)``: positions ``target`` of the patch read the input's
    positions ``source`` (a slice stepping by 1 or -1, or one position broadcast over the
    run), or hold zeros if ``source`` is None. A patch inside the input is one run; every
    padded side adds at most one run per wrap or reflection (`padded_index`).
    """
    index = padded_index(np.arange(start, start + length), size, padding_mode)
    runs: list[tuple[slice, slice | None]] = []
    begin = 0
    while begin < length:
        first, end = int(index[begin]), begin + 1
        if first < 0:
            while end < length and index[end] < 0:
                end += 1
            runs.append((slice(begin, end), None))
        else:
            step = int(index[end] - first) if end < length and index[end] >= 0 else 1
            if step not in (-1, 0, 1):
                step = 1
            while end < length and index[end] >= 0 and index[end] - index[end - 1] == step:
                end += 1
            if step == 0:
                source = slice(first, first + 1)  # one position, broadcast over the run
            elif step == 1:
                source = slice(first, first + end - begin)
            else:
                stop = first - (end - begin)
                source = slice(first, None if stop < 0 else stop, -1)
            runs.append((slice(begin, end), source))
        begin = end
    return runs


def _input_patch(
    x: np.ndarray,
    images: slice,
    row: int,
    n_rows: int,
    col: int,
    n_cols: int,
    buffer: np.ndarray,
    *,
    contiguous: bool,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Rows ``row : row + n_rows`` and columns ``col : col + n_cols`` of ``x[images]``, padded outside ``x``.

    Coordinates are those of ``x`` itself, so negative ones and ones past the end
    are the padding, which holds what ``padding_mode`` says. A view of ``x`` when the
    patch lies inside it (and is contiguous, if asked); otherwise a copy into ``buffer``,
    filled by a few slice assignments (`_axis_runs`): the only padding the direct path
    ever does.
    """
    _, rows, cols, channels = x.shape
    if row >= 0 and col >= 0 and row + n_rows <= rows and col + n_cols <= cols:
        view = x[images, row : row + n_rows, col : col + n_cols]
        if not contiguous or view.flags.c_contiguous:
            return view
    source = x[images]
    patch = buffer[: len(source) * n_rows * n_cols * channels].reshape(len(source), n_rows, n_cols, channels)
    col_runs = _axis_runs(col, n_cols, cols, padding_mode)
    for target_rows, source_rows in _axis_runs(row, n_rows, rows, padding_mode):
        for target_cols, source_cols in col_runs:
            target = patch[:, target_rows, target_cols]
            if source_rows is None or source_cols is None:
                target[...] = 0
            else:
                target[...] = source[:, source_rows, source_cols]
    return patch


def _positions(tile: np.ndarray) -> np.ndarray:
    """A tile of the output, ``(images, rows, cols, c_out)``, as a ``(positions, c_out)`` view of it."""
    # copy=False raises rather than copy: results must land in the output itself.
    return np.reshape(tile, (-1, tile.shape[-1]), copy=False)


def _im2col_tile(
    patch: np.ndarray,
    tile: np.ndarray,
    weights: np.ndarray,
    args: ConvArguments,
    buffers: list[np.ndarray],
    gemm: Gemm | None,
) -> None:
    """One tile by im2col: copy its windows into a reused block, one matrix product per group into ``tile``."""
    groups, taps_and_channels, c_out_g = weights.shape
    kh, kw, c_in_g, _ = args.kernel.shape
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    extents = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = sliding_window_view(patch, extents, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    # view: (images, rows, cols, c_in, kh, kw) -> (groups, images, rows, cols, kh, kw, c_in_g), still a view.
    view = view.reshape(*view.shape[:3], groups, c_in_g, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4)
    block = buffers[0][: view.size].reshape(view.shape)
    np.copyto(block, view)
    out = _positions(tile)
    n_positions = out.shape[0]
    if gemm is not None:  # one group
        gemm(block.reshape(n_positions, taps_and_channels), weights[0], out, True)
    else:
        np.matmul(
            block.reshape(groups, n_positions, taps_and_channels),
            weights,
            out=out.reshape(n_positions, groups, c_out_g).transpose(1, 0, 2),
        )
    if args.bias is not None:
        out += args.bias


def _elementwise_tile(
    patch: np.ndarray,
    tile: np.ndarray,
    kernel: np.ndarray,
    args: ConvArguments,
    buffers: list[np.ndarray],
    gemm: Gemm | None,
) -> None:
    """One tile of a convolution with one input channel per group (single-channel images, depthwise).

    With ``c_in_g == 1`` every tap is a multiply-add of a shifted slice of the
    patch by the tap's weights, broadcast over the filters of each group: no
    copy and no matrix product, whose single term per tap would waste it.
    """
    kh, kw, _, c_out = kernel.shape
    groups = args.groups
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    images, out_rows, out_cols, _ = tile.shape
    out = _positions(tile).reshape(images, out_rows, out_cols, groups, c_out // groups)
    product = buffers[0][: out.size].reshape(out.shape)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + (out_rows - 1) * sh + 1, sh)
            cols = slice(q * dw, q * dw + (out_cols - 1) * sw + 1, sw)
            taps = patch[:, rows, cols, :, None]  # (images, rows, cols, groups, 1)
            weights = kernel[p, q, 0].reshape(groups, c_out // groups)
            if p == 0 and q == 0:
                np.multiply(taps, weights, out=out)
            else:
                np.multiply(taps, weights, out=product)
                out += product
    if args.bias is not None:
        out += args.bias.reshape(groups, c_out // groups)


def _accumulating_gemm(dtype: np.dtype) -> Gemm | None:
    """``gemm(a, w, out, first)``: ``out = a @ w`` if ``first`` else ``out += a @ w``, in place, by BLAS.

    BLAS's ``gemm`` computes ``C = alpha A B + beta C``; with ``beta = 1`` it
    adds the product into ``C`` without a temporary. NumPy's ``matmul`` always
    uses ``beta = 0``, so this comes from SciPy's BLAS wrappers, which work in
    place on Fortran-ordered arrays: ``out.T += w.T @ a.T`` is the same sum
    with every operand a Fortran-ordered view. ``None`` for a dtype BLAS does
    not handle.
    """
    routine = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}.get(np.dtype(dtype))
    if routine is None:
        return None

    def gemm(a: np.ndarray, w: np.ndarray, out: np.ndarray, first: bool) -> None:
        c = out.T
        result = routine(1.0, w.T, a.T, beta=0.0 if first else 1.0, c=c, overwrite_c=True)
        if result is not c:  # SciPy worked on a copy (``out`` was not contiguous): write the result back
            c[...] = result

    return gemm


def _per_tap_tile(
    patch: np.ndarray,
    tile: np.ndarray,
    tap_weights: np.ndarray,
    args: ConvArguments,
    buffers: list[np.ndarray],
    gemm: Gemm | None,
) -> None:
    """One tile (stride 1) as ``kh * kw`` matrix products of shifted slices of the flattened patch.

    With the patch flattened to ``(positions, c_in)``, tap ``(p, q)`` meets, for
    the output at flat position ``f``, the input at ``f + p * dh * width + q * dw``:
    one contiguous slice per tap, multiplied by the tap's weights with no
    copy. Positions whose window runs off the end of a row are computed too and
    dropped when the tile is written out.
    """
    kh, kw, groups, c_in_g, c_out_g = tap_weights.shape
    dh, dw = args.dilation_rate
    images, rows, cols, c_in = patch.shape
    _, out_rows, out_cols, c_out = tile.shape
    flat = patch.reshape(-1, c_in)
    n_flat = flat.shape[0] - (kh - 1) * dh * cols - (kw - 1) * dw
    total = buffers[0][: flat.shape[0] * c_out].reshape(flat.shape[0], c_out)
    acc = total[:n_flat]
    for p in range(kh):
        for q in range(kw):
            first = p == 0 and q == 0
            a = flat[p * dh * cols + q * dw :][:n_flat]
            if gemm is not None:
                gemm(a, tap_weights[p, q, 0], acc, first)
                continue
            product = buffers[1][: n_flat * c_out].reshape(n_flat, c_out)
            target = acc if first else product
            np.matmul(
                a.reshape(n_flat, groups, c_in_g).transpose(1, 0, 2),
                tap_weights[p, q],
                out=target.reshape(n_flat, groups, c_out_g).transpose(1, 0, 2),
            )
            if not first:
                acc += product
    if args.bias is not None:
        acc += args.bias
    tile[...] = total.reshape(images, rows, cols, c_out)[:, :out_rows, :out_cols]


def conv2d_direct(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    strategy: str = "auto",
    tile_positions: int | None = None,
) -> np.ndarray:
    """`convbook.conv2d` by matrix products over cache-sized tiles of the output: ``method="direct"``.

    The output is cut into tiles of about ``tile_positions`` positions (whole
    images, bands of rows, or pieces of a row). For every tile the input patch
    it reads is gathered -- a view of ``x``, or a copy with the padding filled in
    as ``padding_mode`` says, so the input is never padded as a whole -- and the tile is
    computed straight into the output array by one of three strategies:

    ``"im2col"``
        Copy the tile's windows into a reused block (im2col, one row per
        position) and multiply by the kernel as one matrix: one large product
        per tile and group.
    ``"per_tap"``
        No copy: with the patch flattened to ``(positions, c_in)``, every
        kernel tap meets one contiguous slice of it, and the tile is the sum of
        ``kh * kw`` products of such slices with the tap's ``c_in x c_out``
        weights, accumulated in place by BLAS (``beta = 1``). Stride 1 only.
    ``"elementwise"``
        For one input channel per group (single-channel images, depthwise
        convolutions): every tap is a multiply-add of a shifted slice of the
        patch, broadcast over the group's filters. No copy, no matrix product.
    ``"auto"``
        The one `choose_strategy` predicts to be faster.

    Every buffer is sized by the tile, never by the batch, and the kernel is
    never copied, so the workspace is at most `workspace_bytes` -- within
    `WORKSPACE_BYTES` (48 MiB) whatever the batch size, and a few MiB for
    typical layers (`tile_plan`). Other arguments, result and errors are those
    of `convbook.conv2d`.

    Parameters
    ----------
    strategy : {"auto", "im2col", "per_tap", "elementwise"}, default "auto"
        As above.
    tile_positions : int, optional
        Output positions per tile; by default as many as make the tile's
        largest buffer about `TILE_BYTES` (2 MiB), the size of a core's L2
        cache (see `tile_plan`).

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_direct(x, np.ones((2, 2, 1, 1)), strategy="per_tap")[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    _check_tile_positions(tile_positions)
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=2,
        function="conv2d_direct",
        padding_mode=padding_mode,
    )
    return direct_convolve(args, strategy, tile_positions)
