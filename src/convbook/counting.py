"""Parameters, activations and FLOPs of every layer of a convolutional network, and its receptive field.

A network is described by a list of small layer specifications -- `Conv`, `DepthwiseConv`,
`SeparableConv`, `Pool`, `GlobalAveragePool`, `BatchNorm`, `Dense`, `Flatten`, `ReLU`,
`Activation`, `Dropout`, `ZeroPadding` and `Residual` (two branches added) -- and an input shape
without the batch axis, channels last. `count` walks the list and returns one `LayerCount` per
layer: its output shape, its parameters, its activations (the values it outputs for one example)
and its floating-point operations for one example; `totals` adds them up. `count_keras` does the same
for a built Keras model, reading each layer's configuration (without importing Keras), and
`stack_receptive_field` gives the theoretical receptive field of a stack. `format_counts` prints
the list as a table; `lenet5`, `vgg16`, `resnet18` and `mobilenet` give the stacks of four classic
networks.

How operations are counted (per example, at inference):

- A convolution or a dense layer costs two FLOPs per multiply-add -- the convention of
  `convbook.cost.conv_flops`, which computes them; padding's zeros are multiplied too -- plus one
  addition per output value for the bias. ``macs`` counts the multiply-adds alone, the number most
  papers call "FLOPs" (ResNet-18's 1.8 billion).
- An activation function costs one operation per value it outputs, whatever the function (ReLU's
  ``max(x, 0)``, ReLU6's clipping, a sigmoid); ``"linear"`` none; a softmax three (an exponential,
  its share of the sum, a division). A fused activation (``Conv(..., activation="relu")``) adds
  its operations to its layer's.
- Batch normalization at inference is an affine map per channel, ``x * scale + shift`` with
  ``scale`` and ``shift`` folded from its four parameters once: two per value.
- Max pooling: ``prod(pool_size) - 1`` comparisons per output value; average pooling:
  ``prod(pool_size) - 1`` additions and a division. Windows at a ``"same"`` border are counted whole,
  as the convolutions count padding's zeros. Global average pooling: ``n - 1`` additions and a
  division per channel over ``n`` positions, ``n`` per channel.
- Adding ``k`` tensors: ``k - 1`` per output value. Flattening, dropout (the identity at
  inference) and zero padding: none.

Parameters count every weight a layer stores, as Keras' ``count_params()`` does, including batch
normalization's moving mean and variance; ``trainable_parameters`` leaves those out.

Examples
--------
A LeNet-5-style network on 32 x 32 gray images:

>>> lenet = [
...     Conv(6, 5, activation="relu"),
...     Pool(2),
...     Conv(16, 5, activation="relu"),
...     Pool(2),
...     Flatten(),
...     Dense(120, activation="relu"),
...     Dense(84, activation="relu"),
...     Dense(10),
... ]
>>> counts = count(lenet, (32, 32, 1))
>>> [(c.name, c.output_shape, c.parameters) for c in counts[:3]]
[('conv', (28, 28, 6), 156), ('max_pool', (14, 14, 6), 0), ('conv_1', (10, 10, 16), 2416)]
>>> totals(counts).parameters
61706
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import shapes
from .cost import conv_flops

__all__ = [
    "ACTIVATION_OPERATIONS",
    "Activation",
    "BatchNorm",
    "Conv",
    "Dense",
    "DepthwiseConv",
    "Dropout",
    "Flatten",
    "GlobalAveragePool",
    "LayerCount",
    "LayerSpec",
    "Pool",
    "ReLU",
    "Residual",
    "SeparableConv",
    "Totals",
    "ZeroPadding",
    "count",
    "count_keras",
    "format_counts",
    "lenet5",
    "mobilenet",
    "resnet18",
    "stack_receptive_field",
    "totals",
    "vgg16",
]

#: Operations per output value of each activation function `count` knows (see the module's conventions).
ACTIVATION_OPERATIONS = {
    "linear": 0,
    "relu": 1,
    "relu6": 1,
    "leaky_relu": 1,
    "elu": 1,
    "selu": 1,
    "gelu": 1,
    "silu": 1,
    "swish": 1,
    "sigmoid": 1,
    "hard_sigmoid": 1,
    "tanh": 1,
    "softplus": 1,
    "softsign": 1,
    "softmax": 3,
}


# --- argument checks ---------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(value: object, name: str) -> int:
    if not _is_int(value) or int(value) < 1:  # type: ignore[call-overload]
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)  # type: ignore[call-overload]


def _size(value: object, name: str) -> int | tuple[int, ...]:
    """A kernel size, stride or rate: a positive int, or a tuple of them (one per spatial axis)."""
    if _is_int(value):
        return _positive_int(value, name)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0:
        return tuple(_positive_int(item, name) for item in value)
    raise ValueError(f"{name} must be a positive int or a sequence of positive ints; got {value!r}")


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return value


def _as_tuples(value: object) -> object:
    """Lists (as a configuration read from JSON has them) as tuples, at every depth."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_as_tuples(item) for item in value)
    return value


def _padding(value: object, name: str) -> shapes.Padding:
    if isinstance(value, str):
        if value.lower() not in shapes.PADDING_MODES:
            raise ValueError(f"{name} must be one of {shapes.PADDING_MODES} or explicit amounts; got {value!r}")
        return value.lower()
    if _is_int(value) or isinstance(value, Sequence):
        return _as_tuples(value)  # type: ignore[return-value]
    raise TypeError(f"{name} must be a padding mode name or explicit amounts; got {value!r}")


