"""Transposed convolutions: Keras' ``Conv1DTranspose`` and ``Conv2DTranspose``.

A transposed convolution is the gradient of a convolution with respect to its input, used as a layer:
every input value is spread over a kernel-sized patch of the output, with patches ``stride`` apart
and overlapping where the kernel is larger than the stride. Its kernel has Keras' transposed layout
``(*kernel_size, filters, c_in)``, which is exactly the layout of the *forward* convolution it is the
gradient of (that convolution maps ``filters`` channels to ``c_in``), so no flip or transpose is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from ._arguments import as_real_array, prepare_conv
from .backward import input_gradient

__all__ = ["conv1d_transpose", "conv2d_transpose"]


def _conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation_rate, rank, function):
    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    axes = "(batch, steps, channels)" if rank == 1 else "(batch, rows, cols, channels)"
    if x.ndim != rank + 2:
        hint = f"; for a single example add a batch axis: {function}(x[None], ...)" if x.ndim == rank + 1 else ""
        raise ValueError(f"x must have {rank + 2} axes {axes}; got shape {x.shape}{hint}")
    layout = "(k, filters, c_in)" if rank == 1 else "(kh, kw, filters, c_in)"
    if kernel.ndim != rank + 2:
        raise ValueError(f"kernel must have {rank + 2} axes {layout}; got shape {kernel.shape}")
    if kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"kernel has {kernel.shape[-1]} input channels (kernel.shape[-1], layout {layout}) but x has {x.shape[-1]}"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    steps = shapes.normalize_tuple(strides, rank, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, rank, "dilation_rate")
    if output_padding is None or isinstance(output_padding, int):
        extra = (output_padding,) * rank
    elif isinstance(output_padding, Sequence) and len(output_padding) == rank:
        extra = tuple(output_padding)
    else:
        raise ValueError(f"output_padding must be an int or {rank} ints; got {output_padding!r}")
    kernel_size = kernel.shape[:rank]
    out_spatial = tuple(
        shapes.transpose_output_size(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(x.shape[1:-1], kernel_size, steps, extra, dilation, strict=True)
    )
    # The forward convolution must map the output shape back to x's shape; its input gradient is the result.
    maps_back = shapes.conv_output_shape(out_spatial, kernel_size, steps, padding, dilation) if all(out_spatial) else ()
    if maps_back != x.shape[1:-1]:
        raise ValueError(
            f"output_padding={output_padding!r} gives an output of shape {out_spatial}, from which the forward "
            f"convolution makes {maps_back} positions, not x's {x.shape[1:-1]}; choose another output_padding"
        )
    forward_input = np.broadcast_to(np.zeros((), dtype=x.dtype), (x.shape[0], *out_spatial, kernel.shape[-2]))
    args = prepare_conv(forward_input, kernel, None, steps, padding, dilation, 1, rank, function)
    y = input_gradient(args, x.astype(args.dtype, copy=False))
    if bias is not None:
        bias = as_real_array(bias, "bias")
        if bias.shape != (kernel.shape[-2],):
            raise ValueError(f"bias must have shape (filters,) = ({kernel.shape[-2]},); got shape {bias.shape}")
        y = y + bias.astype(args.dtype, copy=False)
    return y


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
