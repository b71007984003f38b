"""A whole convolutional network in NumPy: every layer's forward and backward pass, and plain SGD.

The functions are the pieces a classifier needs beside the convolution: `relu`, `dense` and
`softmax_cross_entropy`, each with its gradient. The classes wrap them, and the convolution, batch
normalization and pooling of the earlier modules, as *layers*: objects that remember their input in
`forward` so that `backward` can turn the gradient of the loss with respect to their output into
the gradient with respect to their input and to their weights. `Sequential` chains layers, runs the
backward passes in reverse order and takes one SGD step, ``w -= learning_rate * dL/dw``.

Each layer keeps its weights in Keras' ``get_weights()`` order (`Layer.weight_names`), so a network
can be given the weights of a Keras model of the same layers; `from_keras` builds the network of a Keras
``Sequential`` model from its layers' configurations and weights, without importing Keras. This module
is written to be read: it is for teaching, not for speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import shapes
from .arguments import as_real_array, in_computation_dtype, prepare_conv
from .backward import conv2d_backward
from .conv import conv2d
from .normalization import EPSILON, MOMENTUM, batch_norm, batch_norm_backward, batch_norm_statistics, moving_statistics
from .pooling import global_average_pool, global_average_pool_backward, max_pool2d, max_pool2d_backward

__all__ = [
    "BatchNorm",
    "Conv2D",
    "Dense",
    "DenseGradients",
    "Flatten",
    "GlobalAveragePool",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "Sequential",
    "dense",
    "dense_backward",
    "from_keras",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
]


# ----------------------------------------------------------------------------------------------------
# Functions


def relu(x: ArrayLike) -> np.ndarray:
    """The rectified linear unit, ``max(x, 0)`` element by element.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, the shape of ``x``, in the computation dtype of ``x``

    Examples
    --------
    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    (x,) = in_computation_dtype(as_real_array(x, "x"))
    return np.maximum(x, 0)


def relu_backward(x: ArrayLike, grad_output: ArrayLike) -> np.ndarray:
    """Gradient of `relu`: ``grad_output`` where ``x > 0``, else 0 (TensorFlow's choice at ``x == 0``).

    Parameters
    ----------
    x : array_like, any shape
        The forward pass's input.
    grad_output : array_like, the shape of ``x``

    Returns
    -------
    ndarray, the shape of ``x``

    Examples
    --------
    >>> relu_backward(np.array([-1.0, 0.0, 2.0]), np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """
    x, grad = as_real_array(x, "x"), as_real_array(grad_output, "grad_output")
    if grad.shape != x.shape:
        raise ValueError(f"grad_output must have the shape of x, {x.shape}; got {grad.shape}")
    (x, grad) = in_computation_dtype(x, grad)
    return np.where(x > 0, grad, grad.dtype.type(0))


def _dense_arguments(x: object, kernel: object, function: str) -> tuple[np.ndarray, np.ndarray]:
    x, kernel = as_real_array(x, "x"), as_real_array(kernel, "kernel")
    if x.ndim != 2:
        hint = f"; for a single example add a batch axis: {function}(x[None], ...)" if x.ndim == 1 else ""
        raise ValueError(f"x must have 2 axes (batch, features); got shape {x.shape}{hint}")
    if kernel.ndim != 2:
        raise ValueError(f"kernel must have 2 axes (features, units); got shape {kernel.shape}")
    if kernel.shape[0] != x.shape[1]:
        raise ValueError(f"kernel has {kernel.shape[0]} input features but x has {x.shape[1]}")
    return x, kernel