def _activation(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in ACTIVATION_OPERATIONS:
        raise ValueError(f"{name} must be None or one of {sorted(ACTIVATION_OPERATIONS)}; got {value!r}")
    return value


def _shape(value: object, name: str) -> tuple[int, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of positive ints (no batch axis); got {value!r}")
    if not all(_is_int(n) and int(n) >= 1 for n in value):  # type: ignore[call-overload]
        raise ValueError(f"{name} must be a non-empty sequence of positive ints (no batch axis); got {value!r}")
    return tuple(int(n) for n in value)  # type: ignore[call-overload]


def _spatial(shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    if len(shape) < 2:
        raise ValueError(f"needs an input with spatial axes and a channel axis; got shape {shape}")
    return shape[:-1], shape[-1]


def _nonempty(out: tuple[int, ...], spatial: tuple[int, ...]) -> tuple[int, ...]:
    if 0 in out:
        raise ValueError(f"the window does not fit the input {spatial}: the output would be empty")
    return out


# --- the layer specifications ------------------------------------------------------------------------------------


class _Counts(NamedTuple):
    output_shape: tuple[int, ...]
    parameters: int = 0
    trainable: int = 0
    macs: int = 0
    flops: int = 0


@dataclass(frozen=True)
class LayerSpec:
    """Base class of the layer specifications (`Conv`, `Pool`, ...): frozen, checked when made.

    Every specification takes an optional keyword ``name``, the layer's name in `count`'s list.
    """

    name: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"name must be a string or None; got {self.name!r}")

    def _kind(self) -> str:
        raise NotImplementedError

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        raise NotImplementedError

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        """``(kernel_size, stride, dilation_rate)`` per spatial axis, for the receptive field."""
        return ((1, 1, 1),) * rank


def _set(spec: LayerSpec, name: str, value: object) -> None:
    object.__setattr__(spec, name, value)


def _activation_flops(activation: str | None, values: int) -> int:
    return ACTIVATION_OPERATIONS[activation] * values if activation else 0


@dataclass(frozen=True)
class Conv(LayerSpec):
    """A convolution (Keras ``Conv1D``, ``Conv2D``, ``Conv3D``): ``filters`` kernels over all input channels.

    Parameters
    ----------
    filters : int
        Output channels, ``c_out``.
    kernel_size : int or tuple of int
        Taps per spatial axis (one int for every axis).
    strides, dilation_rate : int or tuple of int, default 1
    padding : str, int or sequence, default "valid"
        Anything `convbook.shapes.conv_output_shape` accepts (Keras takes ``"valid"``, ``"same"`` and, in 1D,
        ``"causal"``).
    groups : int, default 1
        Channel groups; ``c_in`` and ``filters`` must be multiples of it.
    use_bias : bool, default True
    activation : str, optional
        A fused activation, a key of `ACTIVATION_OPERATIONS`.

    Notes
    -----
    On an input of shape ``(*spatial, c_in)`` the output has shape ``(*out_spatial, filters)``, the
    layer ``prod(kernel_size) * (c_in / groups) * filters + filters * use_bias`` parameters, and
    ``2 * prod(out_spatial) * filters * prod(kernel_size) * c_in / groups`` FLOPs plus one per output
    value for the bias.

    Examples
    --------
    >>> c = count([Conv(64, 3, padding="same")], (56, 56, 64))[0]
    >>> c.output_shape, c.parameters, c.flops == 2 * 56 * 56 * 64 * 9 * 64 + 56 * 56 * 64
    ((56, 56, 64), 36928, True)
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    strides: int | tuple[int, ...] = 1
    padding: shapes.Padding = "valid"
    dilation_rate: int | tuple[int, ...] = 1
    groups: int = 1
    use_bias: bool = True
    activation: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "filters", _positive_int(self.filters, "filters"))
        _set(self, "kernel_size", _size(self.kernel_size, "kernel_size"))
        _set(self, "strides", _size(self.strides, "strides"))
        _set(self, "padding", _padding(self.padding, "padding"))
        _set(self, "dilation_rate", _size(self.dilation_rate, "dilation_rate"))
        _set(self, "groups", _positive_int(self.groups, "groups"))
        _set(self, "use_bias", _flag(self.use_bias, "use_bias"))
        _set(self, "activation", _activation(self.activation, "activation"))
        if self.filters % self.groups:
            raise ValueError(f"filters ({self.filters}) must be a multiple of groups ({self.groups})")

    def _kind(self) -> str:
        return "conv"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        spatial, c_in = _spatial(shape)
        rank = len(spatial)
        kernel = shapes.normalize_tuple(self.kernel_size, rank, "kernel_size")
        if c_in % self.groups:
            raise ValueError(f"the input's channels ({c_in}) must be a multiple of groups ({self.groups})")
        out = _nonempty(
            shapes.conv_output_shape(spatial, kernel, self.strides, self.padding, self.dilation_rate), spatial
        )
        c_in_g, values = c_in // self.groups, math.prod(out) * self.filters
        flops = conv_flops(
            (1, *spatial, c_in),
            (*kernel, c_in_g, self.filters),
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            groups=self.groups,
        )
        flops += values * self.use_bias + _activation_flops(self.activation, values)
        parameters = math.prod(kernel) * c_in_g * self.filters + self.filters * self.use_bias
        macs = values * math.prod(kernel) * c_in_g
        return _Counts((*out, self.filters), parameters, parameters, macs, flops)

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        return _window_field(self.kernel_size, self.strides, self.dilation_rate, rank)


def _window_field(kernel_size, strides, dilation_rate, rank: int) -> tuple[tuple[int, int, int], ...]:
    return tuple(
        zip(
            shapes.normalize_tuple(kernel_size, rank, "kernel_size"),
            shapes.normalize_tuple(strides, rank, "strides"),
            shapes.normalize_tuple(dilation_rate, rank, "dilation_rate"),
            strict=True,
        )
    )


@dataclass(frozen=True)
class DepthwiseConv(LayerSpec):
    """A depthwise convolution (Keras ``DepthwiseConv2D``): every input channel filtered on its own.

    ``depth_multiplier`` kernels per input channel: an input ``(*spatial, c_in)`` gives
    ``(*out_spatial, c_in * depth_multiplier)``, with ``prod(kernel_size) * c_in * depth_multiplier``
    weights (plus as many biases as outputs channels) -- a `Conv` with ``groups = c_in``.

    Examples
    --------
    >>> count([DepthwiseConv(3, padding="same", use_bias=False)], (112, 112, 32))[0].parameters
    288
    """

    kernel_size: int | tuple[int, ...]
    strides: int | tuple[int, ...] = 1
    padding: shapes.Padding = "valid"
    depth_multiplier: int = 1
    dilation_rate: int | tuple[int, ...] = 1
    use_bias: bool = True
    activation: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "kernel_size", _size(self.kernel_size, "kernel_size"))
        _set(self, "strides", _size(self.strides, "strides"))
        _set(self, "padding", _padding(self.padding, "padding"))
        _set(self, "depth_multiplier", _positive_int(self.depth_multiplier, "depth_multiplier"))
        _set(self, "dilation_rate", _size(self.dilation_rate, "dilation_rate"))
        _set(self, "use_bias", _flag(self.use_bias, "use_bias"))
        _set(self, "activation", _activation(self.activation, "activation"))

    def _kind(self) -> str:
        return "depthwise_conv"

    def _as_conv(self, c_in: int) -> Conv:
        return Conv(
            c_in * self.depth_multiplier,
            self.kernel_size,
            self.strides,
            self.padding,
            self.dilation_rate,
            groups=c_in,
            use_bias=self.use_bias,
            activation=self.activation,
        )

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        return self._as_conv(_spatial(shape)[1])._counts(shape)

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        return _window_field(self.kernel_size, self.strides, self.dilation_rate, rank)


@dataclass(frozen=True)
class SeparableConv(LayerSpec):
    """A depthwise-separable convolution (Keras ``SeparableConv2D``): a depthwise, then a 1x1 `Conv`.

    The depthwise step has no bias; the 1x1 step has ``filters`` outputs and the bias. Counted as the
    sum of the two steps, as one layer.

    Examples
    --------
    >>> count([SeparableConv(64, 3, padding="same")], (56, 56, 32))[0].parameters   # 9 * 32 + 32 * 64 + 64
    2400
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    strides: int | tuple[int, ...] = 1
    padding: shapes.Padding = "valid"
    depth_multiplier: int = 1
    dilation_rate: int | tuple[int, ...] = 1
    use_bias: bool = True
    activation: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "filters", _positive_int(self.filters, "filters"))
        depthwise = DepthwiseConv(
            self.kernel_size, self.strides, self.padding, self.depth_multiplier, self.dilation_rate, use_bias=False
        )
        for name in ("kernel_size", "strides", "padding", "depth_multiplier", "dilation_rate"):
            _set(self, name, getattr(depthwise, name))
        _set(self, "use_bias", _flag(self.use_bias, "use_bias"))
        _set(self, "activation", _activation(self.activation, "activation"))

    def _kind(self) -> str:
        return "separable_conv"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        depthwise = DepthwiseConv(
            self.kernel_size, self.strides, self.padding, self.depth_multiplier, self.dilation_rate, use_bias=False
        )._counts(shape)
        pointwise = Conv(self.filters, 1, use_bias=self.use_bias, activation=self.activation)._counts(
            depthwise.output_shape
        )
        return _Counts(
            pointwise.output_shape,
            *(a + b for a, b in zip(depthwise[1:], pointwise[1:], strict=True)),
        )

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        return _window_field(self.kernel_size, self.strides, self.dilation_rate, rank)


@dataclass(frozen=True)
class Pool(LayerSpec):
    """Max or average pooling (Keras ``MaxPooling2D``, ``AveragePooling2D``, and their 1D and 3D forms).

    Parameters
    ----------
    pool_size : int or tuple of int, default 2
    strides : int or tuple of int, optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
    kind : {"max", "average"}, default "max"

    Examples
    --------
    >>> c = count([Pool(2)], (4, 4, 3))[0]
    >>> c.output_shape, c.flops      # 12 output values, 3 comparisons each
    ((2, 2, 3), 36)
    >>> count([Pool(2, kind="average")], (4, 4, 3))[0].flops   # 3 additions and a division each
    48
    """

    pool_size: int | tuple[int, ...] = 2
    strides: int | tuple[int, ...] | None = None
    padding: str = "valid"
    kind: str = "max"

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "pool_size", _size(self.pool_size, "pool_size"))
        if self.strides is not None:
            _set(self, "strides", _size(self.strides, "strides"))
        if not isinstance(self.padding, str) or self.padding.lower() not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same'; got {self.padding!r}")
        _set(self, "padding", self.padding.lower())
        if self.kind not in ("max", "average"):
            raise ValueError(f"kind must be 'max' or 'average'; got {self.kind!r}")

    def _kind(self) -> str:
        return f"{self.kind}_pool"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        spatial, channels = _spatial(shape)
        pool = shapes.normalize_tuple(self.pool_size, len(spatial), "pool_size")
        strides = pool if self.strides is None else self.strides
        out = _nonempty(shapes.conv_output_shape(spatial, pool, strides, self.padding), spatial)
        values = math.prod(out) * channels
        per_value = math.prod(pool) - (self.kind == "max")
        return _Counts((*out, channels), flops=values * per_value)

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        return _window_field(self.pool_size, self.pool_size if self.strides is None else self.strides, 1, rank)


