"""A locally connected layer as explicit loops: a convolution's windows without its weight sharing.

Every output position ``(i, j)`` reads the same window of the input as a convolution's output
``(i, j)`` does, but multiplies it by weights of its own: the kernel holds one filter bank,
shape ``(kh, kw, c_in, c_out)``, per output position, and the bias one value per position and
filter. With every position given the same filter bank (and the same bias) it is the
convolution `convbook.conv2d_loop`; chapter 3 uses it to separate what locality and what weight
sharing save over a dense layer. Keras 3 has no such layer, so this is the reference for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from .arguments import as_real_array, in_computation_dtype

__all__ = ["locally_connected2d"]

_KERNEL_LAYOUT = "(out_rows, out_cols, kh, kw, c_in, c_out)"


def locally_connected2d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
) -> np.ndarray:
    """2D locally connected layer (a convolution with unshared weights), ``valid`` padding, as explicit loops.

    ``y[b, i, j, o] = bias[i, j, o] + sum over c, p, q of
    x[b, i * sh + p, j * sw + q, c] * kernel[i, j, p, q, c, o]``:
    the window of a ``valid`` convolution, weighted by the filter bank ``kernel[i, j]`` of
    output position ``(i, j)``.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
        Input images, channels last.
    kernel : array_like, shape (out_rows, out_cols, kh, kw, c_in, c_out)
        One filter bank per output position: ``kernel[i, j]`` is laid out like a ``Conv2D``
        kernel (Keras' ``get_weights()[0]``) and is used at output position ``(i, j)`` only.
        ``out_rows = (rows - kh) // sh + 1`` and ``out_cols = (cols - kw) // sw + 1``.
    bias : array_like, shape (out_rows, out_cols, c_out), optional
        One bias per output position and filter.
    strides : int or (int, int), default 1
        Step between neighbouring windows, ``(sh, sw)``.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_out)
        In the dtype given by `convbook.arguments.computation_dtype`, as for every function
        of the library.

    Raises
    ------
    TypeError
        If ``x``, ``kernel`` or ``bias`` is not an array of real numbers, or ``strides`` is not
        an int or a pair of ints.
    ValueError
        If a shape does not fit the others; the message names the argument at fault.

    See Also
    --------
    convbook.conv2d_loop : the same loops with one filter bank shared by every position.

    Examples
    --------
    The same filter bank at every position is a convolution (compare `convbook.conv2d_loop`):

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> kernel = np.ones((2, 2, 2, 2, 1, 1))  # 2 x 2 positions, each a 2 x 2 filter
    >>> locally_connected2d(x, kernel)[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])

    Changing the weights of one position changes only that position's output:

    >>> kernel[1, 1] *= 10
    >>> locally_connected2d(x, kernel)[0, :, :, 0]
    array([[  8.,  12.],
           [ 20., 240.]])
    """
    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    if bias is not None:
        bias = as_real_array(bias, "bias")
    x, kernel, bias = in_computation_dtype(x, kernel, bias)
    sh, sw = shapes.normalize_tuple(strides, 2, "strides")
    out_shape = _output_shape(x.shape, kernel.shape, None if bias is None else bias.shape, (sh, sw))
    batch, out_rows, out_cols, c_out = out_shape
    _, _, kernel_rows, kernel_cols, c_in, _ = kernel.shape

    y = np.zeros(out_shape, dtype=x.dtype)
    for b in range(batch):
        for i in range(out_rows):
            for j in range(out_cols):
                for o in range(c_out):
                    total = 0.0 if bias is None else bias[i, j, o]
                    for c in range(c_in):
                        for p in range(kernel_rows):
                            for q in range(kernel_cols):
                                total += x[b, i * sh + p, j * sw + q, c] * kernel[i, j, p, q, c, o]
                    y[b, i, j, o] = total
    return y


def _output_shape(
    x_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    bias_shape: tuple[int, ...] | None,
    strides: tuple[int, int],
) -> tuple[int, int, int, int]:
    """``(batch, out_rows, out_cols, c_out)``, or the error that names the argument at fault."""
    if len(x_shape) != 4:
        hint = ""
        if len(x_shape) == 3:
            hint = "; for a single example (rows, cols, channels) add a batch axis: locally_connected2d(x[None], ...)"
        raise ValueError(
            f"x must have 4 axes (batch, rows, cols, channels); got shape {x_shape} with {len(x_shape)} axes{hint}"
        )
    if len(kernel_shape) != 6:
        raise ValueError(f"kernel must have 6 axes {_KERNEL_LAYOUT}; got shape {kernel_shape}")
    if math.prod(kernel_shape) == 0:
        raise ValueError(f"kernel must not be empty; got shape {kernel_shape}")
    batch, rows, cols, c_in = x_shape
    kernel_positions = kernel_shape[:2]
    kh, kw, kernel_c_in, c_out = kernel_shape[2:]
    if kernel_c_in != c_in:
        raise ValueError(f"kernel has {kernel_c_in} input channels (kernel.shape[4]) but x has {c_in}")
    for axis, name, size, k in ((2, "rows", rows, kh), (3, "cols", cols, kw)):
        if k > size:
            raise ValueError(
                f"kernel does not fit along axis '{name}': its windows are {k} long (kernel.shape[{axis}]) "
                f"but x has {size} {name}, and locally_connected2d pads nothing"
            )
    positions = tuple(shapes.conv_output_shape((rows, cols), (kh, kw), strides))
    if kernel_positions != positions:
        raise ValueError(
            f"kernel must hold one filter bank per output position: x with {rows} rows and {cols} cols, "
            f"windows of {kh} x {kw} and strides {strides} give {positions[0]} x {positions[1]} positions, "
            f"so kernel.shape[:2] must be {positions}; got {kernel_positions}"
        )
    if bias_shape is not None and bias_shape != (*positions, c_out):
        raise ValueError(
            f"bias must have shape (out_rows, out_cols, c_out) = {(*positions, c_out)}, one bias per output "
            f"position and filter; got shape {bias_shape}"
        )
    return (batch, *positions, c_out)