def dense(x: ArrayLike, kernel: ArrayLike, bias: ArrayLike | None = None) -> np.ndarray:
    """A fully connected layer, ``x @ kernel + bias`` (Keras ``Dense`` without activation).

    Parameters
    ----------
    x : array_like, shape (batch, features)
    kernel : array_like, shape (features, units)
        Keras' ``get_weights()[0]`` layout.
    bias : array_like, shape (units,), optional

    Returns
    -------
    ndarray, shape (batch, units)

    Raises
    ------
    TypeError
        If an argument is not an array of real numbers.
    ValueError
        If the shapes do not fit together.

    Examples
    --------
    >>> dense(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), np.array([0.0, 0.0, 10.0]))
    array([[ 1.,  2., 13.]])
    """
    x, kernel = _dense_arguments(x, kernel, "dense")
    if bias is None:
        (x, kernel) = in_computation_dtype(x, kernel)
        return x @ kernel
    bias = as_real_array(bias, "bias")
    if bias.shape != kernel.shape[1:]:
        raise ValueError(f"bias must have shape ({kernel.shape[1]},), one per unit; got {bias.shape}")
    (x, kernel, bias) = in_computation_dtype(x, kernel, bias)
    return x @ kernel + bias


class DenseGradients(NamedTuple):
    """The gradients of `dense`: with respect to its input, its kernel and its bias."""

    dx: np.ndarray
    dkernel: np.ndarray
    dbias: np.ndarray


def dense_backward(x: ArrayLike, kernel: ArrayLike, grad_output: ArrayLike) -> DenseGradients:
    """Gradients of `dense`: ``dx = g @ kernel.T``, ``dkernel = x.T @ g``, ``dbias = g.sum(0)``.

    Parameters
    ----------
    x : array_like, shape (batch, features)
    kernel : array_like, shape (features, units)
    grad_output : array_like, shape (batch, units)
        ``dL/dy`` for ``y = dense(x, kernel, bias)``.

    Returns
    -------
    DenseGradients
        ``dx`` (batch, features), ``dkernel`` (features, units), ``dbias`` (units,).

    Raises
    ------
    TypeError
        If an argument is not an array of real numbers.
    ValueError
        If the shapes do not fit together.

    Examples
    --------
    >>> grads = dense_backward(np.array([[1.0, 2.0]]), np.eye(2), np.array([[3.0, 4.0]]))
    >>> grads.dx, grads.dkernel, grads.dbias
    (array([[3., 4.]]), array([[3., 4.],
           [6., 8.]]), array([3., 4.]))
    """
    x, kernel = _dense_arguments(x, kernel, "dense_backward")
    grad = as_real_array(grad_output, "grad_output")
    expected = (x.shape[0], kernel.shape[1])
    if grad.shape != expected:
        raise ValueError(f"grad_output must have the shape of dense's output, {expected}; got {grad.shape}")
    (x, kernel, grad) = in_computation_dtype(x, kernel, grad)
    return DenseGradients(grad @ kernel.T, x.T @ grad, grad.sum(axis=0))


