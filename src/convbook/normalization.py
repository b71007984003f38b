"""Batch normalization after a convolution, as Keras' ``BatchNormalization`` computes it, and its folding.

Batch normalization treats every channel on its own. For channel ``c`` it takes a mean and a variance
over the batch *and every position* (a feature map is one feature, seen at many places), normalizes,
then scales by ``gamma[c]`` and shifts by ``beta[c]``::

    y = gamma * (x - mean) / sqrt(variance + epsilon) + beta

In training the mean and the (biased) variance are the batch's own (`batch_norm_statistics`), and
running averages of them are kept (`moving_statistics`); in inference the running averages are used,
so the layer is a fixed per-channel affine map -- which `fold_batch_norm` folds into the kernel and
bias of the convolution before it. `batch_norm_backward` gives the gradients of both modes.

Keras' defaults are used throughout: ``epsilon=1e-3``, ``momentum=0.99``, channels last.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .arguments import as_real_array, computation_dtype

__all__ = [
    "BatchNormGradients",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_statistics",
    "fold_batch_norm",
    "moving_statistics",
]

#: Keras' ``BatchNormalization(epsilon=1e-3)``: added to the variance before the square root.
EPSILON = 1e-3

#: Keras' ``BatchNormalization(momentum=0.99)``: the weight of the old running average in each update.
MOMENTUM = 0.99


class BatchNormGradients(NamedTuple):
    """Gradients of a loss with respect to batch normalization's input and parameters.

    Attributes
    ----------
    dx : ndarray, the shape of ``x``
    dgamma : ndarray, shape (channels,)
    dbeta : ndarray, shape (channels,)
    """

    dx: np.ndarray
    dgamma: np.ndarray
    dbeta: np.ndarray


def _check_x(x: object, function: str) -> np.ndarray:
    x = as_real_array(x, "x")
    if x.ndim < 2:
        raise ValueError(
            f"x must have a batch axis and a channel axis, (batch, ..., channels); got shape {x.shape}; "
            f"for one example use {function}(x[None], ...)"
        )
    return x


def _check_channels(value: object, name: str, channels: int) -> np.ndarray:
    array = as_real_array(value, name)
    if array.shape != (channels,):
        raise ValueError(f"{name} must have shape (channels,) = ({channels},); got shape {array.shape}")
    return array


def _check_epsilon(epsilon: object) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float | np.floating | np.integer):
        raise TypeError(f"epsilon must be a positive number; got {epsilon!r}")
    if not 0 < epsilon < np.inf:
        raise ValueError(f"epsilon must be positive and finite; got {epsilon!r}")
    return float(epsilon)


def _statistics_or_batch(
    x: np.ndarray, mean: object, variance: object, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The given statistics (inference), or the batch's (training), and whether they were given."""
    if (mean is None) != (variance is None):
        raise ValueError("mean and variance must be given together (inference) or both left out (training)")
    if mean is None:  # the batch's statistics, taken in the computation dtype (not x's, if that is narrower)
        mean, variance = batch_norm_statistics(x.astype(dtype, copy=False))
        return mean, variance, False
    mean = _check_channels(mean, "mean", x.shape[-1])
    variance = _check_variance(_check_channels(variance, "variance", x.shape[-1]))
    return mean.astype(dtype, copy=False), variance.astype(dtype, copy=False), True


def _check_variance(variance: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(variance) & (variance >= 0)):
        raise ValueError(f"variance must be finite and non-negative; got {variance}")
    return variance


