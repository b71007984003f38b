"""A whole convolutional network in NumPy: every layer's forward and backward pass, and plain SGD.

The functions are the pieces a classifier needs beside the convolution: `relu`, `dense` and
`softmax_cross_entropy`, each with its gradient. The classes wrap them, and the convolution, batch
normalization and pooling of the earlier modules, as *layers*: objects that remember their input in
`forward` so that `backward` can turn the gradient of the loss with respect to their output into
the gradient with respect to their input and to their weights. `Sequential` chains layers, runs the
backward passes in reverse order and takes one SGD step, ``w -= learning_rate * dL/dw``.

Each layer keeps its weights in Keras' ``get_weights()`` order (`Layer.weight_names`), so a network
can be given the weights of a Keras model of the same layers; the code that reads a Keras model lives
with Keras, never here. This module is written to be read: it is for teaching, not for speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .arguments import as_real_array, in_computation_dtype
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


class Layer:
    """A layer: `forward` remembers what `backward` needs; `backward` fills `gradients`.

    ``weight_names`` lists the layer's arrays in Keras' ``get_weights()`` order; ``trainable`` those
    that SGD changes (the others, like batch norm's moving averages, change in the forward pass).
    """

    weight_names: tuple[str, ...] = ()
    trainable: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.gradients: dict[str, np.ndarray] = {}

    def weights(self) -> list[np.ndarray]:
        """The layer's arrays, in Keras' ``get_weights()`` order."""
        return [getattr(self, name) for name in self.weight_names]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Conv2D(Layer):
    """`convbook.conv2d` as a layer; ``bias=None`` for a convolution without bias (before batch norm)."""

    def __init__(self, kernel: ArrayLike, bias: ArrayLike | None = None, *, strides=1, padding="valid") -> None:
        super().__init__()
        self.kernel = np.array(as_real_array(kernel, "kernel"))
        self.bias = None if bias is None else np.array(as_real_array(bias, "bias"))
        self.weight_names = self.trainable = ("kernel",) if bias is None else ("kernel", "bias")
        self.strides, self.padding = strides, padding

    def forward(self, x, training=False):
        self.x = x
        return conv2d(x, self.kernel, self.bias, strides=self.strides, padding=self.padding)

    def backward(self, grad_output):
        grads = conv2d_backward(self.x, self.kernel, grad_output, strides=self.strides, padding=self.padding)
        self.gradients = {"kernel": grads.dkernel, "bias": grads.dbias}
        return grads.dx


class BatchNorm(Layer):
    """Batch normalization (Keras ``BatchNormalization``): batch statistics in training, moving ones after."""

    weight_names = ("gamma", "beta", "moving_mean", "moving_variance")
    trainable = ("gamma", "beta")

    def __init__(self, gamma, beta, moving_mean, moving_variance, *, epsilon=EPSILON, momentum=MOMENTUM) -> None:
        super().__init__()
        self.gamma, self.beta = np.array(gamma), np.array(beta)
        self.moving_mean, self.moving_variance = np.array(moving_mean), np.array(moving_variance)
        self.epsilon, self.momentum = epsilon, momentum

    def forward(self, x, training=False):
        self.x, self.training = x, training
        if not training:
            mean, variance = self.moving_mean, self.moving_variance
            return batch_norm(x, self.gamma, self.beta, mean=mean, variance=variance, epsilon=self.epsilon)
        mean, variance = batch_norm_statistics(x)
        self.moving_mean, self.moving_variance = moving_statistics(
            self.moving_mean, self.moving_variance, mean, variance, self.momentum
        )
        return batch_norm(x, self.gamma, self.beta, epsilon=self.epsilon)  # the batch's own statistics

    def backward(self, grad_output):
        if self.training:  # the batch statistics depend on x too
            grads = batch_norm_backward(self.x, self.gamma, grad_output, epsilon=self.epsilon)
        else:
            mean, variance = self.moving_mean, self.moving_variance
            grads = batch_norm_backward(
                self.x, self.gamma, grad_output, mean=mean, variance=variance, epsilon=self.epsilon
            )
        self.gradients = {"gamma": grads.dgamma, "beta": grads.dbeta}
        return grads.dx


class ReLU(Layer):
    """`relu` as a layer."""

    def forward(self, x, training=False):
        self.x = x
        return relu(x)

    def backward(self, grad_output):
        return relu_backward(self.x, grad_output)


class MaxPool2D(Layer):
    """`convbook.max_pool2d` as a layer."""

    def __init__(self, pool_size=2, strides=None, padding="valid") -> None:
        super().__init__()
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def forward(self, x, training=False):
        self.x = x
        return max_pool2d(x, self.pool_size, self.strides, self.padding)

    def backward(self, grad_output):
        return max_pool2d_backward(self.x, grad_output, self.pool_size, self.strides, self.padding)


class GlobalAveragePool(Layer):
    """`convbook.global_average_pool` as a layer: (batch, rows, cols, channels) to (batch, channels)."""

    def forward(self, x, training=False):
        self.x = x
        return global_average_pool(x)

    def backward(self, grad_output):
        return global_average_pool_backward(self.x, grad_output)


class Flatten(Layer):
    """One row per example, in C order (rows, then columns, then channels), as Keras' ``Flatten``."""

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_output):
        return grad_output.reshape(self.x_shape)


class Dense(Layer):
    """`dense` as a layer, without activation: the logits of a classifier."""

    weight_names = trainable = ("kernel", "bias")

    def __init__(self, kernel: ArrayLike, bias: ArrayLike) -> None:
        super().__init__()
        self.kernel, self.bias = np.array(kernel), np.array(bias)

    def forward(self, x, training=False):
        self.x = x
        return dense(x, self.kernel, self.bias)

    def backward(self, grad_output):
        grads = dense_backward(self.x, self.kernel, grad_output)
        self.gradients = {"kernel": grads.dkernel, "bias": grads.dbias}
        return grads.dx


class Sequential:
    """Layers applied one after another, trained with softmax cross-entropy and plain SGD.

    Parameters
    ----------
    layers : sequence of Layer

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
        self.layers = list(layers)

    def forward(self, x: ArrayLike, training: bool = False) -> np.ndarray:
        """The logits for a batch ``x``; ``training`` selects batch statistics in batch norm."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad_logits: np.ndarray) -> None:
        """From ``dL/dlogits`` down through every layer, each keeping its weights' gradients."""
        grad = grad_logits
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def step(self, learning_rate: float) -> None:
        """Plain SGD on every trainable weight: ``w -= learning_rate * dL/dw``."""
        for layer in self.layers:
            for name in layer.trainable:
                weight = getattr(layer, name)
                weight -= weight.dtype.type(learning_rate) * layer.gradients[name]

    def train_step(self, x: ArrayLike, labels: ArrayLike, learning_rate: float) -> np.floating:
        """Forward in training mode, the loss, backward and one SGD step; returns the loss before the step."""
        logits = self.forward(x, training=True)
        loss = softmax_cross_entropy(logits, labels)
        self.backward(softmax_cross_entropy_backward(logits, labels))
        self.step(learning_rate)
        return loss

    def get_weights(self) -> list[np.ndarray]:
        """Every layer's arrays in Keras' ``get_weights()`` order."""
        return [weight for layer in self.layers for weight in layer.weights()]
