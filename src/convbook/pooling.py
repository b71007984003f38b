"""Max and average pooling, as Keras' ``MaxPooling2D`` and ``AveragePooling2D`` compute them.

Pooling slides a window like a convolution but has no weights and treats every channel on its own:
each output is the maximum, or the mean, of one channel's window. Under ``padding="same"`` the padded
positions are *ignored*, not zeros: a max never picks them and a mean divides by the number of real
input values in the window -- TensorFlow's rule. Global average pooling (`global_average_pool`,
Keras' ``GlobalAveragePooling1D`` and ``GlobalAveragePooling2D``) is the mean of each channel over
all positions: one window that covers the whole map.

The ``*_backward`` functions give the gradient with respect to ``x``, as TensorFlow computes it: a max
window sends its whole output gradient to *one* input, the first maximum in the window's row-major
order (TensorFlow's rule for ties, which the ``>`` of a comparison loop gives); an average window
shares its output gradient equally among the real input values it averaged. Overlapping windows
(strides smaller than the pool) add their contributions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from . import shapes
from .arguments import as_real_array, in_computation_dtype

__all__ = [
    "average_pool2d",
    "average_pool2d_backward",
    "average_pool2d_loop",
    "global_average_pool",
    "global_average_pool_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_loop",
]


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


def _check_grad_output(grad_output: object, expected: tuple[int, ...], function: str) -> np.ndarray:
    """``grad_output`` as an array of the forward pass's output shape; ``function`` is the backward one's name."""
    grad = as_real_array(grad_output, "grad_output")
    if grad.shape != tuple(expected):
        forward = function.removesuffix("_backward")
        raise ValueError(
            f"{function}: grad_output must have the shape of {forward}'s output, {tuple(expected)}; got {grad.shape}"
        )
    return grad


def _scatter_taps(weights: np.ndarray, x_shape, pool, steps, pads) -> np.ndarray:
    """Add ``weights[..., p, q]`` back onto the input position that tap (p, q) of each window reads.

    ``weights`` has shape (batch, out_rows, out_cols, channels, ph, pw); the result has ``x_shape``.
    """
    (top, bottom), (left, right) = pads
    batch, rows, cols, channels = x_shape
    out_rows, out_cols = weights.shape[1:3]
    padded = np.zeros((batch, rows + top + bottom, cols + left + right, channels), dtype=weights.dtype)
    for p in range(pool[0]):
        for q in range(pool[1]):
            row_taps = slice(p, p + steps[0] * (out_rows - 1) + 1, steps[0])
            col_taps = slice(q, q + steps[1] * (out_cols - 1) + 1, steps[1])
            padded[:, row_taps, col_taps, :] += weights[..., p, q]
    return padded[:, top : top + rows, left : left + cols, :]


def max_pool2d_backward(
    x: ArrayLike,
    grad_output: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Gradient of `max_pool2d` with respect to ``x``, routed as TensorFlow routes it.

    Each window's output gradient goes to the input that won its max; when several inputs tie for
    the max, to the first of them in the window's row-major order (the rule of TensorFlow's CPU kernel,
    which the parity tests check on inputs full of ties). Padded
    positions never win. Where windows overlap, an input collects the gradient of every window it wins.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, channels)
        The input of the forward pass.
    grad_output : array_like, shape (batch, out_rows, out_cols, channels)
        The gradient of the loss with respect to ``max_pool2d(x, pool_size, strides, padding)``.
    pool_size, strides, padding
        As in `max_pool2d`.

    Returns
    -------
    ndarray, shape (batch, rows, cols, channels)
        The gradient with respect to ``x``, in the computation dtype of ``x`` and ``grad_output``.

    Raises
    ------
    TypeError
        If ``x`` or ``grad_output`` is not an array of real numbers.
    ValueError
        For the errors of `max_pool2d`, or if ``grad_output`` does not have the output's shape.

    Examples
    --------
    The 2 and the 5 win their windows; in the right window, 5 ties with 5 and the first one wins:

    >>> x = np.array([[1.0, 2.0, 5.0, 5.0], [0.0, 1.0, 0.0, 0.0]]).reshape(1, 2, 4, 1)
    >>> max_pool2d_backward(x, np.ones((1, 1, 2, 1)))[0, :, :, 0]
    array([[0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    """
    x, pool, steps, pads, out_shape = _prepare(x, pool_size, strides, padding, "max_pool2d_backward")
    grad = _check_grad_output(grad_output, out_shape, "max_pool2d_backward")
    (x, grad) = in_computation_dtype(x, grad)
    windows = _pool_windows(x, pool, steps, pads, -np.inf).reshape(*out_shape, pool[0] * pool[1])
    winner = windows.argmax(axis=-1)  # np.argmax returns the first maximum: TensorFlow's tie rule
    routed = np.zeros_like(windows, dtype=grad.dtype)
    np.put_along_axis(routed, winner[..., None], grad[..., None], axis=-1)
    return _scatter_taps(routed.reshape(*out_shape, *pool), x.shape, pool, steps, pads)


