"""Transposed convolution two more ways: a scatter loop, and zero insertion followed by a convolution.

`convbook.transposed.conv2d_transpose` computes Keras' ``Conv2DTranspose`` as the gradient of a
convolution with respect to its input. Chapter 8 derives the same numbers two other ways, both here:

``conv2d_transpose_loop``
    The scatter loop: every input value, times the kernel, is added into the output at an offset of
    ``stride`` positions per input position -- the definition, as explicit loops.
``conv2d_transpose_zero_insertion``
    ``stride - 1`` zeros are inserted between neighbouring input values (`insert_zeros`), the result is
    padded, and an ordinary `convbook.conv2d` with the flipped kernel does the rest.

Both take exactly the arguments of `convbook.transposed.conv2d_transpose` and give its results.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from ._arguments import as_real_array
from .transposed import prepare_transpose
from .vectorized import conv2d

__all__ = ["conv2d_transpose_loop", "conv2d_transpose_zero_insertion", "insert_zeros"]


def insert_zeros(x: ArrayLike, strides: int | Sequence[int]) -> np.ndarray:
    """Put ``stride - 1`` zeros between neighbouring values along every spatial axis.

    Parameters
    ----------
    x : array_like, shape (batch, *spatial, channels)
        Channels-last input with one or more spatial axes.
    strides : int or sequence of int
        One stride for every spatial axis, or one per axis.

    Returns
    -------
    ndarray, shape (batch, *((n - 1) * s + 1 for every spatial axis), channels)
        ``x``'s values at every ``s``-th position, zeros in between; an axis of length 0 stays empty.

    Raises
    ------
    ValueError
        If ``x`` has fewer than 3 axes, or ``strides`` has the wrong length or a value below 1.

    Examples
    --------
    >>> insert_zeros(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1), 2)[0, :, 0]
    array([1., 0., 2., 0., 3.])
    """
    x = as_real_array(x, "x")
    if x.ndim < 3:
        raise ValueError(f"x must have a batch axis, at least one spatial axis and a channel axis; got shape {x.shape}")
    rank = x.ndim - 2
    steps = shapes.normalize_tuple(strides, rank, "strides")
    spatial = tuple(max((n - 1) * s + 1, 0) for n, s in zip(x.shape[1:-1], steps, strict=True))
    y = np.zeros((x.shape[0], *spatial, x.shape[-1]), dtype=x.dtype)
    y[(slice(None), *(slice(None, None, s) for s in steps), slice(None))] = x
    return y


def conv2d_transpose_loop(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """`convbook.transposed.conv2d_transpose` as a scatter loop: every input value stamps the kernel.

    Input value ``x[b, i, j, c]`` is multiplied by the kernel slice ``kernel[:, :, :, c]`` and added into
    the output patch whose top-left corner is at row ``i * strides[0]``, column ``j * strides[1]``
    (taps ``dilation_rate`` apart). Patches overlap wherever the kernel is larger than the stride. The
    loop writes into the output *with* the forward convolution's padding, which is cut off at the end.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
    kernel : array_like, shape (kh, kw, filters, c_in)
        Keras' ``Conv2DTranspose.get_weights()[0]`` layout.
    bias : array_like, shape (filters,), optional
    strides : int or (int, int), default 1
        Distance between the patches that neighbouring input values write to.
    padding : {"valid", "same"}, default "valid"
        The padding of the forward convolution this is the gradient of:

        ``"valid"``
            nothing is cut off; the output has ``n * s + max(k_eff - s, 0)`` positions per axis;
        ``"same"``
            the forward convolution's ``"same"`` padding is cut off; ``n * s`` positions.
    output_padding : int or (int, int), optional
        Picks another output size the forward convolution maps back to ``n``; each below the stride.
    dilation_rate : int or (int, int), default 1
        Spacing between the kernel taps inside a patch.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, filters)
        Sizes from `convbook.shapes.transpose_output_size`.

    Raises
    ------
    ValueError
        Wrong number of axes, channels that do not match, padding other than valid/same, an
        ``output_padding`` not below the stride or not mapping back to ``x``'s shape, a bias of the
        wrong length.

    Examples
    --------
    Each input value stamps a copy of the kernel, ``stride`` apart:

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> conv2d_transpose_loop(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    args = prepare_transpose(
        x, kernel, bias, strides, padding, output_padding, dilation_rate, 2, "conv2d_transpose_loop"
    )
    x, kernel = args.x, args.kernel
    batch, rows, cols, c_in = x.shape
    kh, kw, filters, _ = kernel.shape
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    (top, bottom), (left, right) = args.pads
    out_rows, out_cols = args.out_spatial
    extent_h, extent_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    y = np.zeros((batch, top + out_rows + bottom, left + out_cols + right, filters), dtype=x.dtype)
    for b in range(batch):
        for i in range(rows):
            for j in range(cols):
                # The output patch that input position (i, j) writes to: top-left corner (i * sh, j * sw).
                patch_rows = slice(i * sh, i * sh + extent_h, dh)
                patch_cols = slice(j * sw, j * sw + extent_w, dw)
                for c in range(c_in):
                    y[b, patch_rows, patch_cols, :] += x[b, i, j, c] * kernel[:, :, :, c]  # stamp the kernel
    y = y[:, top : top + out_rows, left : left + out_cols]  # cut off the forward convolution's padding
    if args.bias is not None:
        y = y + args.bias
    return y


def conv2d_transpose_zero_insertion(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """`convbook.transposed.conv2d_transpose` as zero insertion, padding and an ordinary convolution.

    Along every axis, with ``n`` input positions, stride ``s``, dilated kernel extent ``k_eff``, output
    size ``L`` and the forward convolution's padding ``(before, after)`` of ``L``:

    1. insert ``s - 1`` zeros between neighbouring input values (`insert_zeros`): ``(n - 1) * s + 1``
       positions;
    2. pad with ``k_eff - 1 - before`` zeros in front and ``k_eff - 1 - after + r`` behind, where
       ``r = L + before + after - ((n - 1) * s + k_eff)`` counts the forward input positions that no
       window reached (``output_padding`` makes them);
    3. correlate with the kernel flipped in both spatial axes and with its channel axes swapped,
       ``kernel[::-1, ::-1].transpose(0, 1, 3, 2)``, stride 1, using `convbook.conv2d`.

    Parameters and result are those of `conv2d_transpose_loop`.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> conv2d_transpose_zero_insertion(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    args = prepare_transpose(
        x, kernel, bias, strides, padding, output_padding, dilation_rate, 2, "conv2d_transpose_zero_insertion"
    )
    kernel_size = args.kernel.shape[:2]
    pads = []
    for n, k, s, d, length, (before, after) in zip(
        args.x.shape[1:3], kernel_size, args.strides, args.dilation_rate, args.out_spatial, args.pads, strict=True
    ):
        extent = shapes.effective_kernel_size(k, d)
        unreached = length + before + after - ((n - 1) * s + extent)
        pads.append((extent - 1 - before, extent - 1 - after + unreached))
    dilated = insert_zeros(args.x, args.strides)
    flipped = args.kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, c_in, filters), taps reversed
    return conv2d(dilated, flipped, args.bias, padding=pads, dilation_rate=args.dilation_rate)