@dataclass(frozen=True)
class GlobalAveragePool(LayerSpec):
    """The mean of every channel over all positions (Keras ``GlobalAveragePooling1D``/``2D``/``3D``).

    An input ``(*spatial, c)`` gives ``(c,)``, or ``(1, ..., 1, c)`` with ``keepdims``; ``prod(spatial)``
    operations per channel.

    Examples
    --------
    >>> c = count([GlobalAveragePool()], (7, 7, 512))[0]
    >>> c.output_shape, c.flops == 7 * 7 * 512
    ((512,), True)
    """

    keepdims: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _flag(self.keepdims, "keepdims")

    def _kind(self) -> str:
        return "global_average_pool"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        spatial, channels = _spatial(shape)
        out = (*(1,) * len(spatial), channels) if self.keepdims else (channels,)
        return _Counts(out, flops=math.prod(shape))

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        raise ValueError("it mixes every position: what follows sees the whole input")


@dataclass(frozen=True)
class BatchNorm(LayerSpec):
    """Batch normalization over the last (channel) axis (Keras ``BatchNormalization``).

    ``c`` channels store a moving mean and a moving variance (not trained) and, with ``scale`` and
    ``center``, a trained ``gamma`` and ``beta``: ``(2 + scale + center) * c`` parameters. At inference,
    two operations per value.

    Examples
    --------
    >>> c = count([BatchNorm()], (56, 56, 64))[0]
    >>> c.parameters, c.trainable_parameters
    (256, 128)
    """

    center: bool = True
    scale: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _flag(self.center, "center")
        _flag(self.scale, "scale")

    def _kind(self) -> str:
        return "batch_norm"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        channels, trained = shape[-1], self.center + self.scale
        return _Counts(shape, (2 + trained) * channels, trained * channels, 0, 2 * math.prod(shape))


