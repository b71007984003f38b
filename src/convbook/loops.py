"""Convolution as explicit Python loops: the definition, readable before fast.

Each output value is one dot product between a kernel and a window of the
padded input (zeros, or the input's own values: ``padding_mode``), summed over
the input channels of the output channel's group, plus a bias. The loops below spell that out over batch, output
position, output channel, input channel and kernel tap, in that order.
They are slow by design; `convbook.vectorized` computes the same numbers fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .arguments import pad_input, prepare_conv
from .shapes import Padding

__all__ = ["conv1d_loop", "conv2d_loop", "conv3d_loop"]


def conv1d_loop(
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
    """1D convolution (cross-correlation) written as explicit loops.

    ``y[b, t, o] = bias[o] + sum over c, p of
    x_padded[b, t * s + p * d, g * c_in_g + c] * kernel[p, c, o]``, where
    ``g = o // (c_out // groups)`` is the output channel's group and
    ``c_in_g = c_in // groups``.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in)
        Input sequences, channels last.
    kernel : array_like, shape (k, c_in // groups, c_out)
        Weights in Keras' ``Conv1D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int,), default 1
        Step between neighbouring windows.
    padding : {"valid", "same", "causal", "full"}, int or (int, int), default "valid"
        See `convbook.shapes.padding_amounts`.
    dilation_rate : int or (int,), default 1
        Spacing between kernel taps.
    groups : int, default 1
        Input and output channels are split into this many groups; each
        output channel sees only the input channels of its own group.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold; see `convbook.conv2d`.

    Returns
    -------
    ndarray, shape (batch, out_steps, c_out)
        ``out_steps`` is given by `convbook.shapes.output_size`; the dtype by
        `convbook.arguments.computation_dtype`, as for every function of the library.

    See Also
    --------
    convbook.conv1d : the same result, vectorized.

    Examples
    --------
    >>> x = np.array([0, 1, 0, 1, 1, 0.0]).reshape(1, 6, 1)
    >>> kernel = np.array([0, 1.0]).reshape(2, 1, 1)
    >>> conv1d_loop(x, kernel)[0, :, 0]
    array([1., 0., 1., 1., 0.])
    """
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=1,
        function="conv1d_loop",
        padding_mode=padding_mode,
    )
    x_padded = pad_input(args.x, args.pads, args.padding_mode)
    (stride,), (dilation,) = args.strides, args.dilation_rate
    taps, c_in_per_group, c_out = args.kernel.shape
    c_out_per_group = c_out // args.groups
    batch, out_steps, _ = args.output_shape

    y = np.zeros(args.output_shape, dtype=args.dtype)
    for b in range(batch):
        for t in range(out_steps):
            for o in range(c_out):
                group = o // c_out_per_group
                total = 0.0 if args.bias is None else args.bias[o]
                for c in range(c_in_per_group):
                    channel = group * c_in_per_group + c
                    for p in range(taps):
                        total += x_padded[b, t * stride + p * dilation, channel] * args.kernel[p, c, o]
                y[b, t, o] = total
    return y


def conv2d_loop(
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
    """2D convolution (cross-correlation) written as explicit loops.

    ``y[b, i, j, o] = bias[o] + sum over c, p, q of
    x_padded[b, i * sh + p * dh, j * sw + q * dw, g * c_in_g + c] * kernel[p, q, c, o]``,
    where ``g = o // (c_out // groups)`` is the output channel's group and
    ``c_in_g = c_in // groups``.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
        Input images, channels last.
    kernel : array_like, shape (kh, kw, c_in // groups, c_out)
        Weights in Keras' ``Conv2D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int, int), default 1
        Step between neighbouring windows, ``(sh, sw)``.
    padding : {"valid", "same", "full"}, int or per-axis amounts, default "valid"
        See `convbook.shapes.conv_padding`.
    dilation_rate : int or (int, int), default 1
        Spacing between kernel taps, ``(dh, dw)``.
    groups : int, default 1
        Input and output channels are split into this many groups; each
        output channel sees only the input channels of its own group.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold; see `convbook.conv2d`.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_out)
        The output size is given by `convbook.shapes.conv_output_shape`; the dtype by
        `convbook.arguments.computation_dtype`, as for every function of the library.

    See Also
    --------
    convbook.conv2d : the same result, vectorized.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> conv2d_loop(x, kernel)[0, :, :, 0]
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
        function="conv2d_loop",
        padding_mode=padding_mode,
    )
    x_padded = pad_input(args.x, args.pads, args.padding_mode)
    stride_rows, stride_cols = args.strides
    dilation_rows, dilation_cols = args.dilation_rate
    kernel_rows, kernel_cols, c_in_per_group, c_out = args.kernel.shape
    c_out_per_group = c_out // args.groups
    batch, out_rows, out_cols, _ = args.output_shape

    y = np.zeros(args.output_shape, dtype=args.dtype)
    for b in range(batch):
        for i in range(out_rows):
            for j in range(out_cols):
                for o in range(c_out):
                    group = o // c_out_per_group
                    total = 0.0 if args.bias is None else args.bias[o]
                    for c in range(c_in_per_group):
                        channel = group * c_in_per_group + c
                        for p in range(kernel_rows):
                            for q in range(kernel_cols):
                                row = i * stride_rows + p * dilation_rows
                                col = j * stride_cols + q * dilation_cols
                                total += x_padded[b, row, col, channel] * args.kernel[p, q, c, o]
                    y[b, i, j, o] = total
    return y


