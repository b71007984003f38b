"""Output sizes, padding amounts and receptive fields of convolutions.

Every convolution, plot and chapter in the book asks this module how large an
output is and how much padding goes where, so the book cannot disagree with
itself.  The rules are TensorFlow's/Keras', including the one detail that
trips people up: under ``padding="same"`` an odd total of padding puts the
extra zero at the *end* of the axis.

All functions here work on plain integers and tuples; none touches an array.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PADDING_MODES",
    "Padding",
    "ReceptiveField",
    "conv_output_shape",
    "conv_padding",
    "effective_kernel_size",
    "normalize_tuple",
    "output_size",
    "padding_amounts",
    "receptive_field",
    "transpose_output_size",
]

#: The padding names the convolutions accept (``"causal"`` only in 1D).
PADDING_MODES = ("valid", "same", "causal", "full")

#: A padding argument: a mode name, an int for every side, or explicit amounts.
Padding = str | int | Sequence[int | Sequence[int]]


def _is_int(value: object) -> bool:
    """True for Python and NumPy integers; False for bools and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _as_int(value: object, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int, or raise an error that names ``name``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int; got {value!r} of type {type(value).__name__}")
    value = int(value)  # type: ignore[arg-type]
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be a {kind} int; got {value}")
    return value


def normalize_tuple(value: int | Sequence[int], rank: int, name: str) -> tuple[int, ...]:
    """Turn an int or a sequence of ints into a tuple of ``rank`` positive ints.

    This is how ``strides`` and ``dilation_rate`` (and kernel sizes) are read:
    one int applies to every spatial axis, a sequence gives one int per axis.

    Parameters
    ----------
    value : int or sequence of int
        The argument as the caller gave it.
    rank : int
        The number of spatial axes (1 for ``conv1d``, 2 for ``conv2d``).
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    tuple of int
        ``rank`` positive integers.

    Raises
    ------
    TypeError
        If ``value`` is neither an int nor a sequence of ints.
    ValueError
        If it has the wrong length or an entry is not positive.

    Examples
    --------
    >>> normalize_tuple(2, 2, "strides")
    (2, 2)
    >>> normalize_tuple((1, 3), 2, "dilation_rate")
    (1, 3)
    """
    expected = f"a positive int or a sequence of {rank} positive ints"
    if _is_int(value):
        items: list[object] = [value] * rank
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = list(value)
        if len(items) != rank:
            raise ValueError(f"{name} must be {expected}; got {tuple(items)!r} with {len(items)} entries")
    else:
        raise TypeError(f"{name} must be {expected}; got {value!r}")
    for item in items:
        if not _is_int(item):
            raise TypeError(f"{name} must be {expected}; got {value!r}")
        if int(item) < 1:  # type: ignore[call-overload]
            raise ValueError(f"{name} must be {expected}; got {value!r}")
    return tuple(int(item) for item in items)  # type: ignore[call-overload]


def effective_kernel_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """Extent of a dilated kernel: ``(kernel_size - 1) * dilation_rate + 1``.

    A kernel of ``k`` taps with ``d - 1`` gaps between neighbouring taps
    covers this many input positions.

    Examples
    --------
    >>> effective_kernel_size(3, 2)
    5
    """
    kernel_size = _as_int(kernel_size, "kernel_size", minimum=1)
    dilation_rate = _as_int(dilation_rate, "dilation_rate", minimum=1)
    return (kernel_size - 1) * dilation_rate + 1


def _mode(padding: str, rank: int) -> str:
    mode = padding.lower()
    if mode not in PADDING_MODES:
        raise ValueError(
            f"padding must be 'valid', 'same', 'full', 'causal' (1D only) or explicit amounts; got {padding!r}"
        )
    if mode == "causal" and rank != 1:
        raise ValueError(
            f"padding='causal' is only defined for 1D convolutions (conv1d); got it for a {rank}D convolution"
        )
    return mode


def padding_amounts(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str | int | Sequence[int] = "valid",
    dilation_rate: int = 1,
) -> tuple[int, int]:
    """Zeros added before and after one spatial axis.

    Parameters
    ----------
    input_size : int
        Length of the axis before padding, ``n``.
    kernel_size : int
        Number of kernel taps along the axis, ``k``.
    stride : int, default 1
        Step between neighbouring windows, ``s``.
    padding : str, int or (int, int), default "valid"
        One of

        ``"valid"``
            No padding: only windows that fit entirely inside the input.
        ``"same"``
            TensorFlow's rule. The total is
            ``max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)``; half of it
            (rounded down) goes before, the rest -- one more when the total is
            odd -- after. The output has ``ceil(n / s)`` positions.
        ``"causal"``
            ``(k - 1) * d`` zeros before and none after, so output ``t``
            never sees input later than ``t`` (1D only; see `conv_padding`).
        ``"full"``
            ``(k - 1) * d`` zeros on both sides: every window that overlaps
            the input in at least one position.
        int ``p``
            ``p`` zeros on both sides.
        ``(before, after)``
            Exactly these amounts.
    dilation_rate : int, default 1
        Spacing between kernel taps, ``d``.

    Returns
    -------
    (int, int)
        Zeros before and after the axis.

    Examples
    --------
    An odd total puts the extra zero at the end:

    >>> padding_amounts(5, 2, stride=1, padding="same")
    (0, 1)
    >>> padding_amounts(6, 3, stride=2, padding="same")
    (0, 1)
    >>> padding_amounts(7, 3, stride=2, padding="same")
    (1, 1)
    """
    n = _as_int(input_size, "input_size", minimum=0)
    k = _as_int(kernel_size, "kernel_size", minimum=1)
    s = _as_int(stride, "stride", minimum=1)
    d = _as_int(dilation_rate, "dilation_rate", minimum=1)
    extent = (k - 1) * d + 1
    if isinstance(padding, str):
        mode = _mode(padding, rank=1)
        if mode == "valid":
            return (0, 0)
        if mode == "same":
            total = max((math.ceil(n / s) - 1) * s + extent - n, 0)
            return (total // 2, total - total // 2)
        if mode == "causal":
            return (extent - 1, 0)
        return (extent - 1, extent - 1)  # full
    if _is_int(padding):
        amount = _as_int(padding, "padding", minimum=0)
        return (amount, amount)
    if isinstance(padding, Sequence) and len(padding) == 2 and all(_is_int(p) for p in padding):
        return (_as_int(padding[0], "padding", minimum=0), _as_int(padding[1], "padding", minimum=0))
    raise ValueError(
        "padding must be 'valid', 'same', 'full', 'causal', a non-negative int or a pair "
        f"(before, after) of non-negative ints; got {padding!r}"
    )


def output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str | int | Sequence[int] = "valid",
    dilation_rate: int = 1,
) -> int:
    """Number of output positions along one axis.

    With ``before + after`` zeros of padding (from `padding_amounts`), the
    output has ``floor((n + before + after - ((k - 1) * d + 1)) / s) + 1``
    positions, or 0 when the padded input is shorter than the dilated kernel.

    Parameters are those of `padding_amounts`.

    Examples
    --------
    >>> output_size(6, 2)                    # valid
    5
    >>> output_size(6, 2, padding="same")
    6
    >>> output_size(7, 3, stride=2)          # floor((7 - 3) / 2) + 1
    3
    """
    before, after = padding_amounts(input_size, kernel_size, stride, padding, dilation_rate)
    padded = int(input_size) + before + after
    extent = effective_kernel_size(kernel_size, dilation_rate)
    if padded < extent:
        return 0
    return (padded - extent) // int(stride) + 1


def conv_padding(
    input_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> tuple[tuple[int, int], ...]:
    """Padding ``(before, after)`` for every spatial axis.

    Parameters
    ----------
    input_shape : sequence of int
        Spatial shape of the input, e.g. ``(rows, cols)``; no batch or
        channel axis.
    kernel_size, strides, dilation_rate : int or sequence of int
        One int for every axis, or one per axis.
    padding : str, int or sequence
        A mode (``"valid"``, ``"same"``, ``"full"``, or ``"causal"`` for one
        axis), an int for every side of every axis, or one entry per axis,
        each an int (both sides) or a pair ``(before, after)``. For a single
        axis a bare pair ``(before, after)`` is accepted too.

    Returns
    -------
    tuple of (int, int)
        One pair per spatial axis.

    Examples
    --------
    >>> conv_padding((6, 7), 3, strides=2, padding="same")
    ((0, 1), (1, 1))
    >>> conv_padding((6, 7), 3, padding=((1, 2), 0))
    ((1, 2), (0, 0))
    """
    rank = len(input_shape)
    kernel = normalize_tuple(kernel_size, rank, "kernel_size")
    steps = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    if isinstance(padding, str):
        _mode(padding, rank)
        per_axis: list[object] = [padding] * rank
    elif _is_int(padding):
        per_axis = [padding] * rank
    elif isinstance(padding, Sequence):
        per_axis = list(padding)
        if rank == 1 and len(per_axis) == 2 and all(_is_int(p) for p in per_axis):
            per_axis = [tuple(per_axis)]
        if len(per_axis) != rank:
            raise ValueError(
                f"padding must give one entry per spatial axis ({rank}), each an int or a pair "
                f"(before, after); got {padding!r}"
            )
    else:
        raise TypeError(f"padding must be a string, an int or a sequence; got {padding!r}")
    return tuple(
        padding_amounts(n, k, s, p, d)  # type: ignore[arg-type]
        for n, k, s, p, d in zip(input_shape, kernel, steps, per_axis, dilation, strict=True)
    )


def conv_output_shape(
    input_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> tuple[int, ...]:
    """Spatial shape of a convolution's output.

    Parameters are those of `conv_padding`.

    Returns
    -------
    tuple of int
        Output positions along every spatial axis (0 where the kernel does
        not fit).

    Examples
    --------
    >>> conv_output_shape((4, 4), 2)
    (3, 3)
    >>> conv_output_shape((28, 28), 5, strides=2, padding="same")
    (14, 14)
    """
    rank = len(input_shape)
    kernel = normalize_tuple(kernel_size, rank, "kernel_size")
    steps = normalize_tuple(strides, rank, "strides")
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate")
    pads = conv_padding(input_shape, kernel, steps, padding, dilation)
    return tuple(
        output_size(n, k, s, pad, d) for n, k, s, pad, d in zip(input_shape, kernel, steps, pads, dilation, strict=True)
    )


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of one output position of a stack of layers.

    Attributes
    ----------
    size : int
        Input positions that can influence one output position.
    jump : int
        Input positions between two neighbouring output positions (the
        product of the strides).
    """

    size: int
    jump: int


def receptive_field(layers: Sequence[tuple[int, int, int] | tuple[int, int] | tuple[int]]) -> ReceptiveField:
    """Receptive field of a stack of convolution (or pooling) layers along one axis.

    Starting from one input position (``size = 1, jump = 1``), every layer
    with kernel ``k``, stride ``s`` and dilation ``d`` grows the field by
    ``(k - 1) * d * jump`` and multiplies ``jump`` by ``s``.

    Parameters
    ----------
    layers : sequence of tuple
        One ``(kernel_size, stride, dilation_rate)`` per layer, first layer
        first; ``stride`` and ``dilation_rate`` may be left out (default 1).

    Returns
    -------
    ReceptiveField
        ``size`` and ``jump`` of the last layer's outputs, in input positions.

    Examples
    --------
    Three 3x3 convolutions see 7x7 input positions, as one 7x7 would:

    >>> receptive_field([(3,), (3,), (3,)])
    ReceptiveField(size=7, jump=1)
    >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])   # dilations 1, 2, 4
    ReceptiveField(size=15, jump=1)
    """
    size, jump = 1, 1
    for index, layer in enumerate(layers):
        if not isinstance(layer, Sequence) or not 1 <= len(layer) <= 3:
            raise TypeError(f"layers[{index}] must be a tuple (kernel_size, stride, dilation_rate); got {layer!r}")
        k, s, d = (*layer, 1, 1)[:3]
        k = _as_int(k, f"layers[{index}] kernel_size", minimum=1)
        s = _as_int(s, f"layers[{index}] stride", minimum=1)
        d = _as_int(d, f"layers[{index}] dilation_rate", minimum=1)
        size += (k - 1) * d * jump
        jump *= s
    return ReceptiveField(size=size, jump=jump)


def transpose_output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation_rate: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis (Keras' ``Conv*DTranspose`` rule).

    A transposed convolution maps ``n`` positions back to a length ``L`` from which the forward
    convolution (same kernel, stride, padding, dilation) would produce ``n`` outputs. Several ``L``
    do when ``s > 1``; Keras picks

    - ``"valid"``: ``L = n * s + max(k_eff - s, 0)``,
    - ``"same"``: ``L = n * s``,

    with ``k_eff = (k - 1) * d + 1``, or, when ``output_padding`` is given,
    ``L = (n - 1) * s + k_eff - 2 * pad + output_padding`` with ``pad = 0`` (valid) or
    ``k_eff // 2`` (same).

    Parameters
    ----------
    input_size : int
        Length ``n`` of the transposed convolution's input.
    kernel_size, stride, dilation_rate : int
        As for the forward convolution.
    padding : {"valid", "same"}
        The forward convolution's padding.
    output_padding : int, optional
        Extra positions at the end, ``0 <= output_padding < stride``; picks one of the possible ``L``.

    Returns
    -------
    int

    Examples
    --------
    >>> transpose_output_size(5, 3, stride=2)                 # 5 * 2 + (3 - 2)
    11
    >>> transpose_output_size(5, 3, stride=2, padding="same")
    10
    >>> transpose_output_size(5, 3, stride=2, output_padding=1)
    12
    """
    n = _as_int(input_size, "input_size", minimum=0)
    s = _as_int(stride, "stride", minimum=1)
    extent = effective_kernel_size(kernel_size, dilation_rate)
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"padding of a transposed convolution must be 'valid' or 'same'; got {padding!r}")
    if output_padding is None:
        return n * s + max(extent - s, 0) if mode == "valid" else n * s
    output_padding = _as_int(output_padding, "output_padding", minimum=0)
    if output_padding >= s:
        raise ValueError(f"output_padding must be smaller than the stride ({s}); got {output_padding}")
    pad = 0 if mode == "valid" else extent // 2
    return (n - 1) * s + extent - 2 * pad + output_padding