@dataclass(frozen=True)
class Dense(LayerSpec):
    """A fully connected layer over the last axis (Keras ``Dense``).

    An input ``(..., n)`` gives ``(..., units)``: ``n * units + units * use_bias`` parameters, and
    ``2 * n * units`` FLOPs (plus ``units`` for the bias) for every position of the leading axes.

    Examples
    --------
    >>> c = count([Dense(10)], (784,))[0]
    >>> c.parameters, c.macs, c.flops
    (7850, 7840, 15690)
    """

    units: int
    use_bias: bool = True
    activation: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _set(self, "units", _positive_int(self.units, "units"))
        _flag(self.use_bias, "use_bias")
        _set(self, "activation", _activation(self.activation, "activation"))

    def _kind(self) -> str:
        return "dense"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        n, positions = shape[-1], math.prod(shape[:-1])
        values = positions * self.units
        parameters = n * self.units + self.units * self.use_bias
        macs = values * n
        flops = 2 * macs + values * self.use_bias + _activation_flops(self.activation, values)
        return _Counts((*shape[:-1], self.units), parameters, parameters, macs, flops)


@dataclass(frozen=True)
class Flatten(LayerSpec):
    """All axes as one (Keras ``Flatten``): ``(*spatial, c)`` becomes ``(prod(spatial) * c,)``; no operations."""

    def _kind(self) -> str:
        return "flatten"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        return _Counts((math.prod(shape),))

    def _field(self, rank: int) -> tuple[tuple[int, int, int], ...]:
        raise ValueError("it mixes every position: what follows sees the whole input")


@dataclass(frozen=True)
class ReLU(LayerSpec):
    """``max(x, 0)``, or ``min(max(x, 0), max_value)`` (Keras ``ReLU``; ``max_value=6`` is ReLU6).

    One operation per value, with or without ``max_value``.
    """

    max_value: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_value is not None and (
            not isinstance(self.max_value, numbers.Real) or isinstance(self.max_value, bool) or self.max_value <= 0
        ):
            raise ValueError(f"max_value must be None or a positive number; got {self.max_value!r}")

    def _kind(self) -> str:
        return "relu"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        return _Counts(shape, flops=math.prod(shape))


@dataclass(frozen=True)
class Activation(LayerSpec):
    """An activation function as a layer (Keras ``Activation``), a key of `ACTIVATION_OPERATIONS`.

    Examples
    --------
    >>> count([Activation("softmax")], (10,))[0].flops
    30
    """

    function: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.function, str) or self.function not in ACTIVATION_OPERATIONS:
            raise ValueError(f"function must be one of {sorted(ACTIVATION_OPERATIONS)}; got {self.function!r}")

    def _kind(self) -> str:
        return "activation"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        return _Counts(shape, flops=_activation_flops(self.function, math.prod(shape)))


@dataclass(frozen=True)
class Dropout(LayerSpec):
    """Dropout (Keras ``Dropout``): the identity at inference, no operations."""

    rate: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.rate, numbers.Real) or isinstance(self.rate, bool) or not 0 <= self.rate < 1:
            raise ValueError(f"rate must be a number in [0, 1); got {self.rate!r}")

    def _kind(self) -> str:
        return "dropout"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        return _Counts(shape)


@dataclass(frozen=True)
class ZeroPadding(LayerSpec):
    """Zeros around every spatial axis (Keras ``ZeroPadding1D``/``2D``/``3D``); no operations.

    ``padding`` is an int for every side of every axis, or one entry per axis, an int or a pair
    ``(before, after)``.

    Examples
    --------
    >>> count([ZeroPadding(((0, 1), (2, 3)))], (6, 6, 1))[0].output_shape
    (7, 11, 1)
    """

    padding: int | tuple = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.padding, str):
            raise ValueError(
                f"padding must be an int or one int or pair (before, after) per axis; got {self.padding!r}"
            )
        _set(self, "padding", _padding(self.padding, "padding"))

    def _kind(self) -> str:
        return "zero_padding"

    def _counts(self, shape: tuple[int, ...]) -> _Counts:
        spatial, channels = _spatial(shape)
        pads = shapes.conv_padding(spatial, 1, 1, self.padding)
        return _Counts((*(n + before + after for n, (before, after) in zip(spatial, pads, strict=True)), channels))