def _logits_and_labels(logits: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    logits = as_real_array(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must have shape (batch, classes) with batch, classes >= 1; got {logits.shape}")
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class numbers; got dtype {labels.dtype}")
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"labels must have shape ({logits.shape[0]},), one per example; got {labels.shape}")
    if np.any(labels < 0) or np.any(labels >= logits.shape[1]):
        raise ValueError(f"labels must lie in 0 .. {logits.shape[1] - 1} (the classes of logits)")
    (logits,) = in_computation_dtype(logits)
    return logits, labels


def softmax(logits: ArrayLike) -> np.ndarray:
    """Class probabilities from logits, ``exp(z) / sum(exp(z))`` along the last axis, computed stably.

    Parameters
    ----------
    logits : array_like, shape (batch, classes)

    Returns
    -------
    ndarray, shape (batch, classes)
        Every row sums to 1.

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    array([[0.25, 0.75],
           [0.5 , 0.5 ]])
    """
    (z,) = in_computation_dtype(as_real_array(logits, "logits"))
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))  # the largest exponent is 0: no overflow
    return shifted / shifted.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> np.floating:
    """Mean cross-entropy of the softmax of ``logits`` against integer ``labels`` (from logits).

    For one example, ``-log softmax(z)[label] = logsumexp(z) - z[label]``, computed with the largest
    logit subtracted first so that no exponential overflows. The mean is over the batch, as Keras'
    ``SparseCategoricalCrossentropy(from_logits=True)`` computes it.

    Parameters
    ----------
    logits : array_like, shape (batch, classes)
    labels : array_like of int, shape (batch,)
        Each in ``0 .. classes - 1``.

    Returns
    -------
    numpy float scalar, in the computation dtype of ``logits``

    Raises
    ------
    TypeError
        If ``logits`` is not real or ``labels`` not integer.
    ValueError
        If the shapes do not fit or a label is out of range.

    Examples
    --------
    Two equal logits: each class has probability 1/2 and the loss is log 2.

    >>> float(softmax_cross_entropy(np.array([[3.0, 3.0]]), np.array([1])))  # doctest: +ELLIPSIS
    0.693147...
    """
    z, labels = _logits_and_labels(logits, labels)
    top = z.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    return (log_sum_exp - z[np.arange(len(labels)), labels]).mean()


