"""Gradients of a convolution: with respect to its input, its kernel and its bias.

For ``y = conv(x, w) + bias`` and an upstream gradient ``g = dL/dy`` of ``y``'s shape:

``dL/dbias[o]``
    the sum of ``g[..., o]`` over the batch and every position;
``dL/dw[p, c, o]``
    the correlation of the (padded) input with ``g``: every window of ``x`` that tap ``p`` met,
    weighted by the gradient of the output it produced;
``dL/dx``
    every output's gradient sent back through the taps that produced it -- a *transposed*
    convolution of ``g`` with ``w``, which for stride 1 is a full correlation with the flipped kernel.

All three are NumPy without Python loops over positions: the kernel gradient is one ``einsum`` over the
windows of `convbook.vectorized.windows`, the input gradient is one matrix product per kernel tap,
added into a strided slice of the padded input, whose padding is then folded back onto the input
positions it copied (for ``padding_mode="zeros"``, simply cut off).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .arguments import ConvArguments, as_real_array, fold_padding, in_computation_dtype, prepare_conv
from .shapes import Padding
from .vectorized import windows

__all__ = ["ConvGradients", "conv1d_backward", "conv2d_backward", "conv3d_backward", "input_gradient"]


class ConvGradients(NamedTuple):
    """Gradients of a loss with respect to a convolution's arguments.

    Attributes
    ----------
    dx : ndarray, the shape of ``x``
    dkernel : ndarray, the shape of ``kernel``
    dbias : ndarray, shape (c_out,)
    """

    dx: np.ndarray
    dkernel: np.ndarray
    dbias: np.ndarray


def _with_gradient(args: ConvArguments, grad_output: ArrayLike) -> tuple[ConvArguments, np.ndarray]:
    """The arguments and the checked upstream gradient, all in the computation dtype of the four arrays."""
    grad = as_real_array(grad_output, "grad_output")
    if grad.shape != args.output_shape:
        raise ValueError(
            f"grad_output must have the shape of the convolution's output {args.output_shape}; got {grad.shape}"
        )
    # The upstream gradient is one of the arguments: it takes part in the dtype rule.
    x, kernel, bias, grad = in_computation_dtype(args.x, args.kernel, args.bias, grad)
    return replace(args, x=x, kernel=kernel, bias=bias, geometry=replace(args.geometry, dtype=grad.dtype)), grad


def input_gradient(args: ConvArguments, grad_output: np.ndarray) -> np.ndarray:
    """``dL/dx`` of the convolution described by ``args``, for ``grad_output = dL/dy``.

    Every output position ``i`` was computed from input ``i * s + p * d - before`` through tap ``p``,
    so its gradient flows back along the same connections: for every tap, the gradients of all
    positions, times the tap's ``c_in x c_out`` weights transposed, are added into the strided slice
    of the padded input that the tap met. The padding is then folded back onto the input
    positions it was read from (`convbook.arguments.fold_padding`): cut off when it held zeros.

    Parameters
    ----------
    args : ConvArguments
        The forward convolution, from `convbook.arguments.prepare_conv`.
    grad_output : ndarray, shape args.output_shape

    Returns
    -------
    ndarray, the shape of ``args.x``
    """
    rank = args.x.ndim - 2
    kernel_size = args.kernel.shape[:rank]
    c_in_g, c_out = args.kernel.shape[-2:]
    c_out_g = c_out // args.groups
    out_spatial = args.output_shape[1:-1]
    padded_shape = tuple(n + before + after for n, (before, after) in zip(args.x.shape[1:-1], args.pads, strict=True))
    dx_padded = np.zeros((args.x.shape[0], *padded_shape, args.x.shape[-1]), dtype=args.dtype)
    for tap in np.ndindex(*kernel_size):
        met = tuple(
            slice(p * d, p * d + (n_out - 1) * s + 1, s)
            for p, d, s, n_out in zip(tap, args.dilation_rate, args.strides, out_spatial, strict=True)
        )
        for g in range(args.groups):
            weights = args.kernel[(*tap, slice(None), slice(g * c_out_g, (g + 1) * c_out_g))]  # (c_in_g, c_out_g)
            dx_padded[(slice(None), *met, slice(g * c_in_g, (g + 1) * c_in_g))] += (
                grad_output[..., g * c_out_g : (g + 1) * c_out_g] @ weights.T
            )
    return fold_padding(dx_padded, args.pads, args.padding_mode)


def _kernel_gradient(args: ConvArguments, grad_output: np.ndarray) -> np.ndarray:
    rank = args.x.ndim - 2
    kernel_size = args.kernel.shape[:rank]
    c_in_g, c_out = args.kernel.shape[-2:]
    groups = args.groups
    patches = windows(args)  # (batch, *out_spatial, c_in, *taps)
    batch, *out_spatial = patches.shape[: rank + 1]
    patches = patches.reshape(batch, *out_spatial, groups, c_in_g, *kernel_size)
    grad = grad_output.reshape(batch, *out_spatial, groups, c_out // groups)
    taps, positions = "pqr"[:rank], "ijk"[:rank]
    dkernel = np.einsum(f"b{positions}gc{taps},b{positions}go->{taps}cgo", patches, grad, optimize=True)
    return np.ascontiguousarray(dkernel.reshape(args.kernel.shape))


def _backward(args: ConvArguments, grad_output: ArrayLike) -> ConvGradients:
    args, grad = _with_gradient(args, grad_output)
    return ConvGradients(
        dx=input_gradient(args, grad),
        dkernel=_kernel_gradient(args, grad),
        dbias=grad.sum(axis=tuple(range(grad.ndim - 1))),
    )


def conv1d_backward(
    x: ArrayLike,
    kernel: ArrayLike,
    grad_output: ArrayLike,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> ConvGradients:
    """Gradients of `convbook.conv1d` with respect to ``x``, ``kernel`` and the bias.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in)
        The forward pass's input.
    kernel : array_like, shape (k, c_in // groups, c_out)
        The forward pass's kernel.
    grad_output : array_like, shape (batch, out_steps, c_out)
        ``dL/dy``, the gradient of the loss with respect to the forward output.
    strides, padding, dilation_rate, groups, padding_mode
        The forward pass's options, as in `convbook.conv1d`.

    Returns
    -------
    ConvGradients
        ``(dx, dkernel, dbias)`` with the shapes of ``x``, ``kernel`` and ``(c_out,)``. The bias does
        not affect any gradient, so it is not an argument.

    Examples
    --------
    For ``y = conv1d(x, w)`` and the loss ``sum(y)``, ``dL/dw[p]`` is the sum of the inputs tap ``p`` met:

    >>> x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
    >>> w = np.array([1.0, -1.0]).reshape(2, 1, 1)
    >>> grads = conv1d_backward(x, w, np.ones((1, 2, 1)))
    >>> grads.dkernel.ravel(), grads.dx.ravel(), grads.dbias
    (array([3., 5.]), array([ 1.,  0., -1.]), array([2.]))
    """
    args = prepare_conv(
        x,
        kernel,
        None,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=1,
        function="conv1d_backward",
        padding_mode=padding_mode,
    )
    return _backward(args, grad_output)


def conv2d_backward(
    x: ArrayLike,
    kernel: ArrayLike,
    grad_output: ArrayLike,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> ConvGradients:
    """Gradients of `convbook.conv2d` with respect to ``x``, ``kernel`` and the bias.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
        The forward pass's input.
    kernel : array_like, shape (kh, kw, c_in // groups, c_out)
        The forward pass's kernel.
    grad_output : array_like, shape (batch, out_rows, out_cols, c_out)
        ``dL/dy``, the gradient of the loss with respect to the forward output.
    strides, padding, dilation_rate, groups, padding_mode
        The forward pass's options, as in `convbook.conv2d`.

    Returns
    -------
    ConvGradients
        ``(dx, dkernel, dbias)`` with the shapes of ``x``, ``kernel`` and ``(c_out,)``, in the
        computation dtype of ``x``, ``kernel`` and ``grad_output`` together
        (`convbook.arguments.computation_dtype`): a float64 upstream gradient gives float64 gradients.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> grads = conv2d_backward(x, np.ones((2, 2, 1, 1)), np.ones((1, 2, 2, 1)))
    >>> grads.dkernel[:, :, 0, 0]   # each tap met a 2x2 block of x; these are the blocks' sums
    array([[ 8., 12.],
           [20., 24.]])
    >>> grads.dx[0, :, :, 0]        # how many windows each pixel was in
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    args = prepare_conv(
        x,
        kernel,
        None,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=2,
        function="conv2d_backward",
        padding_mode=padding_mode,
    )
    return _backward(args, grad_output)


def conv3d_backward(
    x: ArrayLike,
    kernel: ArrayLike,
    grad_output: ArrayLike,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> ConvGradients:
    """Gradients of `convbook.conv3d` with respect to ``x``, ``kernel`` and the bias.

    The same computation as `conv2d_backward`, with one more spatial axis.

    Parameters
    ----------
    x : array_like, shape (batch, depth, rows, cols, c_in)
        The forward pass's input.
    kernel : array_like, shape (kd, kh, kw, c_in // groups, c_out)
        The forward pass's kernel.
    grad_output : array_like, shape (batch, out_depth, out_rows, out_cols, c_out)
        ``dL/dy``, the gradient of the loss with respect to the forward output.
    strides, padding, dilation_rate, groups, padding_mode
        The forward pass's options, as in `convbook.conv3d`.

    Returns
    -------
    ConvGradients
        ``(dx, dkernel, dbias)`` with the shapes of ``x``, ``kernel`` and ``(c_out,)``, in the
        computation dtype of ``x``, ``kernel`` and ``grad_output`` together.

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 3, 1))
    >>> grads = conv3d_backward(x, np.ones((2, 2, 2, 1, 1)), np.ones((1, 2, 2, 2, 1)))
    >>> grads.dx[0, 0, :, :, 0]     # how many windows each voxel of the first slice was in
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> grads.dkernel[:, :, :, 0, 0].ravel()   # each tap met 8 voxels of ones
    array([8., 8., 8., 8., 8., 8., 8., 8.])
    """
    args = prepare_conv(
        x,
        kernel,
        None,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=3,
        function="conv3d_backward",
        padding_mode=padding_mode,
    )
    return _backward(args, grad_output)
