"""Convolution in NumPy without Python loops over positions.

The input is zero-padded, every window the kernel visits is exposed at once
as a strided *view* (`numpy.lib.stride_tricks.sliding_window_view`, no copy),
strides and dilation become slices of that view, and one `numpy.einsum`
contracts windows with the kernel over taps and input channels. With one
group, `einsum` hands the contraction to a matrix product (BLAS): the
im2col idea of chapter 5.

`conv2d` and `conv1d` choose how to compute (their ``method`` argument):
the ``einsum`` above, which chapter 5 teaches; a ``direct`` path that does
the same arithmetic in cache-sized tiles, each an im2col block or a sum of
per-tap products written straight into the output, with a bounded
workspace (chapter 9); or an FFT (`convbook.fft`) for large kernels.
`conv2d_im2col` and `conv2d_per_tap` are chapter 5's two methods in their
plainest form, one matrix product for the whole batch or one per tap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from . import shapes
from ._arguments import ConvArguments, as_real_array, prepare_conv
from .shapes import Padding, normalize_tuple

__all__ = [
    "METHODS",
    "conv1d",
    "conv2d",
    "conv2d_direct",
    "conv2d_im2col",
    "conv2d_per_tap",
    "im2col",
    "tile_plan",
    "windows",
]

#: The values of ``method`` that `conv2d` and `conv1d` accept.
METHODS = ("auto", "direct", "fft", "einsum")

#: Strategies of the direct path (`conv2d_direct`).
DIRECT_STRATEGIES = ("auto", "im2col", "per_tap", "elementwise")

#: Target size in bytes of one tile's largest buffer: about a core's L2 cache.
TILE_BYTES = 2 * 2**20

#: Upper bound in bytes on the direct path's workspace (every buffer it allocates besides the output).
WORKSPACE_BYTES = 48 * 2**20

#: ``gemm(a, w, out, first)``: ``out = a @ w`` if ``first``, else ``out += a @ w`` (see `_accumulating_gemm`).
Gemm = Callable[[np.ndarray, np.ndarray, np.ndarray, bool], None]


def windows(args: ConvArguments) -> np.ndarray:
    """Every window the kernel visits, as a view of the padded input.

    Parameters
    ----------
    args : ConvArguments
        Validated arguments from `convbook._arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape (batch, *out_spatial, c_in, *kernel_size)
        ``windows[b, i, j, c, p, q] == x_padded[b, i*sh + p*dh, j*sw + q*dw, c]``
        (2D shown). A view where possible: only the padding copies the input.
    """
    rank = args.x.ndim - 2
    spatial_axes = tuple(range(1, rank + 1))
    x_padded = np.pad(args.x, ((0, 0), *args.pads, (0, 0))) if any(map(any, args.pads)) else args.x
    kernel_size = args.kernel.shape[:rank]
    extents = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, args.dilation_rate, strict=True))
    view = sliding_window_view(x_padded, extents, axis=spatial_axes)
    # view: (batch, *positions, c_in, *extents); keep every s-th position and every d-th tap.
    position_steps = tuple(slice(None, None, s) for s in args.strides)
    tap_steps = tuple(slice(None, None, d) for d in args.dilation_rate)
    return view[(slice(None), *position_steps, slice(None), *tap_steps)]


def _convolve(args: ConvArguments) -> np.ndarray:
    """Contract the windows with the kernel; see `conv2d`."""
    rank = args.x.ndim - 2
    groups = args.groups
    patches = windows(args)
    batch, *out_spatial, c_in = patches.shape[: rank + 2]
    kernel_size = args.kernel.shape[:rank]
    c_out = args.kernel.shape[-1]
    # Split channels into groups: (..., groups, c_in_g, *taps) and (*taps, c_in_g, groups, c_out_g).
    patches = patches.reshape(batch, *out_spatial, groups, c_in // groups, *kernel_size)
    kernel = args.kernel.reshape(*kernel_size, c_in // groups, groups, c_out // groups)
    taps = "pqr"[:rank]
    positions = "ijk"[:rank]
    subscripts = f"b{positions}gc{taps},{taps}cgo->b{positions}go"
    y = np.einsum(subscripts, patches, kernel, optimize=True)
    y = y.reshape(args.output_shape)
    if args.bias is not None:
        y += args.bias
    return np.ascontiguousarray(y, dtype=args.dtype)


def _check_method(method: object) -> str:
    """``method`` if it is one of `METHODS`, else an error naming the argument."""
    expected = "one of " + ", ".join(repr(m) for m in METHODS)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, {expected}; got {method!r}")
    if method not in METHODS:
        raise ValueError(f"method must be {expected}; got {method!r}")
    return method


def _as_2d(args: ConvArguments) -> ConvArguments:
    """A 1D convolution as a 2D one whose images are a single row (no copy)."""
    if args.x.ndim == 4:
        return args
    return replace(
        args,
        x=args.x[:, None],
        kernel=args.kernel[None],
        strides=(1, *args.strides),
        dilation_rate=(1, *args.dilation_rate),
        pads=((0, 0), *args.pads),
        output_shape=(args.output_shape[0], 1, *args.output_shape[1:]),
    )


def _compute(args: ConvArguments, method: str) -> np.ndarray:
    """Run the chosen method on validated arguments (1D or 2D)."""
    if method == "auto":
        from .performance import choose_method

        method = choose_method(args)
    if method == "einsum":
        return _convolve(args)
    if method == "fft":
        from .fft import fft_convolve

        return fft_convolve(args)
    return _direct(args)


def tile_plan(args: ConvArguments, strategy: str, tile_positions: int | None = None) -> tuple[int, int, int]:
    """How `conv2d_direct` cuts the output: images, output rows and output columns per tile.

    A tile holds about ``tile_positions`` output positions: several whole images when
    images are small, a band of rows of one image, or part of one row (the last tile
    along each axis may be smaller). By default the count makes the tile's largest
    buffer about `TILE_BYTES` (per-tap tiles up to twice that, at most 4096
    positions), and it is never so large that the workspace would exceed
    `WORKSPACE_BYTES`.

    Parameters
    ----------
    args : ConvArguments
        Validated 2D arguments (`convbook.performance.layer_arguments` makes them from shapes).
    strategy : {"im2col", "per_tap", "elementwise"}
    tile_positions : int, optional

    Returns
    -------
    (int, int, int)

    Examples
    --------
    >>> from convbook.performance import layer_arguments
    >>> tile_plan(layer_arguments((8, 56, 56, 64), (3, 3, 64, 64), padding="same"), "per_tap")
    (1, 56, 56)
    """
    _, out_rows, out_cols, c_out = args.output_shape
    kh, kw = args.kernel.shape[:2]
    c_in = args.x.shape[-1]
    itemsize = args.x.dtype.itemsize
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    if strategy == "im2col":
        per_position = kh * kw * c_in * itemsize  # one row of the im2col block
    elif strategy == "per_tap":
        per_position = (c_out + c_in) * itemsize  # a row of the sums, a row of the input
    else:
        per_position = 2 * c_out * itemsize  # a row of the output, a row of products
    # The input patch a tile reads grows with the strides and the kernel's extent.
    halo = ((kh - 1) * dh + 1) * ((kw - 1) * dw + 1) * c_in * itemsize
    limit = (WORKSPACE_BYTES - halo) // (2 * per_position + sh * sw * c_in * itemsize)
    if tile_positions is None:
        if strategy == "per_tap":  # BLAS splits these tiles between the cores: up to twice the budget
            tile_positions = min(max(2 * TILE_BYTES // per_position, 256), 4096)
        else:
            tile_positions = max(TILE_BYTES // per_position, 256)
    positions = max(1, min(int(tile_positions), limit))
    per_image = out_rows * out_cols
    if per_image <= positions:
        return positions // per_image, out_rows, out_cols
    if out_cols <= positions:
        return 1, positions // out_cols, out_cols
    return 1, 1, positions


def _direct(args: ConvArguments, strategy: str = "auto", tile_positions: int | None = None) -> np.ndarray:
    """The direct path of `conv2d_direct`, on validated 1D or 2D arguments."""
    rank = args.x.ndim - 2
    output_shape = args.output_shape
    args = _as_2d(args)
    if strategy == "auto":
        from .performance import choose_strategy

        strategy = choose_strategy(args)
    if strategy == "per_tap" and args.strides != (1, 1):
        raise ValueError(f"strategy='per_tap' needs strides of 1; got strides={args.strides[2 - rank :]}")
    if strategy == "elementwise" and args.kernel.shape[-2] != 1:
        raise ValueError(
            "strategy='elementwise' needs one input channel per group (c_in // groups == 1); "
            f"got {args.kernel.shape[-2]}"
        )
    x, kernel, groups = args.x, args.kernel, args.groups
    batch, c_in = x.shape[0], x.shape[-1]
    kh, kw, c_in_g, c_out = kernel.shape
    c_out_g = c_out // groups
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    (top, _), (left, _) = args.pads
    extent_h, extent_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    _, out_rows, out_cols, _ = args.output_shape
    y = np.empty(args.output_shape, dtype=args.dtype)
    if batch == 0:
        return y.reshape(output_shape)

    n_images, n_rows, n_cols = tile_plan(args, strategy, tile_positions)
    patch_rows, patch_cols = (n_rows - 1) * sh + extent_h, (n_cols - 1) * sw + extent_w
    patch_buffer = np.empty(n_images * patch_rows * patch_cols * c_in, dtype=args.dtype)
    # One BLAS for every product of the call (SciPy's, which can add into its output), or NumPy's matmul.
    gemm = _accumulating_gemm(args.dtype) if groups == 1 else None
    if strategy == "im2col":
        # weights[g]: the group's kernel as one (kh * kw * c_in_g, c_out_g) matrix.
        weights = kernel.reshape(kh * kw * c_in_g, groups, c_out_g).transpose(1, 0, 2).copy()
        buffers = [np.empty(n_images * n_rows * n_cols * kh * kw * c_in, dtype=args.dtype)]
    elif strategy == "per_tap":
        # weights[p, q, g]: the (c_in_g, c_out_g) matrix of tap (p, q) in group g.
        weights = kernel.reshape(kh, kw, c_in_g, groups, c_out_g).transpose(0, 1, 3, 2, 4).copy()
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
                )
                compute_tile(patch, y[images, i0:i1, j0:j1], weights, args, buffers, gemm)
    return y.reshape(output_shape)


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
) -> np.ndarray:
    """Rows ``row : row + n_rows`` and columns ``col : col + n_cols`` of ``x[images]``, zero outside ``x``.

    Coordinates are those of ``x`` itself, so negative ones and ones past the end
    are the padding. A view of ``x`` when the patch lies inside it (and is
    contiguous, if asked); otherwise a copy into ``buffer``, the only padding
    the direct path ever does.
    """
    _, rows, cols, channels = x.shape
    if row >= 0 and col >= 0 and row + n_rows <= rows and col + n_cols <= cols:
        view = x[images, row : row + n_rows, col : col + n_cols]
        if not contiguous or view.flags.c_contiguous:
            return view
    source = x[images]
    patch = buffer[: len(source) * n_rows * n_cols * channels].reshape(len(source), n_rows, n_cols, channels)
    r0 = max(row, 0)
    r1 = max(min(row + n_rows, rows), r0)
    c0 = max(col, 0)
    c1 = max(min(col + n_cols, cols), c0)
    top, bottom, left, right = r0 - row, r1 - row, c0 - col, c1 - col
    patch[:, :top] = 0
    patch[:, bottom:] = 0
    patch[:, top:bottom, :left] = 0
    patch[:, top:bottom, right:] = 0
    patch[:, top:bottom, left:right] = source[:, r0:r1, c0:c1]
    return patch


def _positions(tile: np.ndarray) -> np.ndarray:
    """A tile of the output, ``(images, rows, cols, c_out)``, as a ``(positions, c_out)`` view."""
    matrix = tile.view()
    matrix.shape = (-1, tile.shape[-1])  # raises rather than copy: results must land in the output
    return matrix


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
    with every operand a Fortran-ordered view. ``None`` without SciPy or for a
    dtype BLAS does not handle.
    """
    try:
        from scipy.linalg import blas
    except ImportError:  # pragma: no cover - SciPy is in requirements.txt
        return None
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


def conv1d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    method: str = "auto",
) -> np.ndarray:
    """1D convolution (cross-correlation), vectorized; Keras ``Conv1D``'s forward pass.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in)
        Input sequences, channels last. Integer input is computed in float64.
    kernel : array_like, shape (k, c_in // groups, c_out)
        Weights in Keras' ``Conv1D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int,), default 1
        Step between neighbouring windows.
    padding : {"valid", "same", "causal", "full"}, int or (int, int), default "valid"
        ``"valid"``: no padding. ``"same"``: TensorFlow's rule, ``ceil(steps / s)``
        outputs, an odd total's extra zero at the end. ``"causal"``:
        ``(k - 1) * d`` zeros before, none after. ``"full"``: ``(k - 1) * d``
        zeros on both sides. An int pads both sides by that much; a pair
        gives ``(before, after)``. See `convbook.shapes.padding_amounts`.
    dilation_rate : int or (int,), default 1
        Spacing between kernel taps.
    groups : int, default 1
        Number of channel groups; must divide ``c_in`` and ``c_out``.
    method : {"auto", "direct", "fft", "einsum"}, default "auto"
        How to compute; every method gives the same numbers to rounding error.

        ``"auto"``
            ``"fft"`` where a cost model (`convbook.performance.choose_method`)
            predicts it to be at least twice as fast -- large kernels over
            few channels -- else ``"direct"``.
        ``"direct"``
            The 2D direct method (`conv2d_direct`) on the sequences as images
            one row high: cache-sized tiles written straight into the output,
            by im2col blocks, per-tap matrix products or elementwise
            multiply-adds, whichever suits the shape. Its workspace stays below
            `WORKSPACE_BYTES` whatever the batch size.
        ``"fft"``
            Products of Fourier transforms (`convbook.fft`): a cost that hardly
            grows with the kernel size. Strides are computed at stride 1 and
            subsampled, dilation becomes a kernel with zeros between its taps.
        ``"einsum"``
            Every window as a view, contracted with the kernel in one
            ``numpy.einsum``: chapter 5's method. Its temporaries grow with the
            batch.

    Returns
    -------
    ndarray, shape (batch, out_steps, c_out)
        Same floating dtype as the inputs (float32 stays float32).

    Raises
    ------
    TypeError
        Non-numeric arrays, non-integer strides, dilation or groups, a
        ``method`` that is not a string.
    ValueError
        Wrong number of axes, mismatched channels, a bias of the wrong
        length, non-positive strides or dilation, unknown padding, a kernel
        that does not fit the padded input, an unknown ``method``.

    See Also
    --------
    convbook.conv1d_loop : the definition as explicit loops.

    Examples
    --------
    >>> x = np.array([0, 1, 0, 1, 1, 0.0]).reshape(1, 6, 1)
    >>> kernel = np.array([0, 1.0]).reshape(2, 1, 1)
    >>> conv1d(x, kernel, padding="same")[0, :, 0]
    array([1., 0., 1., 1., 0., 0.])
    """
    method = _check_method(method)
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=1, function="conv1d")
    return _compute(args, method)


def conv2d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    method: str = "auto",
) -> np.ndarray:
    """2D convolution (cross-correlation), vectorized; Keras ``Conv2D``'s forward pass.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
        Input images, channels last. Integer input is computed in float64.
    kernel : array_like, shape (kh, kw, c_in // groups, c_out)
        Weights in Keras' ``Conv2D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int, int), default 1
        Step between neighbouring windows, ``(sh, sw)``.
    padding : {"valid", "same", "full"}, int or per-axis amounts, default "valid"
        ``"valid"``: no padding. ``"same"``: TensorFlow's rule, ``ceil(n / s)``
        outputs per axis, an odd total's extra zero at the bottom/right.
        ``"full"``: ``(k - 1) * d`` zeros on every side. An int pads every
        side by that much; ``((top, bottom), (left, right))`` gives each side
        (an int in place of a pair pads both sides of that axis). See
        `convbook.shapes.conv_padding`.
    dilation_rate : int or (int, int), default 1
        Spacing between kernel taps, ``(dh, dw)``.
    groups : int, default 1
        Number of channel groups; must divide ``c_in`` and ``c_out``.
    method : {"auto", "direct", "fft", "einsum"}, default "auto"
        How to compute; every method gives the same numbers to rounding error.

        ``"auto"``
            ``"fft"`` where a cost model (`convbook.performance.choose_method`)
            predicts it to be at least twice as fast -- large kernels over
            few channels -- else ``"direct"``.
        ``"direct"``
            Cache-sized tiles of the output computed straight into it, by
            im2col blocks, per-tap matrix products or elementwise multiply-adds,
            whichever suits the shape (`conv2d_direct`). Its workspace stays
            below `WORKSPACE_BYTES` whatever the batch size.
        ``"fft"``
            Products of Fourier transforms (`convbook.fft`): a cost that hardly
            grows with the kernel size. Strides are computed at stride 1 and
            subsampled, dilation becomes a kernel with zeros between its taps.
        ``"einsum"``
            Every window as a view, contracted with the kernel in one
            ``numpy.einsum``: chapter 5's method. Its temporaries grow with the
            batch.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_out)
        Same floating dtype as the inputs (float32 stays float32).

    Raises
    ------
    TypeError
        Non-numeric arrays, non-integer strides, dilation or groups, a
        ``method`` that is not a string.
    ValueError
        Wrong number of axes (an unbatched image: use ``x[None]``),
        mismatched channels, a bias of the wrong length, non-positive strides
        or dilation, unknown or causal padding, a kernel that does not fit the
        padded input, an unknown ``method``.

    See Also
    --------
    convbook.conv2d_loop : the definition as explicit loops.
    conv2d_direct : the direct method, with its strategy and tile size exposed.
    convbook.fft.conv2d_fft : the FFT method.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> conv2d(x, kernel)[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    method = _check_method(method)
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d")
    return _compute(args, method)


def conv2d_direct(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    strategy: str = "auto",
    tile_positions: int | None = None,
) -> np.ndarray:
    """`conv2d` by matrix products over cache-sized tiles of the output: ``method="direct"``.

    The output is cut into tiles of about ``tile_positions`` positions (whole
    images, bands of rows, or pieces of a row). For every tile the input patch
    it reads is gathered -- a view of ``x``, or a copy with zeros where the
    padding is, so the input is never padded as a whole -- and the tile is
    computed straight into the output array by one of two strategies:

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
        The one `convbook.performance.choose_strategy` predicts to be faster.

    Every buffer is sized by the tile, never by the batch, so the workspace is
    at most about `WORKSPACE_BYTES` (48 MiB) whatever the batch size; for
    typical layers it is a few MiB (`tile_plan`). Other arguments, result and
    errors are those of `conv2d`.

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
    if strategy not in DIRECT_STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(map(repr, DIRECT_STRATEGIES))}; got {strategy!r}")
    if tile_positions is not None and (not shapes._is_int(tile_positions) or tile_positions < 1):
        raise ValueError(f"tile_positions must be a positive int or None; got {tile_positions!r}")
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d_direct")
    return _direct(args, strategy, tile_positions)


def _im2col(args: ConvArguments) -> np.ndarray:
    """`im2col` from validated arguments."""
    rank = args.x.ndim - 2
    patches = windows(args)  # (batch, *out_spatial, c_in, *taps)
    channel_last = (*range(rank + 1), *range(rank + 2, 2 * rank + 2), rank + 1)
    patches = patches.transpose(channel_last)  # (batch, *out_spatial, *taps, c_in)
    n_rows = int(np.prod(patches.shape[: rank + 1]))
    n_columns = int(np.prod(patches.shape[rank + 1 :]))
    return patches.reshape(n_rows, n_columns)


def im2col(
    x: ArrayLike,
    kernel_size: int | Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """The im2col matrix: one row per output position, one column per kernel tap and channel.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in) or (batch, steps, c_in)
        Input, channels last; 1D or 2D.
    kernel_size : int or tuple of int
        Taps per spatial axis, ``(kh, kw)`` or ``(k,)``.
    strides, padding, dilation_rate
        As in `conv2d` (or `conv1d` for 1D input).

    Returns
    -------
    ndarray, shape (batch * out_rows * out_cols, kh * kw * c_in)
        Row ``r`` is the window of output position ``r`` (batch-major, then
        row-major over positions), flattened tap by tap with the channels
        innermost -- the order of ``kernel.reshape(-1, c_out)``, so that
        ``im2col(x, ...) @ kernel.reshape(-1, c_out)`` is the convolution.
        Unlike `windows`, this is a copy, about ``kh * kw`` times the input.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> im2col(x, 2)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    x = as_real_array(x, "x")
    rank = x.ndim - 2
    if rank not in (1, 2):
        raise ValueError(
            f"x must have 3 axes (batch, steps, channels) or 4 (batch, rows, cols, channels); got shape {x.shape}"
        )
    taps = normalize_tuple(kernel_size, rank, "kernel_size")
    kernel = np.broadcast_to(np.zeros(1, dtype=np.result_type(x.dtype, np.float32)), (*taps, x.shape[-1], 1))
    args = prepare_conv(x, kernel, None, strides, padding, dilation_rate, 1, rank=rank, function="im2col")
    return _im2col(args)


def conv2d_im2col(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """`conv2d` as im2col and one matrix product per group.

    Every window is copied into a row of a matrix (`im2col`), and the
    convolution becomes ``columns @ kernel.reshape(-1, c_out)``: the method
    Caffe made famous, and the one chapter 5 builds step by step. Arguments,
    result and errors are those of `conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_im2col(x, np.ones((2, 2, 1, 1)))[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d_im2col")
    kh, kw, c_in_g, c_out = args.kernel.shape
    c_out_g = c_out // args.groups
    y = np.empty((int(np.prod(args.output_shape[:3])), c_out), dtype=args.dtype)
    for g in range(args.groups):
        in_group = args.x[..., g * c_in_g : (g + 1) * c_in_g]
        columns = _im2col(replace(args, x=in_group))  # (positions, kh * kw * c_in_g)
        weights = args.kernel[..., g * c_out_g : (g + 1) * c_out_g].reshape(kh * kw * c_in_g, c_out_g)
        y[:, g * c_out_g : (g + 1) * c_out_g] = columns @ weights
    if args.bias is not None:
        y += args.bias
    return y.reshape(args.output_shape)


def conv2d_per_tap(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """`conv2d` as a sum of ``kh * kw`` shifted matrix products, one per kernel tap.

    For tap ``(p, q)``, the input pixels it meets at every output position
    form one strided slice of the padded input; multiplying that slice by
    ``kernel[p, q]`` (a ``c_in x c_out`` matrix) and summing over taps gives
    the convolution with no im2col copy. Arguments, result and errors are
    those of `conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_per_tap(x, np.ones((2, 2, 1, 1)))[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d_per_tap")
    x_padded = np.pad(args.x, ((0, 0), *args.pads, (0, 0)))
    _, out_rows, out_cols, c_out = args.output_shape
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    kh, kw, c_in_g, _ = args.kernel.shape
    c_out_g = c_out // args.groups
    y = np.zeros(args.output_shape, dtype=args.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + (out_rows - 1) * sh + 1, sh)
            cols = slice(q * dw, q * dw + (out_cols - 1) * sw + 1, sw)
            tap_input = x_padded[:, rows, cols, :]  # (batch, out_rows, out_cols, c_in)
            for g in range(args.groups):
                y[..., g * c_out_g : (g + 1) * c_out_g] += (
                    tap_input[..., g * c_in_g : (g + 1) * c_in_g]
                    @ args.kernel[p, q, :, g * c_out_g : (g + 1) * c_out_g]
                )
    if args.bias is not None:
        y += args.bias
    return y