def softmax_cross_entropy_backward(logits: ArrayLike, labels: ArrayLike) -> np.ndarray:
    """Gradient of `softmax_cross_entropy` with respect to the logits: ``(softmax(z) - onehot) / batch``.

    Parameters
    ----------
    logits : array_like, shape (batch, classes)
    labels : array_like of int, shape (batch,)

    Returns
    -------
    ndarray, shape (batch, classes)

    Examples
    --------
    >>> softmax_cross_entropy_backward(np.array([[3.0, 3.0]]), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    z, labels = _logits_and_labels(logits, labels)
    grad = softmax(z)
    grad[np.arange(len(labels)), labels] -= 1
    return grad / z.dtype.type(len(labels))


# ----------------------------------------------------------------------------------------------------
# Layers


def _floating(value: object, name: str, ndim: int, layout: str) -> np.ndarray:
    """A copy of ``value`` as a floating-point array of ``ndim`` axes; integers become float64."""
    array = as_real_array(value, name)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, {layout}; got shape {array.shape}")
    (array,) = in_computation_dtype(array)
    return np.array(array)  # a copy: SGD changes it in place


class Layer:
    """A layer: `forward` remembers what `backward` needs; `backward` fills `gradients`.

    ``weight_names`` lists the layer's arrays in Keras' ``get_weights()`` order; ``trainable`` those
    that SGD changes (the others, like batch norm's moving averages, change in the forward pass).
    A subclass's `forward` stores its input as ``self.x``; its `backward` reads it back with
    `forward_input`, which fails clearly if `forward` has not run.

    Attributes
    ----------
    x : ndarray or None
        The input of the last `forward`, ``None`` before the first.
    gradients : dict of str to ndarray
        ``dL/dw`` for each name in ``trainable``, filled by `backward`.
    """

    weight_names: tuple[str, ...] = ()
    trainable: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.x: np.ndarray | None = None
        self.gradients: dict[str, np.ndarray] = {}

    def weights(self) -> list[np.ndarray]:
        """The layer's arrays (not copies), in Keras' ``get_weights()`` order."""
        return [getattr(self, name) for name in self.weight_names]

    def forward_input(self) -> np.ndarray:
        """The input of the last `forward`; a `RuntimeError` if there was none."""
        if self.x is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs the input of a forward pass: call forward first")
        return self.x

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The layer's output for a batch ``x``; ``training`` matters only to batch norm.

        Parameters
        ----------
        x : ndarray
            A batch, shape ``(batch, ...)``.
        training : bool
            Batch statistics (True) or moving ones (False) in batch norm.

        Returns
        -------
        ndarray
            The output batch.
        """
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``dL/dx`` from ``dL/dy`` for the last `forward`'s ``y``, filling `gradients` on the way.

        Parameters
        ----------
        grad_output : ndarray
            ``dL/dy``, the shape of the last `forward`'s output.

        Returns
        -------
        ndarray
            ``dL/dx``, the shape of the last `forward`'s input.

        Raises
        ------
        RuntimeError
            If `forward` has not run.
        """
        raise NotImplementedError


class Conv2D(Layer):
    """`convbook.conv2d` as a layer (Keras ``Conv2D`` without activation).

    Parameters
    ----------
    kernel : array_like, shape (kh, kw, c_in, c_out)
    bias : array_like of shape (c_out,), or None
        ``None`` for a convolution without bias, as before batch norm.
    strides : int or pair of int
    padding : {"valid", "same"}

    Raises
    ------
    TypeError, ValueError
        Naming the argument, as `convbook.conv2d` does, when a weight or option is not valid.
    """

    def __init__(
        self,
        kernel: ArrayLike,
        bias: ArrayLike | None = None,
        *,
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
    ) -> None:
        super().__init__()
        self.kernel = _floating(kernel, "kernel", 4, "(kh, kw, c_in, c_out)")
        self.bias = None if bias is None else _floating(bias, "bias", 1, "(c_out,)")
        # conv2d's own checks, on the smallest input the kernel fits: bias length, strides, padding.
        prepare_conv(np.zeros((1, *self.kernel.shape[:3])), self.kernel, self.bias, strides, padding, 1, 1, 2, "Conv2D")
        self.weight_names = self.trainable = ("kernel",) if bias is None else ("kernel", "bias")
        self.strides, self.padding = strides, padding

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """``conv2d(x, kernel, bias)``, (batch, rows, cols, c_in) to (batch, out_rows, out_cols, c_out)."""
        self.x = x
        return conv2d(x, self.kernel, self.bias, strides=self.strides, padding=self.padding)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``dL/dx`` by `convbook.conv2d_backward`; ``dL/dkernel`` and ``dL/dbias`` go to `gradients`."""
        x = self.forward_input()
        grads = conv2d_backward(x, self.kernel, grad_output, strides=self.strides, padding=self.padding)
        self.gradients = dict(zip(self.trainable, (grads.dkernel, grads.dbias), strict=False))  # no bias: kernel only
        return grads.dx


class BatchNorm(Layer):
    """Batch normalization (Keras ``BatchNormalization``): batch statistics in training, moving ones after.

    Parameters
    ----------
    gamma, beta, moving_mean, moving_variance : array_like, shape (channels,)
        Keras' four arrays, in its ``get_weights()`` order.
    epsilon : float
        Added to the variance, > 0.
    momentum : float
        Of the moving averages, in [0, 1]: ``moving = momentum * moving + (1 - momentum) * batch``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, if an array is not 1-D and real, the four differ in length, or
        ``epsilon`` or ``momentum`` is out of range.
    """

    weight_names = ("gamma", "beta", "moving_mean", "moving_variance")
    trainable = ("gamma", "beta")

    def __init__(
        self,
        gamma: ArrayLike,
        beta: ArrayLike,
        moving_mean: ArrayLike,
        moving_variance: ArrayLike,
        *,
        epsilon: float = EPSILON,
        momentum: float = MOMENTUM,
    ) -> None:
        super().__init__()
        arrays = (gamma, beta, moving_mean, moving_variance)
        for name, value in zip(self.weight_names, arrays, strict=True):
            setattr(self, name, _floating(value, name, 1, "(channels,)"))
        if len({weight.shape for weight in self.weights()}) > 1:
            pairs = zip(self.weight_names, self.weights(), strict=True)
            shapes_ = ", ".join(f"{name} {weight.shape}" for name, weight in pairs)
            raise ValueError(f"gamma, beta, moving_mean and moving_variance must have one shape; got {shapes_}")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0; got {epsilon}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1]; got {momentum}")
        self.epsilon, self.momentum = epsilon, momentum
        self.training = False

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Normalized ``x``, shape kept; in training the batch's statistics also move the moving averages."""
        self.x, self.training = x, training
        if not training:
            mean, variance = self.moving_mean, self.moving_variance
            return batch_norm(x, self.gamma, self.beta, mean=mean, variance=variance, epsilon=self.epsilon)
        mean, variance = batch_norm_statistics(x)
        self.moving_mean, self.moving_variance = moving_statistics(
            self.moving_mean, self.moving_variance, mean, variance, self.momentum
        )
        return batch_norm(x, self.gamma, self.beta, epsilon=self.epsilon)  # the batch's own statistics

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``dL/dx`` by `convbook.batch_norm_backward`; ``dL/dgamma`` and ``dL/dbeta`` go to `gradients`."""
        x = self.forward_input()
        if self.training:  # the batch statistics depend on x too
            grads = batch_norm_backward(x, self.gamma, grad_output, epsilon=self.epsilon)
        else:
            mean, variance = self.moving_mean, self.moving_variance
            grads = batch_norm_backward(x, self.gamma, grad_output, mean=mean, variance=variance, epsilon=self.epsilon)
        self.gradients = {"gamma": grads.dgamma, "beta": grads.dbeta}
        return grads.dx


class ReLU(Layer):
    """`relu` as a layer; any shape."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """``max(x, 0)``, shape kept."""
        self.x = x
        return relu(x)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output`` where the input was > 0, else 0 (`relu_backward`)."""
        return relu_backward(self.forward_input(), grad_output)