def conv3d_loop(
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
    """3D convolution (cross-correlation) written as explicit loops.

    ``y[b, t, i, j, o] = bias[o] + sum over c, r, p, q of
    x_padded[b, t * sd + r * dd, i * sh + p * dh, j * sw + q * dw, g * c_in_g + c] * kernel[r, p, q, c, o]``,
    where ``g = o // (c_out // groups)`` is the output channel's group and
    ``c_in_g = c_in // groups``: `conv2d_loop` with one more index.

    Parameters
    ----------
    x : array_like, shape (batch, depth, rows, cols, c_in)
        Input volumes (or clips of video frames), channels last.
    kernel : array_like, shape (kd, kh, kw, c_in // groups, c_out)
        Weights in Keras' ``Conv3D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int, int, int), default 1
        Step between neighbouring windows, ``(sd, sh, sw)``.
    padding : {"valid", "same", "full"}, int or per-axis amounts, default "valid"
        See `convbook.shapes.conv_padding`.
    dilation_rate : int or (int, int, int), default 1
        Spacing between kernel taps, ``(dd, dh, dw)``.
    groups : int, default 1
        Input and output channels are split into this many groups; each
        output channel sees only the input channels of its own group.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold; see `convbook.conv2d`.

    Returns
    -------
    ndarray, shape (batch, out_depth, out_rows, out_cols, c_out)
        The output size is given by `convbook.shapes.conv_output_shape`; the dtype by
        `convbook.arguments.computation_dtype`, as for every function of the library.

    See Also
    --------
    convbook.conv3d : the same result, vectorized.

    Examples
    --------
    >>> x = np.arange(27.0).reshape(1, 3, 3, 3, 1)
    >>> conv3d_loop(x, np.ones((2, 2, 2, 1, 1)))[0, :, :, :, 0]
    array([[[ 52.,  60.],
            [ 76.,  84.]],
    <BLANKLINE>
           [[124., 132.],
            [148., 156.]]])
    """
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=3,
        function="conv3d_loop",
        padding_mode=padding_mode,
    )
    x_padded = pad_input(args.x, args.pads, args.padding_mode)
    stride_depth, stride_rows, stride_cols = args.strides
    dilation_depth, dilation_rows, dilation_cols = args.dilation_rate
    kernel_depth, kernel_rows, kernel_cols, c_in_per_group, c_out = args.kernel.shape
    c_out_per_group = c_out // args.groups
    batch, out_depth, out_rows, out_cols, _ = args.output_shape

    y = np.zeros(args.output_shape, dtype=args.dtype)
    for b in range(batch):
        for t in range(out_depth):
            for i in range(out_rows):
                for j in range(out_cols):
                    for o in range(c_out):
                        group = o // c_out_per_group
                        total = 0.0 if args.bias is None else args.bias[o]
                        for c in range(c_in_per_group):
                            channel = group * c_in_per_group + c
                            for r in range(kernel_depth):
                                for p in range(kernel_rows):
                                    for q in range(kernel_cols):
                                        plane = t * stride_depth + r * dilation_depth
                                        row = i * stride_rows + p * dilation_rows
                                        col = j * stride_cols + q * dilation_cols
                                        total += x_padded[b, plane, row, col, channel] * args.kernel[r, p, q, c, o]
                        y[b, t, i, j, o] = total
    return y
