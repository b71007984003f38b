"""Chapter 5's vectorizations of the loop: sliding windows and einsum, im2col, products per tap.

These are the methods that teach how a convolution becomes matrix products; each is written to be
read, and builds temporaries as large as the batch needs. The production path, with a bounded
workspace, is `convbook.direct`; `convbook.conv2d` chooses between them.

``windows``
    Every window the kernel visits, as a strided *view* of the padded input
    (`numpy.lib.stride_tricks.sliding_window_view`, no copy).
``einsum_convolve``
    ``conv2d(..., method="einsum")``: the windows contracted with the kernel over taps and
    input channels in one `numpy.einsum`, which hands the contraction to a matrix product.
``im2col``, ``conv2d_im2col``
    Every window copied into a row of a matrix, and the convolution as one matrix product.
``conv2d_per_tap``
    A sum of ``kh * kw`` matrix products, one per kernel tap, with no im2col copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from .arguments import ConvArguments, as_real_array, pad_input, prepare_conv
from .shapes import Padding, normalize_tuple

__all__ = ["conv2d_im2col", "conv2d_per_tap", "einsum_convolve", "im2col", "windows"]


def windows(args: ConvArguments) -> np.ndarray:
    """Every window the kernel visits, as a view of the padded input.

    Parameters
    ----------
    args : ConvArguments
        Validated arguments from `convbook.arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape (batch, *out_spatial, c_in, *kernel_size)
        ``windows[b, i, j, c, p, q] == x_padded[b, i*sh + p*dh, j*sw + q*dw, c]``
        (2D shown), with ``x_padded`` padded as ``args.padding_mode`` says. A view where
        possible: only the padding copies the input.
    """
    rank = args.x.ndim - 2
    spatial_axes = tuple(range(1, rank + 1))
    x_padded = pad_input(args.x, args.pads, args.padding_mode)
    kernel_size = args.kernel.shape[:rank]
    extents = tuple((k - 1) * d + 1 for k, d in zip(kernel_size, args.dilation_rate, strict=True))
    view = sliding_window_view(x_padded, extents, axis=spatial_axes)
    # view: (batch, *positions, c_in, *extents); keep every s-th position and every d-th tap.
    position_steps = tuple(slice(None, None, s) for s in args.strides)
    tap_steps = tuple(slice(None, None, d) for d in args.dilation_rate)
    return view[(slice(None), *position_steps, slice(None), *tap_steps)]


def einsum_convolve(args: ConvArguments) -> np.ndarray:
    """``conv2d(..., method="einsum")`` on validated 1D, 2D or 3D arguments: every window contracted in one einsum.

    Parameters
    ----------
    args : ConvArguments
        From `convbook.arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape args.output_shape
    """
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


def _im2col(args: ConvArguments) -> np.ndarray:
    """`im2col` from validated arguments."""
    rank = args.x.ndim - 2
    patches = windows(args)  # (batch, *out_spatial, c_in, *taps)
    channel_last = (*range(rank + 1), *range(rank + 2, 2 * rank + 2), rank + 1)
    patches = patches.transpose(channel_last)  # (batch, *out_spatial, *taps, c_in)
    n_rows = int(np.prod(patches.shape[: rank + 1]))
    n_columns = int(np.prod(patches.shape[rank + 1 :]))
    return np.reshape(patches, (n_rows, n_columns), copy=True)  # a copy, even where a view would do


def im2col(
    x: ArrayLike,
    kernel_size: int | Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """The im2col matrix: one row per output position, one column per kernel tap and channel.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in), (batch, steps, c_in) or (batch, depth, rows, cols, c_in)
        Input, channels last; 1D, 2D or 3D.
    kernel_size : int or tuple of int
        Taps per spatial axis, ``(kh, kw)``, ``(k,)`` or ``(kd, kh, kw)``.
    strides, padding, dilation_rate, padding_mode
        As in `convbook.conv2d` (or `convbook.conv1d`, `convbook.conv3d` for 1D, 3D input).

    Returns
    -------
    ndarray, shape (batch * prod(out_spatial), prod(kernel_size) * c_in)
        In 2D, ``(batch * out_rows * out_cols, kh * kw * c_in)``.
        Row ``r`` is the window of output position ``r`` (batch-major, then
        row-major over positions), flattened tap by tap with the channels
        innermost -- the order of ``kernel.reshape(-1, c_out)``, so that
        ``im2col(x, ...) @ kernel.reshape(-1, c_out)`` is the convolution.
        Unlike `windows`, this is a copy, about ``prod(kernel_size) / prod(strides)``
        times the input.

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
    if rank not in (1, 2, 3):
        raise ValueError(
            "x must have 3 axes (batch, steps, channels), 4 (batch, rows, cols, channels) "
            f"or 5 (batch, depth, rows, cols, channels); got shape {x.shape}"
        )
    taps = normalize_tuple(kernel_size, rank, "kernel_size")
    kernel = np.broadcast_to(np.zeros(1, dtype=np.result_type(x.dtype, np.float32)), (*taps, x.shape[-1], 1))
    args = prepare_conv(
        x, kernel, None, strides, padding, dilation_rate, 1, rank=rank, function="im2col", padding_mode=padding_mode
    )
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
    padding_mode: str = "zeros",
) -> np.ndarray:
    """`convbook.conv2d` as im2col and one matrix product per group.

    Every window is copied into a row of a matrix (`im2col`), and the
    convolution becomes ``columns @ kernel.reshape(-1, c_out)``: the method
    Caffe made famous, and the one chapter 5 builds step by step. Arguments,
    result and errors are those of `convbook.conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_im2col(x, np.ones((2, 2, 1, 1)))[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=2,
        function="conv2d_im2col",
        padding_mode=padding_mode,
    )
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
    padding_mode: str = "zeros",
) -> np.ndarray:
    """`convbook.conv2d` as a sum of ``kh * kw`` shifted matrix products, one per kernel tap.

    For tap ``(p, q)``, the input pixels it meets at every output position
    form one strided slice of the padded input; multiplying that slice by
    ``kernel[p, q]`` (a ``c_in x c_out`` matrix) and summing over taps gives
    the convolution with no im2col copy. Arguments, result and errors are
    those of `convbook.conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_per_tap(x, np.ones((2, 2, 1, 1)))[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=2,
        function="conv2d_per_tap",
        padding_mode=padding_mode,
    )
    x_padded = pad_input(args.x, args.pads, args.padding_mode)
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