def batch_norm_statistics(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean and biased variance over the batch and every position, as Keras trains with.

    Parameters
    ----------
    x : array_like, shape (batch, ..., channels)
        A batch of feature maps (any number of spatial axes), channels last.

    Returns
    -------
    mean, variance : ndarray, shape (channels,)
        ``variance`` divides by the number of values per channel ``N = batch * positions``, not
        ``N - 1``, in the computation dtype (`convbook.arguments.computation_dtype`).

    Examples
    --------
    >>> x = np.array([[[1.0, 10.0], [3.0, 10.0]], [[5.0, 10.0], [7.0, 10.0]]])  # (2, 2, 2)
    >>> batch_norm_statistics(x)
    (array([ 4., 10.]), array([5., 0.]))
    """
    x = _check_x(x, "batch_norm_statistics")
    if x.size == 0:
        raise ValueError(f"x must hold at least one value per channel to take statistics of; got shape {x.shape}")
    x = x.astype(computation_dtype(x.dtype), copy=False)
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    return mean, np.mean(np.square(x - mean), axis=axes)


def batch_norm(
    x: ArrayLike,
    gamma: ArrayLike | None = None,
    beta: ArrayLike | None = None,
    *,
    mean: ArrayLike | None = None,
    variance: ArrayLike | None = None,
    epsilon: float = EPSILON,
) -> np.ndarray:
    """Batch normalization of channels-last feature maps: Keras' ``BatchNormalization`` forward pass.

    ``y = gamma * (x - mean) / sqrt(variance + epsilon) + beta``, channel by channel.

    Parameters
    ----------
    x : array_like, shape (batch, ..., channels)
    gamma : array_like, shape (channels,), optional
        Scale; ones if omitted (Keras' ``scale=False``).
    beta : array_like, shape (channels,), optional
        Shift; zeros if omitted (Keras' ``center=False``).
    mean, variance : array_like, shape (channels,), optional
        Both given: inference, with these statistics (Keras' ``moving_mean`` and
        ``moving_variance``, ``training=False``). Both omitted: training, with the batch's own
        (`batch_norm_statistics`, ``training=True``).
    epsilon : float, default 1e-3
        Added to the variance, so that a constant channel divides by ``sqrt(epsilon)``, not 0.

    Returns
    -------
    ndarray, the shape of ``x``
        In the computation dtype of all the arrays (`convbook.arguments.computation_dtype`).

    Examples
    --------
    In training every channel comes out with mean 0 and variance ``v / (v + epsilon)``:

    >>> x = np.array([1.0, 3.0, 5.0, 7.0]).reshape(4, 1)
    >>> batch_norm(x, epsilon=1e-12).ravel()
    array([-1.34164079, -0.4472136 ,  0.4472136 ,  1.34164079])

    In inference the given statistics are used, here with a scale of 2 and a shift of 1:

    >>> batch_norm(x, [2.0], [1.0], mean=[4.0], variance=[0.999]).ravel().round(6)
    array([-5., -1.,  3.,  7.])
    """
    x = _check_x(x, "batch_norm")
    epsilon = _check_epsilon(epsilon)
    channels = x.shape[-1]
    gamma = np.ones(channels, x.dtype) if gamma is None else _check_channels(gamma, "gamma", channels)
    beta = np.zeros(channels, x.dtype) if beta is None else _check_channels(beta, "beta", channels)
    statistics = {name: as_real_array(a, name) for name, a in (("mean", mean), ("variance", variance)) if a is not None}
    arrays = [x, gamma, beta, *statistics.values()]
    dtype = computation_dtype(*(a.dtype for a in arrays))
    mean, variance, _ = _statistics_or_batch(x, mean, variance, dtype)
    scale = gamma.astype(dtype, copy=False) / np.sqrt(variance + dtype.type(epsilon))
    return (x.astype(dtype, copy=False) - mean) * scale + beta.astype(dtype, copy=False)


def batch_norm_backward(
    x: ArrayLike,
    gamma: ArrayLike | None,
    grad_output: ArrayLike,
    *,
    mean: ArrayLike | None = None,
    variance: ArrayLike | None = None,
    epsilon: float = EPSILON,
) -> BatchNormGradients:
    """Gradients of `batch_norm` with respect to ``x``, ``gamma`` and ``beta``.

    With ``x_hat = (x - mean) / sigma``, ``sigma = sqrt(variance + epsilon)``, ``delta = grad_output``
    and sums over the batch and every position (``N`` values per channel):

    - ``dbeta = sum(delta)`` and ``dgamma = sum(delta * x_hat)``, in both modes;
    - inference (statistics given, so constants): ``dx = gamma / sigma * delta``;
    - training (the batch's statistics, which depend on every ``x``):
      ``dx = gamma / sigma * (delta - sum(delta) / N - x_hat * sum(delta * x_hat) / N)``:
      the part of ``delta`` that the mean and the variance do not absorb.

    Parameters
    ----------
    x : array_like, shape (batch, ..., channels)
        The forward pass's input.
    gamma : array_like of shape (channels,), or None
        The forward pass's scale (None: ones).
    grad_output : array_like, the shape of ``x``
        ``dL/dy``.
    mean, variance, epsilon
        As in the forward pass (`batch_norm`): both omitted for training.

    Returns
    -------
    BatchNormGradients
        ``(dx, dgamma, dbeta)``.

    Examples
    --------
    In training, a gradient that is constant over a channel is absorbed by the mean entirely:

    >>> x = np.array([1.0, 3.0, 5.0, 7.0]).reshape(4, 1)
    >>> batch_norm_backward(x, None, np.ones((4, 1))).dx.ravel()
    array([0., 0., 0., 0.])
    """
    x = _check_x(x, "batch_norm_backward")
    epsilon = _check_epsilon(epsilon)
    channels = x.shape[-1]
    gamma = np.ones(channels, x.dtype) if gamma is None else _check_channels(gamma, "gamma", channels)
    grad = as_real_array(grad_output, "grad_output")
    if grad.shape != x.shape:
        raise ValueError(f"grad_output must have the shape of x {x.shape}; got {grad.shape}")
    statistics = {name: as_real_array(a, name) for name, a in (("mean", mean), ("variance", variance)) if a is not None}
    arrays = [x, gamma, grad, *statistics.values()]
    dtype = computation_dtype(*(a.dtype for a in arrays))
    mean, variance, given = _statistics_or_batch(x, mean, variance, dtype)
    x, gamma, grad = (a.astype(dtype, copy=False) for a in (x, gamma, grad))
    sigma = np.sqrt(variance + dtype.type(epsilon))
    x_hat = (x - mean) / sigma
    axes = tuple(range(x.ndim - 1))
    dbeta = grad.sum(axis=axes)
    dgamma = (grad * x_hat).sum(axis=axes)
    if given:
        dx = grad * (gamma / sigma)
    else:
        count = x.size // channels
        dx = (gamma / sigma) * (grad - dbeta / count - x_hat * (dgamma / count))
    return BatchNormGradients(dx=dx, dgamma=dgamma, dbeta=dbeta)


def moving_statistics(
    moving_mean: ArrayLike,
    moving_variance: ArrayLike,
    mean: ArrayLike,
    variance: ArrayLike,
    momentum: float = MOMENTUM,
) -> tuple[np.ndarray, np.ndarray]:
    """One training step's update of the running averages that inference uses, as Keras makes it.

    ``moving = momentum * moving + (1 - momentum) * batch``, for the mean and for the biased variance.

    Parameters
    ----------
    moving_mean, moving_variance : array_like, shape (channels,)
        The running averages (Keras starts them at zeros and ones).
    mean, variance : array_like, shape (channels,)
        This batch's statistics (`batch_norm_statistics`).
    momentum : float, default 0.99
        Between 0 and 1: the weight of the past.

    Returns
    -------
    (ndarray, ndarray)
        The new moving mean and moving variance.

    Examples
    --------
    >>> moving_statistics([0.0], [1.0], [2.0], [3.0], momentum=0.9)
    (array([0.2]), array([1.2]))
    """
    if isinstance(momentum, bool) or not isinstance(momentum, int | float | np.floating | np.integer):
        raise TypeError(f"momentum must be a number between 0 and 1; got {momentum!r}")
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be between 0 and 1; got {momentum!r}")
    moving_mean = as_real_array(moving_mean, "moving_mean")
    if moving_mean.ndim != 1:
        raise ValueError(f"moving_mean must have shape (channels,); got shape {moving_mean.shape}")
    channels = moving_mean.shape[0]
    arrays = [
        moving_mean,
        _check_channels(moving_variance, "moving_variance", channels),
        _check_channels(mean, "mean", channels),
        _check_channels(variance, "variance", channels),
    ]
    dtype = computation_dtype(*(a.dtype for a in arrays))
    old_mean, old_variance, mean, variance = (a.astype(dtype, copy=False) for a in arrays)
    # Both weights rounded from Python floats, as Keras computes them: 1 - float32(0.99) is not float32(0.01).
    keep, take = dtype.type(momentum), dtype.type(1.0 - momentum)
    return keep * old_mean + take * mean, keep * old_variance + take * variance


def fold_batch_norm(
    kernel: ArrayLike,
    bias: ArrayLike | None,
    gamma: ArrayLike | None,
    beta: ArrayLike | None,
    mean: ArrayLike,
    variance: ArrayLike,
    *,
    epsilon: float = EPSILON,
) -> tuple[np.ndarray, np.ndarray]:
    """The kernel and bias of one convolution that equals a convolution followed by inference batch norm.

    In inference batch norm is ``y = scale * z + shift`` per channel, with
    ``scale = gamma / sqrt(variance + epsilon)`` and ``shift = beta - scale * mean``; on
    ``z = conv(x, kernel) + bias``, which is linear in the kernel, that is the convolution with
    ``kernel * scale`` (every filter ``o`` scaled by ``scale[o]``) and bias ``scale * bias + shift``.

    Parameters
    ----------
    kernel : array_like, shape (*kernel_size, c_in // groups, c_out)
        Any convolution kernel whose last axis is the output channels (Keras' ``Conv1D``,
        ``Conv2D``, ``Conv3D`` layouts, grouped or not). A ``DepthwiseConv2D`` kernel
        ``(kh, kw, c_in, m)`` must first be reshaped to ``(kh, kw, 1, c_in * m)``; a transposed
        convolution's ``(kh, kw, c_out, c_in)`` has its output channels on the other axis and is
        not this layout.
    bias : array_like of shape (c_out,), or None
        The convolution's bias (None: ``use_bias=False``).
    gamma, beta : array_like of shape (c_out,), or None
        Batch norm's scale and shift (None: ones and zeros).
    mean, variance : array_like, shape (c_out,)
        Batch norm's moving statistics.
    epsilon : float, default 1e-3

    Returns
    -------
    kernel, bias : ndarray
        The folded kernel (``kernel``'s shape) and bias (``(c_out,)``).

    Examples
    --------
    >>> kernel, bias = fold_batch_norm(np.ones((1, 1, 1, 2)), None, [2.0, 1.0], [0.0, 5.0], [1.0, 0.0],
    ...                                [3.0, 0.0], epsilon=1.0)
    >>> kernel.ravel(), bias
    (array([1., 1.]), array([-1.,  5.]))
    """
    kernel = as_real_array(kernel, "kernel")
    if kernel.ndim < 2:
        raise ValueError(f"kernel must have at least 2 axes (..., c_in // groups, c_out); got shape {kernel.shape}")
    epsilon = _check_epsilon(epsilon)
    c_out = kernel.shape[-1]
    optional = {"bias": bias, "gamma": gamma, "beta": beta}
    try:
        given = {name: _check_channels(value, name, c_out) for name, value in optional.items() if value is not None}
        mean = _check_channels(mean, "mean", c_out)
        variance = _check_variance(_check_channels(variance, "variance", c_out))
    except ValueError as error:
        if "must have shape" not in str(error):
            raise
        raise ValueError(
            f"{error}: the kernel's last axis holds its {c_out} output channels (kernel shape {kernel.shape}); "
            "a DepthwiseConv2D kernel (kh, kw, c_in, m) must be reshaped to (kh, kw, 1, c_in * m) first"
        ) from None
    dtype = computation_dtype(kernel.dtype, mean.dtype, variance.dtype, *(a.dtype for a in given.values()))
    defaults = {"bias": np.zeros(c_out, dtype), "gamma": np.ones(c_out, dtype), "beta": np.zeros(c_out, dtype)}
    b, gamma, beta = (given.get(name, defaults[name]).astype(dtype, copy=False) for name in optional)
    mean, variance = mean.astype(dtype, copy=False), variance.astype(dtype, copy=False)
    scale = gamma / np.sqrt(variance + dtype.type(epsilon))
    return kernel.astype(dtype, copy=False) * scale, scale * (b - mean) + beta
