"""Max and average pooling, as Keras' ``MaxPooling2D`` and ``AveragePooling2D`` compute them.

Pooling slides a window like a convolution but has no weights and treats every channel on its own:
each output is the maximum, or the mean, of one channel's window. Under ``padding="same"`` the padded
positions are *ignored*, not zeros: a max never picks them and a mean divides by the number of real
input values in the window -- TensorFlow's rule. Global average pooling (`global_average_pool`,
Keras' ``GlobalAveragePooling1D`` and ``GlobalAveragePooling2D``) is the mean of each channel over
all positions: one window that covers the whole map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from . import shapes
from .arguments import as_real_array, in_computation_dtype

__all__ = ["average_pool2d", "average_pool2d_loop", "global_average_pool", "max_pool2d", "max_pool2d_loop"]


def _prepare(x, pool_size, strides, padding, function):
    x = as_real_array(x, "x")
    if x.ndim != 4:
        hint = f"; for a single image add a batch axis: {function}(x[None], ...)" if x.ndim == 3 else ""
        raise ValueError(f"x must have 4 axes (batch, rows, cols, channels); got shape {x.shape}{hint}")
    pool = shapes.normalize_tuple(pool_size, 2, "pool_size")
    steps = pool if strides is None else shapes.normalize_tuple(strides, 2, "strides")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
    pads = shapes.conv_padding(x.shape[1:3], pool, steps, padding.lower())
    out = shapes.conv_output_shape(x.shape[1:3], pool, steps, pads)
    if 0 in out:
        raise ValueError(f"pool_size {pool} is larger than the input {x.shape[1:3]} under padding='valid'")
    (x,) = in_computation_dtype(x)
    return x, pool, steps, pads, (x.shape[0], *out, x.shape[3])


def _pool_windows(x, pool, steps, pads, fill):
    """Windows of the input padded with ``fill``: (batch, out_rows, out_cols, channels, ph, pw)."""
    padded = np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=fill)
    view = sliding_window_view(padded, pool, axis=(1, 2))
    return view[:, :: steps[0], :: steps[1]]


def max_pool2d(
    x: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Max pooling: the largest value of every window, channel by channel (Keras ``MaxPooling2D``).

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, channels)
    pool_size : int or (int, int), default 2
        Window size.
    strides : int or (int, int), optional
        Step between windows; defaults to ``pool_size`` (windows that tile the input).
    padding : {"valid", "same"}, default "valid"
        ``"same"`` pads with TensorFlow's rule (`convbook.shapes.padding_amounts`); padded positions
        never win the max.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, channels)

    Examples
    --------
    >>> x = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 0, 2, 3.0]]).reshape(1, 4, 4, 1)
    >>> max_pool2d(x)[0, :, :, 0]
    array([[4., 5.],
           [9., 3.]])
    """
    x, pool, steps, pads, _ = _prepare(x, pool_size, strides, padding, "max_pool2d")
    return _pool_windows(x, pool, steps, pads, -np.inf).max(axis=(-2, -1))


