"""Transposed convolutions: Keras' ``Conv1DTranspose`` and ``Conv2DTranspose``.

A transposed convolution is the gradient of a convolution with respect to its input, used as a layer:
every input value is spread over a kernel-sized patch of the output, with patches ``stride`` apart
and overlapping where the kernel is larger than the stride. Its kernel has Keras' transposed layout
``(*kernel_size, filters, c_in)``, which is exactly the layout of the *forward* convolution it is the
gradient of (that convolution maps ``filters`` channels to ``c_in``), so no flip or transpose is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from ._arguments import as_real_array, prepare_conv
from .backward import input_gradient

__all__ = ["TransposeArguments", "conv1d_transpose", "conv2d_transpose", "prepare_transpose"]


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
    dtype = np.result_type(x.dtype, kernel.dtype, np.float32 if bias is None else bias.dtype, np.float32)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return TransposeArguments(
        x=x.astype(dtype, copy=False),
        kernel=kernel.astype(dtype, copy=False),
        bias=None if bias is None else bias.astype(dtype, copy=False),
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