class MaxPool2D(Layer):
    """`convbook.max_pool2d` as a layer (Keras ``MaxPooling2D``).

    Parameters
    ----------
    pool_size : int or pair of int
    strides : int or pair of int, or None
        ``None`` for ``pool_size``.
    padding : {"valid", "same"}

    Raises
    ------
    TypeError, ValueError
        Naming the argument, if ``pool_size`` or ``strides`` is not one or two positive ints, or
        ``padding`` is not "valid" or "same".
    """

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
    ) -> None:
        super().__init__()
        shapes.normalize_tuple(pool_size, 2, "pool_size")  # max_pool2d's own checks, made early
        if strides is not None:
            shapes.normalize_tuple(strides, 2, "strides")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}")
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Each window's maximum, (batch, rows, cols, channels) to (batch, out_rows, out_cols, channels)."""
        self.x = x
        return max_pool2d(x, self.pool_size, self.strides, self.padding)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Each window's gradient to its first maximum (`convbook.max_pool2d_backward`)."""
        return max_pool2d_backward(self.forward_input(), grad_output, self.pool_size, self.strides, self.padding)


class GlobalAveragePool(Layer):
    """`convbook.global_average_pool` as a layer: (batch, rows, cols, channels) to (batch, channels)."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Each channel's mean over rows and columns."""
        self.x = x
        return global_average_pool(x)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Each ``dL/dy`` spread evenly over its channel's rows * cols positions."""
        return global_average_pool_backward(self.forward_input(), grad_output)


class Flatten(Layer):
    """One row per example, in C order (rows, then columns, then channels), as Keras' ``Flatten``."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(batch, ...) to (batch, product of the rest)."""
        self.x = x
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output``, shape (batch, features), reshaped to the input's shape."""
        shape = self.forward_input().shape
        grad = as_real_array(grad_output, "grad_output")
        if grad.shape != (shape[0], math.prod(shape[1:])):
            raise ValueError(f"grad_output must have Flatten's output shape {(shape[0], math.prod(shape[1:]))}")
        return grad.reshape(shape)