def average_pool2d(
    x: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Average pooling: the mean of every window, channel by channel (Keras ``AveragePooling2D``).

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, channels)
    pool_size : int or (int, int), default 2
    strides : int or (int, int), optional
        Defaults to ``pool_size``.
    padding : {"valid", "same"}, default "valid"
        Under ``"same"`` the mean is over the window's real input values only.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, channels)

    Examples
    --------
    A 3-pixel row pooled by 2 with same padding: the last window holds one real value.

    >>> average_pool2d(np.array([2.0, 4.0, 9.0]).reshape(1, 1, 3, 1), (1, 2), padding="same")[0, 0, :, 0]
    array([3., 9.])
    """
    x, pool, steps, pads, _ = _prepare(x, pool_size, strides, padding, "average_pool2d")
    sums = _pool_windows(x, pool, steps, pads, 0.0).sum(axis=(-2, -1))
    ones = np.ones((1, *x.shape[1:3], 1), dtype=x.dtype)
    counts = _pool_windows(ones, pool, steps, pads, 0.0).sum(axis=(-2, -1))
    return sums / counts


def max_pool2d_loop(
    x: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """`max_pool2d` as explicit loops over batch, output position and channel (a NaN wins, as in `np.max`)."""
    x, (ph, pw), (sh, sw), ((top, _), (left, _)), out_shape = _prepare(
        x, pool_size, strides, padding, "max_pool2d_loop"
    )
    batch, out_rows, out_cols, channels = out_shape
    y = np.empty(out_shape, dtype=x.dtype)
    for b in range(batch):
        for i in range(out_rows):
            for j in range(out_cols):
                for c in range(channels):
                    best = -np.inf
                    for p in range(ph):
                        for q in range(pw):
                            row, col = i * sh + p - top, j * sw + q - left
                            if 0 <= row < x.shape[1] and 0 <= col < x.shape[2]:  # padding never wins
                                value = x[b, row, col, c]
                                if value > best or np.isnan(value):  # a NaN wins, as in np.max
                                    best = value
                    y[b, i, j, c] = best
    return y


def average_pool2d_loop(
    x: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """`average_pool2d` as explicit loops over batch, output position and channel."""
    x, (ph, pw), (sh, sw), ((top, _), (left, _)), out_shape = _prepare(
        x, pool_size, strides, padding, "average_pool2d_loop"
    )
    batch, out_rows, out_cols, channels = out_shape
    y = np.empty(out_shape, dtype=x.dtype)
    for b in range(batch):
        for i in range(out_rows):
            for j in range(out_cols):
                for c in range(channels):
                    total, count = 0.0, 0
                    for p in range(ph):
                        for q in range(pw):
                            row, col = i * sh + p - top, j * sw + q - left
                            if 0 <= row < x.shape[1] and 0 <= col < x.shape[2]:  # only real values count
                                total += x[b, row, col, c]
                                count += 1
                    y[b, i, j, c] = total / count
    return y


def global_average_pool(x: ArrayLike, keepdims: bool = False) -> np.ndarray:
    """The mean of every channel over all positions (Keras ``GlobalAveragePooling1D`` and ``2D``).

    One number per example and channel, whatever the input's spatial size; no weights.

    Parameters
    ----------
    x : array_like, shape (batch, steps, channels) or (batch, rows, cols, channels)
        Channels last, with a batch axis: a 3-axis array is a batch of sequences, never one image.
        Every spatial axis must have at least one position.
    keepdims : bool, default False
        Keep the spatial axes, with length 1, as Keras' ``keepdims=True`` does.

    Returns
    -------
    ndarray, shape (batch, channels)
        Or (batch, 1, channels) / (batch, 1, 1, channels) with ``keepdims``; in the computation
        dtype (`convbook.arguments.computation_dtype`: integers and bools give float64, float16 gives float32).

    Raises
    ------
    TypeError
        If ``x`` is not an array of real numbers or ``keepdims`` is not a bool.
    ValueError
        If ``x`` does not have 3 or 4 axes, or a spatial axis of ``x`` is empty.

    Examples
    --------
    Channel 0 holds 0, 2, ..., 10 and channel 1 holds 1, 3, ..., 11:

    >>> x = np.arange(12.0).reshape(1, 2, 3, 2)
    >>> global_average_pool(x)
    array([[5., 6.]])
    >>> global_average_pool(x, keepdims=True).shape
    (1, 1, 1, 2)
    """
    x = as_real_array(x, "x")
    if not isinstance(keepdims, bool | np.bool_):
        raise TypeError(f"keepdims must be a bool; got {keepdims!r}")
    if x.ndim not in (3, 4):
        hint = "; for a single example add a batch axis: global_average_pool(x[None])" if x.ndim == 2 else ""
        raise ValueError(
            "x must have 3 axes (batch, steps, channels) or 4 axes (batch, rows, cols, channels); "
            f"got shape {x.shape}{hint}"
        )
    if 0 in x.shape[1:-1]:
        raise ValueError(f"x must have at least one position along every spatial axis; got shape {x.shape}")
    (x,) = in_computation_dtype(x)
    spatial = tuple(range(1, x.ndim - 1))  # every axis but the batch and the channels
    return x.mean(axis=spatial, keepdims=bool(keepdims))
