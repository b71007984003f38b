"""Checking and normalizing the arguments every convolution takes, and the one dtype rule.

Every convolution of the library -- loops, vectorized, direct, FFT, gradients, transposed --
starts with `prepare_conv`, so all accept exactly the same inputs and reject bad ones with the
same messages. `conv_geometry` is the same validation for shapes alone: the cost model and the
tile planner of chapter 9 answer questions about a layer without any array.

The dtype rule, the same for every entry point (`computation_dtype`): each integer or bool
array argument counts as float64 and each float16 one as float32; the computation and the result
use NumPy's promotion (`numpy.result_type`) of those. So a uint8 image with a uint8 or float32
kernel is computed in float64, a float16 pair in float32, float32 stays float32, and a float64
bias (or upstream gradient) makes the result float64.

What the padded positions hold is the padding mode (`PADDING_MODES`, PyTorch's names): zeros, or the
input's own values reflected about its first and last positions, replicated from them, or wrapped
around. `padded_index` says which input position each padded position reads; `pad_input` pads an
array as a whole (for the loops and the chapter 5 engines) and `fold_padding` is its adjoint, which
sends a padded array's gradient back to the input positions it was read from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import shapes

__all__ = [
    "NUMPY_PAD_MODES",
    "PADDING_MODES",
    "ConvArguments",
    "ConvGeometry",
    "as_2d",
    "as_real_array",
    "computation_dtype",
    "conv_geometry",
    "fold_padding",
    "in_computation_dtype",
    "pad_input",
    "padded_index",
    "prepare_conv",
]

_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}

#: The values of ``padding_mode``: what the padded positions hold. PyTorch's names.
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

#: `numpy.pad`'s name for each padding mode. (scipy.ndimage calls them ``constant``, ``mirror``,
#: ``nearest`` and ``wrap``; its ``reflect`` is NumPy's ``symmetric``, which repeats the edge value.)
NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def padded_index(positions: np.ndarray, size: int, padding_mode: str) -> np.ndarray:
    """The input index each position of a padded axis reads, or -1 where it holds a zero.

    Positions are counted in the input's coordinates: ``-1`` is the first padded position
    before the input, ``size`` the first one after it.

    Parameters
    ----------
    positions : ndarray of int
        Positions along one axis, from ``-before`` to ``size + after - 1``.
    size : int
        The input's length along the axis (at least 1 unless the mode is ``"zeros"``).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        ``"reflect"`` mirrors about the first and last positions without repeating them
        (``d c b | a b c d | c b a``) and needs ``before, after < size``; ``"replicate"``
        repeats the edge value (``a a a | a b c d | d d d``); ``"circular"`` wraps around
        (``b c d | a b c d | a b c``), as often as needed: unlike PyTorch's circular padding,
        it accepts padding longer than the input.

    Returns
    -------
    ndarray of int, the shape of ``positions``

    Examples
    --------
    >>> positions = np.arange(-3, 7)
    >>> for mode in PADDING_MODES:
    ...     print(f"{mode:9}", padded_index(positions, 4, mode))
    zeros     [-1 -1 -1  0  1  2  3 -1 -1 -1]
    reflect   [3 2 1 0 1 2 3 2 1 0]
    replicate [0 0 0 0 1 2 3 3 3 3]
    circular  [1 2 3 0 1 2 3 0 1 2]
    """
    positions = np.asarray(positions)
    if padding_mode == "zeros":
        return np.where((positions >= 0) & (positions < size), positions, -1)
    if padding_mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if padding_mode == "circular":
        return positions % size
    mirrored = np.abs(positions)
    return np.where(mirrored >= size, 2 * (size - 1) - mirrored, mirrored)


def pad_input(x: np.ndarray, pads: Sequence[tuple[int, int]], padding_mode: str = "zeros") -> np.ndarray:
    """``x`` padded along its spatial axes (all but the first and the last) as ``padding_mode`` says.

    `numpy.pad` with the mode's NumPy name (`NUMPY_PAD_MODES`). ``x`` itself when there
    is no padding.

    Parameters
    ----------
    x : ndarray, shape (batch, *spatial, channels)
    pads : sequence of (int, int)
        ``(before, after)`` per spatial axis, as in ``ConvGeometry.pads``.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"

    Returns
    -------
    ndarray, shape (batch, *(n + before + after), channels)

    Examples
    --------
    >>> pad_input(np.arange(1.0, 5.0).reshape(1, 4, 1), [(2, 2)], "reflect")[0, :, 0]
    array([3., 2., 1., 2., 3., 4., 3., 2.])
    """
    if not any(before or after for before, after in pads):
        return x
    return np.pad(x, [(0, 0), *pads, (0, 0)], mode=NUMPY_PAD_MODES[padding_mode])


def fold_padding(padded: np.ndarray, pads: Sequence[tuple[int, int]], padding_mode: str = "zeros") -> np.ndarray:
    """The adjoint of `pad_input`: a gradient of the padded input sent back to the input.

    Every padded position's value is added to the input position it was read from
    (`padded_index`); the zeros of ``"zeros"`` were read from nowhere and are dropped.
    For ``"zeros"`` this is cropping the padding off.

    Parameters
    ----------
    padded : ndarray, shape (batch, *(n + before + after), channels)
    pads : sequence of (int, int)
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"

    Returns
    -------
    ndarray, shape (batch, *n, channels), C-ordered

    Examples
    --------
    Reflected by two, ``a b c d`` is read as ``c b | a b c d | c b``: ``b`` and ``c`` three times each.

    >>> fold_padding(np.ones((1, 8, 1)), [(2, 2)], "reflect")[0, :, 0]
    array([1., 3., 3., 1.])
    """
    result = padded
    for axis, (before, after) in enumerate(pads, start=1):
        size = result.shape[axis] - before - after
        lead = (slice(None),) * axis
        folded = result[(*lead, slice(before, before + size))]
        if padding_mode != "zeros" and (before or after):
            folded = folded.copy()
            outside = [*range(-before, 0), *range(size, size + after)]
            for position, source in zip(outside, padded_index(np.array(outside), size, padding_mode), strict=True):
                folded[(*lead, source)] += result[(*lead, position + before)]
        result = folded
    return np.ascontiguousarray(result)


def computation_dtype(*dtypes: DTypeLike) -> np.dtype:
    """The dtype a convolution computes in and returns, from its array arguments' dtypes.

    Each integer or bool dtype counts as float64, float16 as float32, any other
    floating dtype as itself; the result is `numpy.result_type` of those.

    Examples
    --------
    >>> computation_dtype(np.uint8, np.uint8), computation_dtype(np.uint8, np.float32)
    (dtype('float64'), dtype('float64'))
    >>> computation_dtype(np.float16, np.float16), computation_dtype(np.float32, np.float32)
    (dtype('float32'), dtype('float32'))
    """
    counted = []
    for dtype in map(np.dtype, dtypes):
        if dtype.kind not in "biuf":
            raise TypeError(f"dtype must be a real number type (bool, integer or floating); got {dtype}")
        if dtype.kind in "biu":
            dtype = np.dtype(np.float64)
        elif dtype == np.float16:
            dtype = np.dtype(np.float32)
        counted.append(dtype)
    return np.result_type(*counted)


def in_computation_dtype(*arrays: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
    """The arrays converted to their `computation_dtype` (no copy when one already is); ``None`` stays ``None``.

    Examples
    --------
    >>> x, bias = in_computation_dtype(np.ones(2, np.uint8), None)
    >>> x.dtype, bias
    (dtype('float64'), None)
    """
    dtype = computation_dtype(*(array.dtype for array in arrays if array is not None))
    return tuple(None if array is None else array.astype(dtype, copy=False) for array in arrays)


@dataclass(frozen=True)
class ConvGeometry:
    """The shapes of a convolution, validated: everything but the numbers.

    Attributes
    ----------
    input_shape : tuple of int, ``(batch, *spatial, c_in)``
    kernel_shape : tuple of int, ``(*kernel_size, c_in // groups, c_out)``
    strides, dilation_rate : tuple of int, one per spatial axis
    pads : tuple of (int, int), one ``(before, after)`` per spatial axis
    groups : int
    output_shape : tuple of int, ``(batch, *out_spatial, c_out)``
    dtype : numpy.dtype
        The dtype the convolution computes in (`computation_dtype`).
    padding_mode : str
        What the padded positions hold, one of `PADDING_MODES`.
    """

    input_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    groups: int
    output_shape: tuple[int, ...]
    dtype: np.dtype
    padding_mode: str = "zeros"

    @property
    def rank(self) -> int:
        """Number of spatial axes."""
        return len(self.input_shape) - 2

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return self.kernel_shape[: self.rank]

    @property
    def extents(self) -> tuple[int, ...]:
        """Input positions each window spans per axis, ``(k - 1) * d + 1``."""
        pairs = zip(self.kernel_size, self.dilation_rate, strict=True)
        return tuple(shapes.effective_kernel_size(k, d) for k, d in pairs)

    @property
    def positions(self) -> int:
        """Output positions over the whole batch, ``batch * prod(out_spatial)``."""
        return math.prod(self.output_shape[:-1])

    @property
    def macs(self) -> int:
        """Multiply-adds of the convolution: ``positions * c_out * prod(kernel_size) * c_in_g``."""
        return self.positions * self.kernel_shape[-1] * math.prod(self.kernel_size) * self.kernel_shape[-2]


@dataclass(frozen=True)
class ConvArguments:
    """Validated convolution arguments, ready to compute with: the arrays and their geometry.

    Attributes
    ----------
    x : ndarray, shape (batch, *spatial, c_in)
    kernel : ndarray, shape (*kernel_size, c_in // groups, c_out)
    bias : ndarray of shape (c_out,), or None
    geometry : ConvGeometry
        The shapes; its fields are also this object's (``args.strides`` is ``args.geometry.strides``).

    ``x``, ``kernel`` and ``bias`` are in the computation dtype (`computation_dtype`).
    """

    x: np.ndarray
    kernel: np.ndarray
    bias: np.ndarray | None
    geometry: ConvGeometry

    @property
    def strides(self) -> tuple[int, ...]:
        return self.geometry.strides

    @property
    def dilation_rate(self) -> tuple[int, ...]:
        return self.geometry.dilation_rate

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        return self.geometry.pads

    @property
    def groups(self) -> int:
        return self.geometry.groups

    @property
    def padding_mode(self) -> str:
        return self.geometry.padding_mode

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.geometry.output_shape

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the computation and the result."""
        return self.geometry.dtype


def as_2d(args: Any) -> Any:
    """A 1D convolution (`ConvArguments` or `ConvGeometry`) as a 2D one whose images are one row high.

    No data is copied: ``x[:, None]`` and ``kernel[None]`` are views. 2D arguments are returned as they are.

    Examples
    --------
    >>> as_2d(conv_geometry((2, 10, 3), (3, 3, 4), padding="same")).output_shape
    (2, 1, 10, 4)
    """
    if len(args.output_shape) == 4:
        return args
    if len(args.output_shape) != 3:
        raise ValueError(f"as_2d lifts 1D convolutions to 2D; got output shape {args.output_shape}")
    if isinstance(args, ConvArguments):
        return replace(args, x=args.x[:, None], kernel=args.kernel[None], geometry=as_2d(args.geometry))
    return replace(
        args,
        input_shape=(args.input_shape[0], 1, *args.input_shape[1:]),
        kernel_shape=(1, *args.kernel_shape),
        strides=(1, *args.strides),
        dilation_rate=(1, *args.dilation_rate),
        pads=((0, 0), *args.pads),
        output_shape=(args.output_shape[0], 1, *args.output_shape[1:]),
    )


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
    taps = {1: ("k",), 2: ("kh", "kw"), 3: ("kd", "kh", "kw")}[rank]
    return f"({', '.join(taps)}, c_in // groups, c_out)"


def _validate_shapes(
    x_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    bias_shape: tuple[int, ...] | None,
    strides: int | Sequence[int],
    padding: shapes.Padding,
    dilation_rate: int | Sequence[int],
    groups: int,
    rank: int,
    function: str,
    dtype: np.dtype,
    padding_mode: str = "zeros",
) -> ConvGeometry:
    """The geometry of these shapes, or the error that names the argument at fault."""
    if len(x_shape) != rank + 2:
        hint = ""
        if len(x_shape) == rank + 1:
            hint = f"; for a single example {_layout(rank, batch=False)} add a batch axis: {function}(x[None], ...)"
        raise ValueError(
            f"x must have {rank + 2} axes {_layout(rank)}; got shape {x_shape} with {len(x_shape)} axes{hint}"
        )
    if len(kernel_shape) != rank + 2:
        raise ValueError(f"kernel must have {rank + 2} axes {_kernel_layout(rank)}; got shape {kernel_shape}")
    if math.prod(kernel_shape) == 0:
        raise ValueError(f"kernel must not be empty; got shape {kernel_shape}")
    if not shapes._is_int(groups):
        raise TypeError(f"groups must be a positive int; got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups}")
    c_in = x_shape[-1]
    kernel_c_in, c_out = kernel_shape[-2], kernel_shape[-1]
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
    if bias_shape is not None and bias_shape != (c_out,):
        raise ValueError(f"bias must have shape (c_out,) = ({c_out},); got shape {bias_shape}")

    steps = shapes.normalize_tuple(strides, rank, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, rank, "dilation_rate")
    spatial = x_shape[1:-1]
    kernel_size = kernel_shape[:-2]
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
    _check_padding_mode(padding_mode, spatial, pads, padding, rank)
    return ConvGeometry(
        input_shape=tuple(x_shape),
        kernel_shape=tuple(kernel_shape),
        strides=steps,
        dilation_rate=dilation,
        pads=pads,
        groups=groups,
        output_shape=(x_shape[0], *out_spatial, c_out),
        dtype=dtype,
        padding_mode=padding_mode,
    )


def _check_padding_mode(
    padding_mode: object,
    spatial: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    padding: shapes.Padding,
    rank: int,
) -> None:
    """An error naming ``padding_mode`` if it is unknown or cannot pad these axes, as PyTorch's."""
    expected = "one of " + ", ".join(repr(mode) for mode in PADDING_MODES)
    if not isinstance(padding_mode, str):
        raise TypeError(f"padding_mode must be a string, {expected}; got {padding_mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be {expected}; got {padding_mode!r}")
    if padding_mode == "zeros":
        return
    for axis, (size, (before, after)) in enumerate(zip(spatial, pads, strict=True)):
        name = _AXIS_NAMES[rank][axis]
        if size == 0 and (before or after):
            raise ValueError(
                f"padding_mode={padding_mode!r} pads with the input's own values, but x has 0 {name}; "
                "use padding_mode='zeros'"
            )
        if padding_mode == "reflect" and max(before, after) >= size:
            raise ValueError(
                f"padding_mode='reflect' needs padding smaller than the input along axis '{name}': "
                f"padding={padding!r} pads ({before}, {after}) around {size} {name}, and a reflection "
                f"about the edge reaches at most {size - 1}; use 'replicate' or 'circular', or a larger input"
            )


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
    padding_mode: str = "zeros",
) -> ConvArguments:
    """Validate and normalize the arguments of a ``rank``-D convolution.

    Raises `TypeError` or `ValueError` naming the argument at fault and what
    was expected; see `convbook.conv2d` for the arguments. The arrays come
    back in the computation dtype (`computation_dtype`), the kernel C-ordered.
    """
    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    if bias is not None:
        bias = as_real_array(bias, "bias")
    x, kernel, bias = in_computation_dtype(x, kernel, bias)
    kernel = np.ascontiguousarray(kernel)  # the engines view it, never copy it: it must be C-ordered
    geometry = _validate_shapes(
        x.shape,
        kernel.shape,
        None if bias is None else bias.shape,
        strides,
        padding,
        dilation_rate,
        groups,
        rank,
        function,
        x.dtype,
        padding_mode,
    )
    return ConvArguments(x=x, kernel=kernel, bias=bias, geometry=geometry)


def conv_geometry(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    *,
    strides: int | Sequence[int] = 1,
    padding: shapes.Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    dtype: DTypeLike = np.float32,
    padding_mode: str = "zeros",
) -> ConvGeometry:
    """The validated shapes of a convolution, without data: what `prepare_conv` checks, for shapes alone.

    For asking the cost model (`convbook.cost`) or the tile planner (`convbook.direct.tile_plan`)
    about a layer without allocating it.

    Parameters
    ----------
    input_shape : sequence of int
        ``(batch, *spatial, c_in)``, one, two or three spatial axes.
    kernel_shape : sequence of int
        ``(*kernel_size, c_in // groups, c_out)``.
    strides, padding, dilation_rate, groups, padding_mode
        As in `convbook.conv2d` (or `convbook.conv1d` for one spatial axis, `convbook.conv3d` for three).
    dtype : dtype, default float32
        The inputs' dtype; the geometry holds the computation dtype (`computation_dtype`).

    Returns
    -------
    ConvGeometry

    Examples
    --------
    >>> conv_geometry((8, 56, 56, 64), (3, 3, 64, 64), padding="same").output_shape
    (8, 56, 56, 64)
    >>> conv_geometry((2, 16, 112, 112, 3), (3, 3, 3, 3, 64), strides=(1, 2, 2), padding="same").output_shape
    (2, 16, 56, 56, 64)
    """
    input_shape = tuple(int(n) for n in input_shape)
    kernel_shape = tuple(int(n) for n in kernel_shape)
    rank = len(input_shape) - 2
    if rank not in _AXIS_NAMES:
        raise ValueError(
            "input_shape must be (batch, steps, c_in), (batch, rows, cols, c_in) or (batch, depth, rows, cols, c_in); "
            f"got {input_shape}"
        )
    return _validate_shapes(
        input_shape,
        kernel_shape,
        None,
        strides,
        padding,
        dilation_rate,
        groups,
        rank,
        "conv_geometry",
        computation_dtype(dtype),
        padding_mode,
    )