class Dense(Layer):
    """`dense` as a layer, without activation: for example the logits of a classifier.

    Parameters
    ----------
    kernel : array_like, shape (features, units)
    bias : array_like of shape (units,), or None
    """

    def __init__(self, kernel: ArrayLike, bias: ArrayLike | None = None) -> None:
        super().__init__()
        self.kernel = _floating(kernel, "kernel", 2, "(features, units)")
        self.bias = None if bias is None else _floating(bias, "bias", 1, "(units,)")
        if self.bias is not None and self.bias.shape != self.kernel.shape[1:]:
            raise ValueError(f"bias must have shape ({self.kernel.shape[1]},), one per unit; got {self.bias.shape}")
        self.weight_names = self.trainable = ("kernel",) if bias is None else ("kernel", "bias")

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """``x @ kernel + bias``, (batch, features) to (batch, units)."""
        self.x = x
        return dense(x, self.kernel, self.bias)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``dL/dx`` by `dense_backward`; ``dL/dkernel`` and ``dL/dbias`` go to `gradients`."""
        grads = dense_backward(self.forward_input(), self.kernel, grad_output)
        self.gradients = dict(zip(self.trainable, (grads.dkernel, grads.dbias), strict=False))  # no bias: kernel only
        return grads.dx


class Sequential:
    """Layers applied one after another, trained with softmax cross-entropy and plain SGD.

    Parameters
    ----------
    layers : sequence of Layer

    Raises
    ------
    TypeError
        If an element of ``layers`` is not a `Layer`.

    Examples
    --------
    A dense layer that maps everything to the logits (0, 0), trained on one example of class 0:

    >>> net = Sequential([Flatten(), Dense(np.zeros((4, 2)), np.zeros(2))])
    >>> x, labels = np.ones((1, 2, 2, 1)), np.array([0])
    >>> round(float(net.train_step(x, labels, learning_rate=1.0)), 4)  # the loss before the step: log 2
    0.6931
    >>> net.layers[1].bias
    array([ 0.5, -0.5])
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{index}] must be a convbook.network.Layer; got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: ArrayLike, training: bool = False) -> np.ndarray:
        """The logits, shape (batch, classes), for a batch ``x``; ``training`` selects batch statistics."""
        x = as_real_array(x, "x")
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad_logits: np.ndarray) -> None:
        """From ``dL/dlogits``, shape (batch, classes), down through every layer, each keeping its gradients."""
        grad = grad_logits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def step(self, learning_rate: float) -> None:
        """Plain SGD on every trainable weight, in place: ``w -= learning_rate * dL/dw``.

        Raises
        ------
        RuntimeError
            If a trainable layer has no gradients yet (`backward` has not run).
        """
        for layer in self.layers:
            if layer.trainable and not layer.gradients:
                raise RuntimeError(f"{type(layer).__name__} has no gradients to step with: call backward first")
            for name in layer.trainable:
                weight = getattr(layer, name)
                weight -= weight.dtype.type(learning_rate) * layer.gradients[name]

    def train_step(self, x: ArrayLike, labels: ArrayLike, learning_rate: float) -> np.floating:
        """Forward in training mode, the loss, backward and one SGD step; returns the loss before the step.

        Parameters
        ----------
        x : array_like, shape (batch, ...)
        labels : array_like of int, shape (batch,)
        learning_rate : float

        Returns
        -------
        numpy.floating
            The mean softmax cross-entropy of the batch, before the step.
        """
        logits = self.forward(x, training=True)
        loss = softmax_cross_entropy(logits, labels)
        self.backward(softmax_cross_entropy_backward(logits, labels))
        self.step(learning_rate)
        return loss

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's arrays, in Keras' ``get_weights()`` order (changing them changes nothing)."""
        return [weight.copy() for layer in self.layers for weight in layer.weights()]


# ----------------------------------------------------------------------------------------------------
# From a Keras model


def _activation_layers(config: dict[str, Any], layer_name: str) -> list[Layer]:
    activation = config.get("activation", "linear")
    if activation in (None, "linear"):
        return []
    if activation == "relu":
        return [ReLU()]
    raise ValueError(f"layer {layer_name!r}: activation {activation!r} is not supported; only 'relu' or none")


def _layers_from_keras(layer: Any) -> list[Layer]:
    """The `Layer` objects that compute what one Keras layer computes, with copies of its weights."""
    kind, name, config = type(layer).__name__, layer.name, layer.get_config()
    weights = iter(layer.get_weights())
    if config.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"layer {name!r} ({kind}): only channels_last is supported; got {config['data_format']!r}")
    if kind == "Conv2D":
        if tuple(config["dilation_rate"]) != (1, 1) or config.get("groups", 1) != 1:
            raise ValueError(f"layer {name!r} (Conv2D): only dilation_rate 1 and groups 1 are supported")
        kernel, bias = next(weights), next(weights) if config["use_bias"] else None
        conv = Conv2D(kernel, bias, strides=tuple(config["strides"]), padding=config["padding"])
        return [conv, *_activation_layers(config, name)]
    if kind == "BatchNormalization":
        if config["axis"] not in (-1, [-1], (-1,), 3, [3], (3,)) or not (config["center"] and config["scale"]):
            raise ValueError(f"layer {name!r} (BatchNormalization): only axis -1 with center and scale is supported")
        return [BatchNorm(*weights, epsilon=config["epsilon"], momentum=config["momentum"])]
    if kind == "Dense":
        kernel, bias = next(weights), next(weights) if config["use_bias"] else None
        return [Dense(kernel, bias), *_activation_layers(config, name)]
    if kind == "ReLU":
        if config.get("max_value") is not None or config.get("negative_slope") or config.get("threshold"):
            raise ValueError(f"layer {name!r} (ReLU): max_value, negative_slope and threshold are not supported")
        return [ReLU()]
    if kind == "Activation":
        return _activation_layers(config, name)
    if kind == "MaxPooling2D":
        strides = config.get("strides")
        return [MaxPool2D(tuple(config["pool_size"]), None if strides is None else tuple(strides), config["padding"])]
    if kind == "GlobalAveragePooling2D" and not config.get("keepdims", False):
        return [GlobalAveragePool()]
    if kind == "Flatten":
        return [Flatten()]
    raise ValueError(
        f"layer {name!r} is a {kind}, which from_keras does not convert; it converts Conv2D, BatchNormalization, "
        "ReLU, Activation('relu'), MaxPooling2D, GlobalAveragePooling2D (keepdims=False), Flatten and Dense"
    )


def from_keras(model: Any) -> Sequential:
    """The `Sequential` network that computes what a Keras ``Sequential`` model computes, with its weights.

    Reads each Keras layer's class name, ``get_config()`` and ``get_weights()`` (copies): this module
    never imports Keras. An activation inside a ``Conv2D`` or ``Dense`` becomes a separate `ReLU`.

    Parameters
    ----------
    model : keras.Sequential
        Built (its weights exist), channels-last, of the layers listed under Raises.

    Returns
    -------
    Sequential

    Raises
    ------
    ValueError
        Naming the layer, for a layer other than ``Conv2D`` (dilation 1, groups 1), ``BatchNormalization``
        (last axis), ``ReLU``, ``Activation("relu")``, ``MaxPooling2D``, ``GlobalAveragePooling2D``,
        ``Flatten`` and ``Dense``, or an activation other than ReLU or none.
    TypeError
        If ``model`` has no ``layers``.

    Examples
    --------
    With Keras, which this module never imports (chapter 14 and the parity tests run it)::

        model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                                  keras.layers.Flatten(), keras.layers.Dense(10)])
        net = from_keras(model)  # layers Conv2D, ReLU, Flatten, Dense; net.forward(x) equals model(x)
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"model must be a Keras Sequential model; got {type(model).__name__}")
    return Sequential([converted for layer in layers for converted in _layers_from_keras(layer)])