@dataclass(frozen=True)
class Residual(LayerSpec):
    """Two paths from one input, added: ``branch(x) + shortcut(x)``; an empty shortcut is ``x`` itself.

    `count` lists the branch's layers, then the shortcut's, then the addition (kind ``"add"``,
    named ``name`` if given); the two outputs must have the same shape. For the receptive field, the
    path that sees more.

    Examples
    --------
    >>> block = Residual([Conv(8, 3, padding="same"), ReLU(), Conv(8, 3, padding="same")])
    >>> [(c.kind, c.parameters) for c in count([block], (10, 10, 8))]
    [('conv', 584), ('relu', 0), ('conv', 584), ('add', 0)]
    """

    branch: Sequence[LayerSpec] = ()
    shortcut: Sequence[LayerSpec] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        for path in ("branch", "shortcut"):
            layers = getattr(self, path)
            if isinstance(layers, LayerSpec) or not isinstance(layers, Sequence):
                raise TypeError(f"{path} must be a sequence of layer specifications; got {layers!r}")
            _set(self, path, tuple(layers))
        if not self.branch:
            raise ValueError("branch must hold at least one layer")

    def _kind(self) -> str:
        return "add"


@dataclass(frozen=True)
class _Add(LayerSpec):
    """The sum of ``k`` tensors of one shape (Keras ``Add``): ``k - 1`` additions per value."""

    def _kind(self) -> str:
        return "add"


def _count_add(input_shapes: Sequence[tuple[int, ...]]) -> _Counts:
    first = input_shapes[0]
    if len(input_shapes) < 2 or any(other != first for other in input_shapes):
        raise ValueError(f"needs two or more inputs of one shape; got shapes {list(input_shapes)}")
    return _Counts(first, flops=(len(input_shapes) - 1) * math.prod(first))