def average_pool2d_backward(
    x: ArrayLike,
    grad_output: ArrayLike,
    pool_size: int | Sequence[int] = 2,
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
) -> np.ndarray:
    """Gradient of `average_pool2d` with respect to ``x``.

    Each window shares its output gradient equally among the real inputs it averaged: under
    ``padding="same"`` a window that holds ``n`` real values gives each of them ``1/n`` of it.
    Only the shape of ``x`` matters (average pooling is linear).

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, channels)
        The input of the forward pass.
    grad_output : array_like, shape (batch, out_rows, out_cols, channels)
        The gradient of the loss with respect to ``average_pool2d(x, pool_size, strides, padding)``.
    pool_size, strides, padding
        As in `average_pool2d`.

    Returns
    -------
    ndarray, shape (batch, rows, cols, channels)

    Raises
    ------
    TypeError
        If ``x`` or ``grad_output`` is not an array of real numbers.
    ValueError
        For the errors of `average_pool2d`, or if ``grad_output`` does not have the output's shape.

    Examples
    --------
    A 3-pixel row pooled by 2 with same padding: the first window has two values, the last one.

    >>> average_pool2d_backward(np.zeros((1, 1, 3, 1)), np.ones((1, 1, 2, 1)), (1, 2), padding="same")[0, 0, :, 0]
    array([0.5, 0.5, 1. ])
    """
    x, pool, steps, pads, out_shape = _prepare(x, pool_size, strides, padding, "average_pool2d_backward")
    grad = _check_grad_output(grad_output, out_shape, "average_pool2d_backward")
    (x, grad) = in_computation_dtype(x, grad)
    ones = np.ones((1, *x.shape[1:3], 1), dtype=grad.dtype)
    counts = _pool_windows(ones, pool, steps, pads, 0.0).sum(axis=(-2, -1))  # real values per window
    real = _pool_windows(ones, pool, steps, pads, 0.0)  # 1 on a real input, 0 on padding
    shares = (grad / counts)[..., None, None] * real
    return _scatter_taps(shares, x.shape, pool, steps, pads)


def global_average_pool_backward(x: ArrayLike, grad_output: ArrayLike, keepdims: bool = False) -> np.ndarray:
    """Gradient of `global_average_pool` with respect to ``x``: each position gets 1/positions of its channel's.

    Parameters
    ----------
    x : array_like, shape (batch, steps, channels) or (batch, rows, cols, channels)
        The input of the forward pass (only its shape matters).
    grad_output : array_like, shape (batch, channels)
        The gradient with respect to ``global_average_pool(x, keepdims)``: (batch, 1, channels) or
        (batch, 1, 1, channels) with ``keepdims``.
    keepdims : bool, default False
        As in `global_average_pool`.

    Returns
    -------
    ndarray, the shape of ``x``

    Raises
    ------
    TypeError
        If ``x`` or ``grad_output`` is not an array of real numbers, or ``keepdims`` is not a bool.
    ValueError
        For the errors of `global_average_pool`, or if ``grad_output`` does not have the output's shape.

    Examples
    --------
    >>> global_average_pool_backward(np.zeros((1, 2, 2, 1)), np.array([[4.0]]))[0, :, :, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    x = as_real_array(x, "x")
    expected = global_average_pool(x, keepdims).shape  # validates x and keepdims
    grad = _check_grad_output(grad_output, expected, "global_average_pool_backward")
    (x, grad) = in_computation_dtype(x, grad)
    positions = int(np.prod(x.shape[1:-1]))
    spatial = (slice(None), *([None] * (x.ndim - 2)), slice(None))
    per_example = grad.reshape(x.shape[0], x.shape[-1])[spatial]
    return np.broadcast_to(per_example / positions, x.shape).copy()
