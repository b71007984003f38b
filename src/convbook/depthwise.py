"""Keras' depthwise and separable convolutions, written as `convbook.conv2d` calls.

A depthwise convolution is a grouped convolution with one group per input
channel; a separable convolution is a depthwise convolution followed by a
1x1 (pointwise) convolution. Both take Keras' weight layouts, so the weights
of ``DepthwiseConv2D`` and ``SeparableConv2D`` layers can be passed as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .arguments import as_real_array
from .conv import conv2d
from .shapes import Padding

__all__ = ["depthwise_conv2d", "separable_conv2d"]


def depthwise_conv2d(
    x: ArrayLike,
    depthwise_kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """Keras ``DepthwiseConv2D``: every input channel filtered on its own.

    Equal to ``conv2d(x, depthwise_kernel.reshape(kh, kw, 1, c_in * m), bias,
    groups=c_in)``: one group per input channel, ``m`` filters per group.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
    depthwise_kernel : array_like, shape (kh, kw, c_in, m)
        Keras' ``DepthwiseConv2D.get_weights()[0]``; ``m`` is the depth multiplier.
    bias : array_like, shape (c_in * m,), optional
    strides, padding, dilation_rate
        As in `convbook.conv2d`.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_in * m)
        Output channel ``c * m + j`` is input channel ``c`` filtered by
        ``depthwise_kernel[:, :, c, j]``.

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2))
    >>> depthwise_conv2d(x, np.stack([np.ones((2, 2)), -np.ones((2, 2))], -1)[..., None])[0, 0, 0]
    array([ 4., -4.])
    """
    x = as_real_array(x, "x")
    kernel = as_real_array(depthwise_kernel, "depthwise_kernel")
    if kernel.ndim != 4:
        raise ValueError(
            f"depthwise_kernel must have 4 axes (kh, kw, c_in, depth_multiplier); got shape {kernel.shape}"
        )
    kh, kw, c_in, multiplier = kernel.shape
    if x.ndim == 4 and x.shape[-1] != c_in:
        raise ValueError(f"depthwise_kernel has {c_in} input channels but x has {x.shape[-1]}")
    # Output channel c * multiplier + j is filter j of input channel c: group c, in C order.
    grouped_kernel = kernel.reshape(kh, kw, 1, c_in * multiplier)
    return conv2d(x, grouped_kernel, bias, strides=strides, padding=padding, dilation_rate=dilation_rate, groups=c_in)


def separable_conv2d(
    x: ArrayLike,
    depthwise_kernel: ArrayLike,
    pointwise_kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> np.ndarray:
    """Keras ``SeparableConv2D``: a depthwise convolution, then a 1x1 convolution across channels.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
    depthwise_kernel : array_like, shape (kh, kw, c_in, m)
    pointwise_kernel : array_like, shape (1, 1, c_in * m, c_out)
    bias : array_like, shape (c_out,), optional
        Added after the pointwise step (Keras has no depthwise bias here).
    strides, padding, dilation_rate
        Of the depthwise step, as in `convbook.conv2d`.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_out)

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2))
    >>> depthwise = np.ones((2, 2, 2, 1))
    >>> pointwise = np.array([1.0, 10.0]).reshape(1, 1, 2, 1)
    >>> separable_conv2d(x, depthwise, pointwise)[0, :, :, 0]
    array([[44., 44.],
           [44., 44.]])
    """
    pointwise = as_real_array(pointwise_kernel, "pointwise_kernel")
    if pointwise.ndim != 4 or pointwise.shape[:2] != (1, 1):
        raise ValueError(f"pointwise_kernel must have shape (1, 1, c_in * m, c_out); got shape {pointwise.shape}")
    depthwise = depthwise_conv2d(x, depthwise_kernel, strides=strides, padding=padding, dilation_rate=dilation_rate)
    return conv2d(depthwise, pointwise, bias)