# --- counting ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerCount:
    """What one layer costs, for one example.

    Attributes
    ----------
    name : str
        The layer's name: its ``name``, or its kind numbered as Keras numbers names (``conv``,
        ``conv_1``, ...); a Keras layer's own name for `count_keras`.
    kind : str
        ``"conv"``, ``"depthwise_conv"``, ``"separable_conv"``, ``"max_pool"``, ``"average_pool"``,
        ``"global_average_pool"``, ``"batch_norm"``, ``"dense"``, ``"flatten"``, ``"relu"``,
        ``"activation"``, ``"dropout"``, ``"zero_padding"`` or ``"add"``.
    output_shape : tuple of int
        The output's shape without the batch axis.
    parameters : int
        Every number the layer stores (Keras' ``count_params()``).
    trainable_parameters : int
        Those that training changes (all but batch normalization's moving statistics).
    activations : int
        Values of the output, ``prod(output_shape)``: what the layer keeps in memory per example.
    macs : int
        Multiply-adds of the convolutions and dense layers (0 for the others).
    flops : int
        Floating-point operations, by the module's conventions (two per multiply-add).
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int
    trainable_parameters: int
    activations: int
    macs: int
    flops: int


@dataclass(frozen=True)
class Totals:
    """Sums over the layers of `count` (per example), and the largest single output.

    Attributes
    ----------
    parameters, trainable_parameters, activations, macs, flops : int
        Sums of the `LayerCount` fields of the same names.
    largest_activations : int
        The largest ``activations`` of one layer.
    """

    parameters: int
    trainable_parameters: int
    activations: int
    largest_activations: int
    macs: int
    flops: int


def _record(
    kind: str, name: str | None, counts: _Counts, names: Counter[str], results: list[LayerCount]
) -> tuple[int, ...]:
    if name is None:
        name = kind if names[kind] == 0 else f"{kind}_{names[kind]}"
        names[kind] += 1
    results.append(
        LayerCount(
            name=name,
            kind=kind,
            output_shape=counts.output_shape,
            parameters=counts.parameters,
            trainable_parameters=counts.trainable,
            activations=math.prod(counts.output_shape),
            macs=counts.macs,
            flops=counts.flops,
        )
    )
    return counts.output_shape


def _count_one(spec: LayerSpec, shape: tuple[int, ...], where: str) -> _Counts:
    try:
        return spec._counts(shape)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{where} ({type(spec).__name__}) on an input of shape {shape}: {error}") from error


def _count_stack(
    layers: Sequence[LayerSpec], shape: tuple[int, ...], where: str, names: Counter[str], results: list[LayerCount]
) -> tuple[int, ...]:
    if isinstance(layers, LayerSpec) or not isinstance(layers, Sequence):
        raise TypeError(f"{where} must be a sequence of layer specifications; got {layers!r}")
    for index, spec in enumerate(layers):
        here = f"{where}[{index}]"
        if not isinstance(spec, LayerSpec) or type(spec) is _Add:
            raise TypeError(f"{here} must be a layer specification (Conv, Pool, Dense, ...); got {spec!r}")
        if isinstance(spec, Residual):
            branch = _count_stack(spec.branch, shape, f"{here}.branch", names, results)
            shortcut = _count_stack(spec.shortcut, shape, f"{here}.shortcut", names, results)
            if branch != shortcut:
                raise ValueError(
                    f"{here} (Residual): the branch's output shape {branch} differs from the shortcut's "
                    f"{shortcut}; they must be equal to be added"
                )
            shape = _record("add", spec.name, _count_add([branch, shortcut]), names, results)
        else:
            shape = _record(spec._kind(), spec.name, _count_one(spec, shape, here), names, results)
    return shape


def count(layers: Sequence[LayerSpec], input_shape: Sequence[int]) -> list[LayerCount]:
    """Output shape, parameters, activations and FLOPs of every layer of a stack, for one example.

    Parameters
    ----------
    layers : sequence of layer specifications
        `Conv`, `DepthwiseConv`, `SeparableConv`, `Pool`, `GlobalAveragePool`, `BatchNorm`,
        `Dense`, `Flatten`, `ReLU`, `Activation`, `Dropout`, `ZeroPadding`, `Residual`; first
        layer first.
    input_shape : sequence of int
        The input without the batch axis, channels last: ``(rows, cols, channels)`` for 2D
        layers, ``(steps, channels)`` for 1D, ``(features,)`` for a dense stack.

    Returns
    -------
    list of LayerCount
        One per layer, in order; a `Residual` gives its branch's layers, its shortcut's, and the
        addition.

    Raises
    ------
    TypeError
        If an entry of ``layers`` is not a layer specification.
    ValueError
        If ``input_shape`` is not a sequence of positive ints, or a layer does not fit its input (a
        window larger than a ``"valid"`` input, channels not divisible by ``groups``, two residual
        paths of different shapes); the message names the layer, e.g. ``layers[3]``.

    Examples
    --------
    >>> layers = [Conv(8, 3, strides=2, padding="same"), GlobalAveragePool()]
    >>> [(c.kind, c.output_shape) for c in count(layers, (9, 9, 3))]
    [('conv', (5, 5, 8)), ('global_average_pool', (8,))]
    """
    shape = _shape(input_shape, "input_shape")
    results: list[LayerCount] = []
    _count_stack(layers, shape, "layers", Counter(), results)
    return results


def totals(counts: Sequence[LayerCount]) -> Totals:
    """Parameters, activations, multiply-adds and FLOPs of a whole network: the sums over `count`'s list.

    Examples
    --------
    >>> t = totals(count([Conv(4, 3), ReLU()], (5, 5, 1)))
    >>> t.parameters, t.activations, t.largest_activations, t.flops   # 9 * 4 + 4; 2 x 36 values; 36 * 19 + 36
    (40, 72, 36, 720)
    """
    counts = list(counts)
    if not all(isinstance(c, LayerCount) for c in counts):
        raise TypeError("counts must be a sequence of LayerCount, as count() and count_keras() return")
    return Totals(
        parameters=sum(c.parameters for c in counts),
        trainable_parameters=sum(c.trainable_parameters for c in counts),
        activations=sum(c.activations for c in counts),
        largest_activations=max((c.activations for c in counts), default=0),
        macs=sum(c.macs for c in counts),
        flops=sum(c.flops for c in counts),
    )


def format_counts(counts: Sequence[LayerCount]) -> str:
    """A table of `count`'s list, one line per layer and a line of totals (exact integers).

    Examples
    --------
    >>> print(format_counts(count([Conv(4, 3), Flatten(), Dense(2)], (5, 5, 1))))
    layer    kind     output shape  parameters  activations  FLOPs
    conv     conv     (3, 3, 4)             40           36    684
    flatten  flatten  (36,)                  0           36      0
    dense    dense    (2,)                  74            2    146
    total                                  114           74    830
    """
    total = totals(counts)
    rows = [("layer", "kind", "output shape", "parameters", "activations", "FLOPs")]
    rows += [(c.name, c.kind, str(c.output_shape), str(c.parameters), str(c.activations), str(c.flops)) for c in counts]
    rows.append(("total", "", "", str(total.parameters), str(total.activations), str(total.flops)))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = []
    for row in rows:
        left = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)]
        right = [cell.rjust(width) for cell, width in zip(row[3:], widths[3:], strict=True)]
        lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines)


# --- Keras models ------------------------------------------------------------------------------------------------


def _keras_activation(config: dict[str, Any], layer_name: str) -> str | None:
    activation = config.get("activation", "linear")
    if activation in (None, "linear"):
        return None
    if not isinstance(activation, str) or activation not in ACTIVATION_OPERATIONS:
        raise ValueError(
            f"layer {layer_name!r}: activation {activation!r} is not counted; known: {sorted(ACTIVATION_OPERATIONS)}"
        )
    return activation


def _spec_from_keras(layer: Any) -> LayerSpec:
    """The layer specification of a Keras layer, from its class name and ``get_config()``."""
    kind, name = type(layer).__name__, layer.name
    config = layer.get_config()
    if config.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"layer {name!r} ({kind}): only channels_last is counted; got {config['data_format']!r}")
    base = kind[:-2] if kind[-2:] in ("1D", "2D", "3D") else kind
    if base == "Conv":
        return Conv(
            config["filters"],
            tuple(config["kernel_size"]),
            tuple(config["strides"]),
            config["padding"],
            tuple(config["dilation_rate"]),
            groups=config.get("groups", 1),
            use_bias=config["use_bias"],
            activation=_keras_activation(config, name),
        )
    if base == "DepthwiseConv":
        return DepthwiseConv(
            tuple(config["kernel_size"]),
            tuple(config["strides"]),
            config["padding"],
            config["depth_multiplier"],
            tuple(config["dilation_rate"]),
            use_bias=config["use_bias"],
            activation=_keras_activation(config, name),
        )
    if base == "SeparableConv":
        return SeparableConv(
            config["filters"],
            tuple(config["kernel_size"]),
            tuple(config["strides"]),
            config["padding"],
            config["depth_multiplier"],
            tuple(config["dilation_rate"]),
            use_bias=config["use_bias"],
            activation=_keras_activation(config, name),
        )
    if base in ("MaxPooling", "AveragePooling"):
        strides = config.get("strides")
        return Pool(
            tuple(config["pool_size"]),
            None if strides is None else tuple(strides),
            config["padding"],
            kind="max" if base.startswith("Max") else "average",
        )
    if base == "GlobalAveragePooling":
        return GlobalAveragePool(keepdims=bool(config.get("keepdims", False)))
    if kind == "BatchNormalization":
        axis = config["axis"]
        if (
            axis not in (-1, [-1], (-1,))
            and axis != len(layer.input.shape) - 1
            and axis != [len(layer.input.shape) - 1]
        ):
            raise ValueError(f"layer {name!r} (BatchNormalization): only the last axis is counted; got axis={axis!r}")
        return BatchNorm(center=config["center"], scale=config["scale"])
    if kind == "Dense":
        return Dense(config["units"], use_bias=config["use_bias"], activation=_keras_activation(config, name))
    if kind == "Flatten":
        return Flatten()
    if kind == "ReLU":
        if config.get("negative_slope") or config.get("threshold"):
            raise ValueError(f"layer {name!r} (ReLU): a negative_slope or threshold is not counted")
        return ReLU(max_value=config.get("max_value"))
    if kind == "Activation":
        activation = _keras_activation(config, name)
        return Activation("linear" if activation is None else activation)
    if kind in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
        return Dropout(config["rate"])
    if base == "ZeroPadding":
        return ZeroPadding(config["padding"])
    if kind == "Add":
        return _Add()
    raise ValueError(
        f"layer {name!r} is a {kind}, which count_keras does not count; it counts Conv1D/2D/3D, DepthwiseConv, "
        "SeparableConv, MaxPooling, AveragePooling, GlobalAveragePooling, BatchNormalization, Dense, Flatten, "
        "ReLU, Activation, Dropout, ZeroPadding, Add and nested models"
    )


def _keras_input_shapes(layer: Any) -> list[tuple[int, ...]]:
    try:
        inputs = layer.input
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"layer {layer.name!r} has no input yet: build the model on a keras.Input (or call model.build) first"
        ) from error
    tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    shapes_ = []
    for tensor in tensors:
        shape = tuple(tensor.shape[1:])
        if not all(_is_int(n) for n in shape):
            raise ValueError(
                f"layer {layer.name!r}: its input shape {shape} is not fixed; give keras.Input a full shape"
            )
        shapes_.append(shape)
    return shapes_


def count_keras(model: Any) -> list[LayerCount]:
    """`count` for a built Keras model: one `LayerCount` per layer, read from each layer's configuration.

    Keras is not imported: each layer is recognised by its class name (``Conv2D``, ``DepthwiseConv2D``,
    ``SeparableConv2D``, their 1D and 3D forms, ``MaxPooling2D``, ``AveragePooling2D``,
    ``GlobalAveragePooling2D``, ``BatchNormalization``, ``Dense``, ``Flatten``, ``ReLU``,
    ``Activation``, ``Dropout``, ``ZeroPadding2D``, ``Add``) and counted from ``get_config()`` and the
    shape of its input, by the same rules as `count`. ``InputLayer`` is skipped; a nested model's
    layers are listed in its place.

    Parameters
    ----------
    model : keras.Model
        A ``keras.Sequential`` or functional model built on inputs of fixed shape (``keras.Input``),
        channels last. Each layer is counted once, at its first call.

    Returns
    -------
    list of LayerCount
        In the order of ``model.layers``, named as in Keras.

    Raises
    ------
    ValueError
        If a layer is of a type not listed above (the message names the layer), has a fused
        activation not in `ACTIVATION_OPERATIONS`, or has no input of fixed shape.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"model must be a Keras model (with .layers); got {type(model).__name__}")
    results: list[LayerCount] = []
    for layer in layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if getattr(layer, "layers", None) is not None:
            results.extend(count_keras(layer))
            continue
        spec = _spec_from_keras(layer)
        inputs = _keras_input_shapes(layer)
        where = f"layer {layer.name!r}"
        if isinstance(spec, _Add):
            try:
                counts = _count_add(inputs)
            except ValueError as error:
                raise ValueError(f"{where} (Add): {error}") from error
        elif len(inputs) != 1:
            raise ValueError(f"{where} ({kind}) has {len(inputs)} inputs; it must have one")
        else:
            counts = _count_one(spec, inputs[0], where)
        _record(spec._kind(), layer.name, counts, Counter(), results)
    return results


