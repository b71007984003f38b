"""Checking and normalizing the arguments every convolution takes.

`conv1d_loop`, `conv2d_loop`, `conv1d` and `conv2d` all start by calling
`prepare_conv`, so they accept exactly the same inputs and reject bad ones
with the same messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import shapes

_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols")}


@dataclass(frozen=True)
class ConvArguments:
    """Validated convolution arguments, ready to compute with.

    Attributes
    ----------
    x : ndarray, shape (batch, *spatial, c_in)
    kernel : ndarray, shape (*kernel_size, c_in // groups, c_out)
    bias : ndarray of shape (c_out,), or None
    strides, dilation_rate : tuple of int, one per spatial axis
    pads : tuple of (int, int), one ``(before, after)`` per spatial axis
    groups : int
    output_shape : tuple of int, ``(batch, *out_spatial, c_out)``
    """

    x: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray | None
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    groups: int
    output_shape: tuple[int, ...]

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the result."""
        return self.x.dtype


def as_real_array(value: object, name: str) -> np.ndarray:
    """``np.asarray(value)`` for real numbers, else a `TypeError` naming ``name``."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be an array of real numbers; could not convert it: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {array.dtype}")
    return array


def _layout(rank: int, batch: bool = True) -> str:
    axes = ", ".join(_AXIS_NAMES[rank])
    return f"(batch, {axes}, channels)" if batch else f"({axes}, channels)"


def _kernel_layout(rank: int) -> str:
    taps = ("k",) if rank == 1 else ("kh", "kw")
    return f"({', '.join(taps)}, c_in // groups, c_out)"


def prepare_conv(
    x: object,
    kernel: object,
    bias: object,
    strides: int | Sequence[int],
    padding: shapes.Padding,
    dilation_rate: int | Sequence[int],
    groups: int,
    rank: int,
    function: str,
) -> ConvArguments:
    """Validate and normalize the arguments of a ``rank``-D convolution.

    Raises `TypeError` or `ValueError` naming the argument at fault and what
    was expected; see `convbook.conv2d` for the arguments.
    """
    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    if x.ndim != rank + 2:
        hint = ""
        if x.ndim == rank + 1:
            hint = f"; for a single example {_layout(rank, batch=False)} add a batch axis: {function}(x[None], ...)"
        raise ValueError(f"x must have {rank + 2} axes {_layout(rank)}; got shape {x.shape} with {x.ndim} axes{hint}")
    if kernel.ndim != rank + 2:
        raise ValueError(f"kernel must have {rank + 2} axes {_kernel_layout(rank)}; got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"kernel must not be empty; got shape {kernel.shape}")
    if not shapes._is_int(groups):
        raise TypeError(f"groups must be a positive int; got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups}")
    c_in = x.shape[-1]
    kernel_c_in, c_out = kernel.shape[-2], kernel.shape[-1]
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels of x ({c_in})")
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide the output channels of kernel ({c_out})")
    if kernel_c_in * groups != c_in:
        if groups == 1:
            raise ValueError(f"kernel has {kernel_c_in} input channels (kernel.shape[-2]) but x has {c_in}")
        raise ValueError(
            f"kernel has {kernel_c_in} input channels (kernel.shape[-2]) but x has {c_in} channels in "
            f"{groups} groups, so it needs c_in // groups = {c_in} // {groups} = {c_in // groups}"
        )
    if bias is not None:
        bias = as_real_array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"bias must have shape (c_out,) = ({c_out},); got shape {bias.shape}")

    steps = shapes.normalize_tuple(strides, rank, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, rank, "dilation_rate")
    spatial = x.shape[1:-1]
    kernel_size = kernel.shape[:-2]
    pads = shapes.conv_padding(spatial, kernel_size, steps, padding, dilation)
    out_spatial = shapes.conv_output_shape(spatial, kernel_size, steps, pads, dilation)
    for axis, size in enumerate(out_spatial):
        if size == 0:
            extent = shapes.effective_kernel_size(kernel_size[axis], dilation[axis])
            padded = spatial[axis] + sum(pads[axis])
            raise ValueError(
                f"kernel does not fit along axis '{_AXIS_NAMES[rank][axis]}': its extent is {extent} "
                f"(size {kernel_size[axis]}, dilation {dilation[axis]}) but the padded input has "
                f"{padded} positions (padding={padding!r}); use a smaller kernel or more padding"
            )

    dtype = np.result_type(x.dtype, kernel.dtype, np.float32 if bias is None else bias.dtype, np.float32)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return ConvArguments(
        x=x.astype(dtype, copy=False),
        kernel=kernel.astype(dtype, copy=False),
        bias=None if bias is None else bias.astype(dtype, copy=False),
        strides=steps,
        dilation_rate=dilation,
        pads=pads,
        groups=groups,
        output_shape=(x.shape[0], *out_spatial, c_out),
    )
