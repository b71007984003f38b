"""Transposed convolutions: Keras' ``Conv1DTranspose`` and ``Conv2DTranspose``, and chapter 8's two other ways.

A transposed convolution is the gradient of a convolution with respect to its input, used as a layer:
every input value is spread over a kernel-sized patch of the output, with patches ``stride`` apart
and overlapping where the kernel is larger than the stride. Its kernel has Keras' transposed layout
``(*kernel_size, filters, c_in)``, which is exactly the layout of the *forward* convolution it is the
gradient of (that convolution maps ``filters`` channels to ``c_in``), so no flip or transpose is needed.

``conv1d_transpose``, ``conv2d_transpose``
    Keras' layers, computed as the input gradient of the forward convolution (`convbook.backward`).
``conv2d_transpose_loop``
    The scatter loop: every input value, times the kernel, is added into the output at an offset of
    ``stride`` positions per input position -- the definition, as explicit loops.
``conv2d_transpose_zero_insertion``
    ``stride - 1`` zeros are inserted between neighbouring input values (`insert_zeros`), the result is
    padded, and an ordinary `convbook.conv2d` with the flipped kernel does the rest.

All take the same arguments, validated by `prepare_transpose`, and give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from .arguments import as_real_array, in_computation_dtype, prepare_conv
from .backward import input_gradient
from .conv import conv2d

__all__ = [
    "TransposeArguments",
    "conv1d_transpose",
    "conv2d_transpose",
    "conv2d_transpose_loop",
    "conv2d_transpose_zero_insertion",
    "insert_zeros",
    "prepare_transpose",
]


class TransposeArguments(NamedTuple):
    """Validated arguments of a transposed convolution, in the result's dtype.

    Attributes
    ----------
    x : ndarray, shape (batch, *spatial, c_in)
    kernel : ndarray, shape (*kernel_size, filters, c_in)
    bias : ndarray of shape (filters,), or None
    strides, dilation_rate : tuple of int, one per spatial axis
    out_spatial : tuple of int
        Spatial shape of the result (`convbook.shapes.transpose_output_size`).
    pads : tuple of (int, int)
        The forward convolution's padding of a result-shaped input, per axis.
    """

    x: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray | None
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    out_spatial: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]


def prepare_transpose(
    x: object,
    kernel: object,
    bias: object,
    strides: int | Sequence[int],
    padding: object,
    output_padding: int | Sequence[int] | None,
    dilation_rate: int | Sequence[int],
    rank: int,
    function: str,
) -> TransposeArguments:
    """Validate and normalize the arguments of a ``rank``-D transposed convolution.

    Raises `TypeError` or `ValueError` naming the argument at fault; see `conv2d_transpose`.
    """
    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    axes = "(batch, steps, channels)" if rank == 1 else "(batch, rows, cols, channels)"
    if x.ndim != rank + 2:
        hint = f"; for a single example add a batch axis: {function}(x[None], ...)" if x.ndim == rank + 1 else ""
        raise ValueError(f"x must have {rank + 2} axes {axes}; got shape {x.shape}{hint}")
    layout = "(k, filters, c_in)" if rank == 1 else "(kh, kw, filters, c_in)"
    if kernel.ndim != rank + 2:
        raise ValueError(f"kernel must have {rank + 2} axes {layout}; got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"kernel must not be empty; got shape {kernel.shape}")
    if kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"kernel has {kernel.shape[-1]} input channels (kernel.shape[-1], layout {layout}) but x has {x.shape[-1]}"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    padding = padding.lower()
    steps = shapes.normalize_tuple(strides, rank, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, rank, "dilation_rate")
    if output_padding is None or shapes._is_int(output_padding):
        extra = (output_padding,) * rank
    elif isinstance(output_padding, Sequence) and not isinstance(output_padding, str) and len(output_padding) == rank:
        extra = tuple(output_padding)
    else:
        raise ValueError(f"output_padding must be an int or {rank} ints; got {output_padding!r}")
    kernel_size = kernel.shape[:rank]
    out_spatial = tuple(
        shapes.transpose_output_size(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(x.shape[1:-1], kernel_size, steps, extra, dilation, strict=True)
    )
    # The forward convolution of a result-shaped input must give back x's shape.
    maps_back = shapes.conv_output_shape(out_spatial, kernel_size, steps, padding, dilation) if all(out_spatial) else ()
    if maps_back != x.shape[1:-1]:
        raise ValueError(
            f"output_padding={output_padding!r} gives an output of shape {out_spatial}, from which the forward "
            f"convolution makes {maps_back} positions, not x's {x.shape[1:-1]}; choose another output_padding"
        )
    if bias is not None:
        bias = as_real_array(bias, "bias")
        if bias.shape != (kernel.shape[-2],):
            raise ValueError(f"bias must have shape (filters,) = ({kernel.shape[-2]},); got shape {bias.shape}")
    x, kernel, bias = in_computation_dtype(x, kernel, bias)
    return TransposeArguments(
        x=x,
        kernel=kernel,
        bias=bias,
        strides=steps,
        dilation_rate=dilation,
        out_spatial=out_spatial,
        pads=shapes.conv_padding(out_spatial, kernel_size, steps, padding, dilation),
    )


def _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, rank, function):
    t = prepare_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, rank, function)
    # The result is the input gradient of the forward convolution from the result's shape back to x's.
    forward_input = np.broadcast_to(np.zeros((), dtype=t.x.dtype), (t.x.shape[0], *t.out_spatial, t.kernel.shape[-2]))
    args = prepare_conv(forward_input, t.kernel, None, t.strides, t.pads, t.dilation_rate, 1, rank, function)
    y = input_gradient(args, t.x)
    return y if t.bias is None else y + t.bias


def conv1d_transpose(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """Keras ``Conv1DTranspose``'s forward pass; see `conv2d_transpose`.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in)
    kernel : array_like, shape (k, filters, c_in)
    bias : array_like, shape (filters,), optional
    strides, padding, output_padding, dilation_rate
        As in `conv2d_transpose`, one value per axis.

    Returns
    -------
    ndarray, shape (batch, out_steps, filters)

    Examples
    --------
    Each input value stamps a copy of the kernel, ``stride`` apart:

    >>> x = np.array([1.0, 10.0]).reshape(1, 2, 1)
    >>> conv1d_transpose(x, np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1), strides=2)[0, :, 0]
    array([ 1.,  2., 13., 20., 30.])
    """
    return _conv_transpose(
        x, kernel, bias, strides, padding, output_padding, dilation_rate, rank=1, function="conv1d_transpose"
    )


def conv2d_transpose(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """Keras ``Conv2DTranspose``'s forward pass: the gradient of `convbook.conv2d` with respect to its input.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
    kernel : array_like, shape (kh, kw, filters, c_in)
        Keras' ``Conv2DTranspose.get_weights()[0]`` layout.
    bias : array_like, shape (filters,), optional
    strides : int or (int, int), default 1
        Distance between the patches that neighbouring inputs write to.
    padding : {"valid", "same"}, default "valid"
        The padding of the forward convolution this is the gradient of. The output size follows
        `convbook.shapes.transpose_output_size`: ``n * s + max(k_eff - s, 0)`` for valid, ``n * s``
        for same.
    output_padding : int or (int, int), optional
        Picks another of the output sizes the forward convolution maps to ``n``; each must be smaller
        than the stride.
    dilation_rate : int or (int, int), default 1

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, filters)

    Raises
    ------
    ValueError
        Wrong number of axes, channels that do not match, padding other than valid/same, an
        ``output_padding`` not below the stride, a bias of the wrong length.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    >>> conv2d_transpose(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    return _conv_transpose(
        x, kernel, bias, strides, padding, output_padding, dilation_rate, rank=2, function="conv2d_transpose"
    )


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
    """`conv2d_transpose` as a scatter loop: every input value stamps the kernel.

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
    y = y[:, top : top + out_rows, left : left + out_cols].copy()  # cut off the forward convolution's padding
    if args.bias is not None:
        y += args.bias
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
    """`conv2d_transpose` as zero insertion, padding and an ordinary convolution.

    Along every axis, with ``n`` input positions, stride ``s``, dilated kernel extent ``k_eff``, output
    size ``L`` and the forward convolution's padding ``(before, after)`` of ``L``:

    1. insert ``s - 1`` zeros between neighbouring input values (`insert_zeros`): ``(n - 1) * s + 1``
       positions;
    2. pad with ``k_eff - 1 - before`` zeros in front and ``k_eff - 1 - after + r`` behind, where
       ``r = L + before + after - ((n - 1) * s + k_eff)`` counts the forward input positions that no
       window reached (``output_padding`` makes them);
    3. correlate with the kernel flipped in both spatial axes and with its channel axes swapped,
       ``kernel[::-1, ::-1].transpose(0, 1, 3, 2)``, stride 1, using `convbook.conv2d`
       (its direct method, named rather than left to ``"auto"``).

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
    return conv2d(dilated, flipped, args.bias, padding=pads, dilation_rate=args.dilation_rate, method="direct")