# --- receptive field ---------------------------------------------------------------------------------------------


def _fields(layers: Sequence[LayerSpec], rank: int, where: str) -> tuple[shapes.ReceptiveField, ...]:
    if isinstance(layers, LayerSpec) or not isinstance(layers, Sequence):
        raise TypeError(f"{where} must be a sequence of layer specifications; got {layers!r}")
    per_axis: list[list[tuple[int, int, int]]] = [[] for _ in range(rank)]
    for index, spec in enumerate(layers):
        here = f"{where}[{index}]"
        if not isinstance(spec, LayerSpec) or type(spec) is _Add:
            raise TypeError(f"{here} must be a layer specification (Conv, Pool, Dense, ...); got {spec!r}")
        if isinstance(spec, Residual):
            branch = _fields(spec.branch, rank, f"{here}.branch")
            shortcut = _fields(spec.shortcut, rank, f"{here}.shortcut")
            if any(b.jump != s.jump for b, s in zip(branch, shortcut, strict=True)):
                raise ValueError(
                    f"{here} (Residual): the branch's strides multiply to {[b.jump for b in branch]}, the "
                    f"shortcut's to {[s.jump for s in shortcut]}; they must be equal"
                )
            # A block with field (S, J) acts on what comes before it as one layer of kernel S and stride J.
            window = tuple((max(b.size, s.size), b.jump, 1) for b, s in zip(branch, shortcut, strict=True))
        else:
            try:
                window = spec._field(rank)
            except (ValueError, TypeError) as error:
                raise type(error)(f"{here} ({type(spec).__name__}): {error}") from error
        for axis in range(rank):
            per_axis[axis].append(window[axis])
    return tuple(shapes.receptive_field(axis) for axis in per_axis)


def stack_receptive_field(layers: Sequence[LayerSpec], rank: int = 2) -> tuple[shapes.ReceptiveField, ...]:
    """Theoretical receptive field of a stack of layer specifications, one per spatial axis.

    Every convolution and pooling layer is a window ``(kernel_size, strides, dilation_rate)`` for
    `convbook.shapes.receptive_field`; the layers that act on each position alone (batch norm,
    activations, dropout, zero padding, a dense layer over the channels) change nothing; a
    `Residual` block acts as one window, the larger of its two paths' fields (their strides must
    agree).

    Parameters
    ----------
    layers : sequence of layer specifications
        Up to, not including, the first `Flatten` or `GlobalAveragePool`: after them every
        output sees the whole input.
    rank : int, default 2
        Number of spatial axes.

    Returns
    -------
    tuple of convbook.shapes.ReceptiveField
        ``size`` and ``jump`` along every spatial axis, in input positions.

    Raises
    ------
    ValueError
        If a layer mixes every position (`Flatten`, `GlobalAveragePool`) or a residual block's
        paths have different strides; the message names the layer.

    Examples
    --------
    >>> stack_receptive_field([Conv(8, 3), Conv(8, 3), Pool(2), Conv(8, 3)])
    (ReceptiveField(size=10, jump=2), ReceptiveField(size=10, jump=2))
    >>> stack_receptive_field([Residual([Conv(8, 3, padding="same"), Conv(8, 3, padding="same")])], rank=1)
    (ReceptiveField(size=5, jump=1),)
    """
    rank = _positive_int(rank, "rank")
    return _fields(layers, rank, "layers")


# --- classic architectures ---------------------------------------------------------------------------------------


def lenet5(classes: int = 10) -> list[LayerSpec]:
    """A LeNet-5-style network for 32 x 32 x 1 images: two 5x5 convolutions with pooling, three dense layers.

    The usual modern rendering: max pooling and ReLU in place of the original's trained subsampling
    and sigmoids, every map of the second convolution connected to all six of the first. 61,706
    parameters for 10 classes.

    Examples
    --------
    >>> totals(count(lenet5(), (32, 32, 1))).parameters
    61706
    """
    relu = "relu"
    return [
        Conv(6, 5, activation=relu),
        Pool(2),
        Conv(16, 5, activation=relu),
        Pool(2),
        Flatten(),
        Dense(120, activation=relu),
        Dense(84, activation=relu),
        Dense(_positive_int(classes, "classes")),
    ]


def vgg16(classes: int = 1000, dense_units: int = 4096) -> list[LayerSpec]:
    """VGG-16 (configuration D): thirteen 3x3 convolutions in five stages, each halved by 2x2 max pooling,
    and three dense layers. 138,357,544 parameters on 224 x 224 x 3 images with 1000 classes.

    Examples
    --------
    >>> totals(count(vgg16(), (224, 224, 3))).parameters
    138357544
    """
    layers: list[LayerSpec] = []
    for filters, convolutions in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [Conv(filters, 3, padding="same", activation="relu") for _ in range(convolutions)]
        layers.append(Pool(2))
    dense_units = _positive_int(dense_units, "dense_units")
    return [
        *layers,
        Flatten(),
        Dense(dense_units, activation="relu"),
        Dense(dense_units, activation="relu"),
        Dense(_positive_int(classes, "classes")),
    ]


def resnet18(classes: int = 1000) -> list[LayerSpec]:
    """ResNet-18: a 7x7 stride-2 stem and max pooling, eight basic residual blocks, global average pooling.

    Each block is two 3x3 convolutions (no bias, batch norm after each) added to its input; the first
    block of stages 2 to 4 halves the map with stride 2 and doubles the channels, its shortcut a 1x1
    stride-2 convolution with batch norm. 11,689,512 trainable parameters with 1000 classes.

    Examples
    --------
    >>> totals(count(resnet18(), (224, 224, 3))).trainable_parameters
    11689512
    """
    layers: list[LayerSpec] = [
        Conv(64, 7, strides=2, padding="same", use_bias=False),
        BatchNorm(),
        ReLU(),
        Pool(3, strides=2, padding="same"),
    ]
    for stage, filters in enumerate((64, 128, 256, 512)):
        for block in range(2):
            strides = 2 if stage > 0 and block == 0 else 1
            branch = [
                Conv(filters, 3, strides=strides, padding="same", use_bias=False),
                BatchNorm(),
                ReLU(),
                Conv(filters, 3, padding="same", use_bias=False),
                BatchNorm(),
            ]
            shortcut = [Conv(filters, 1, strides=strides, use_bias=False), BatchNorm()] if strides > 1 else []
            layers += [Residual(branch, shortcut), ReLU()]
    return [*layers, GlobalAveragePool(), Dense(_positive_int(classes, "classes"))]


def mobilenet(classes: int = 1000) -> list[LayerSpec]:
    """MobileNet (v1, width 1): a 3x3 stride-2 convolution, then 13 depthwise-separable blocks.

    Each block is a 3x3 depthwise convolution and a 1x1 convolution, both without bias and followed
    by batch norm and ReLU6, as separate layers; global average pooling and a dense layer end it.
    4,231,976 trainable parameters with 1000 classes, as Keras' ``MobileNet``.

    Examples
    --------
    >>> totals(count(mobilenet(), (224, 224, 3))).trainable_parameters
    4231976
    """
    layers: list[LayerSpec] = [Conv(32, 3, strides=2, padding="same", use_bias=False), BatchNorm(), ReLU(6.0)]
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), *[(512, 1)] * 5, (1024, 2), (1024, 1)]
    for filters, strides in blocks:
        layers += [
            DepthwiseConv(3, strides=strides, padding="same", use_bias=False),
            BatchNorm(),
            ReLU(6.0),
            Conv(filters, 1, use_bias=False),
            BatchNorm(),
            ReLU(6.0),
        ]
    return [*layers, GlobalAveragePool(), Dense(_positive_int(classes, "classes"))]
