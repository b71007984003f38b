"""An independent reference: TensorFlow's convolution, padded by rules written out here.

Nothing in this module imports convbook. Where TensorFlow implements an option
itself (``SAME``/``VALID`` with stride 1 or dilation 1) it is used directly; for the
rest (``full``, ``causal``, explicit amounts, stride and dilation together, groups
on CPU) the reference pads with ``np.pad``, runs TensorFlow's ``VALID``
convolution with stride 1, and subsamples -- the textbook definition.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf


def tf_same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's documented SAME padding for one axis."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, spatial, kernel_size, strides, dilation):
    """Padding (before, after) per axis for every padding mode the tests use."""
    pads = []
    for axis, (n, k, s, d) in enumerate(zip(spatial, kernel_size, strides, dilation, strict=True)):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "same":
            pads.append(tf_same_pads(n, k, s, d))
        elif padding == "causal":
            pads.append(((k - 1) * d, 0))
        elif padding == "full":
            pads.append(((k - 1) * d, (k - 1) * d))
        else:  # explicit ((before, after), ...)
            pads.append(tuple(padding[axis]))
    return pads


def tf_pad(x, pads, padding_mode):
    """``x`` padded along its spatial axes by TensorFlow: ``tf.pad`` for zeros and reflect (TensorFlow's
    ``CONSTANT`` and ``REFLECT``); ``tf.gather`` of the clipped or wrapped positions for replicate and
    circular, which ``tf.pad`` lacks."""
    if padding_mode in ("zeros", "reflect"):
        # MirrorPad refuses any axis of size 0, even an unpadded one; an empty batch has no values to reflect.
        reflect = padding_mode == "reflect" and x.shape[0] > 0
        return tf.pad(x, [(0, 0), *pads, (0, 0)], mode="REFLECT" if reflect else "CONSTANT")
    for axis, (before, after) in enumerate(pads, start=1):
        n = x.shape[axis]
        positions = np.arange(-before, n + after)
        index = np.clip(positions, 0, n - 1) if padding_mode == "replicate" else positions % n
        x = tf.gather(x, index, axis=axis)
    return x


def tf_conv(x, kernel, bias=None, *, strides, padding, dilation, groups=1, padding_mode="zeros"):
    """Reference convolution with TensorFlow; shapes as in convbook (channels last), computed in float64.

    TensorFlow 2.21's float32 CPU kernel (oneDNN) returns wrong values -- zeros or uninitialised memory --
    when the output is one column wide and the column stride is above 1, e.g. input (2, 3, 3, 1), kernel
    (1, 2, 1, 1), strides (1, 2), "VALID". Its float64 kernel is right, so the reference uses it and the
    result is cast back to the input's dtype.
    """
    if x.shape[0] == 0:
        # TensorFlow returns an empty batch with the *input's* spatial shape when strides > 1
        # (e.g. (0, 2, 1) for 2 steps, kernel 1, stride 2); take the shape from a one-example batch.
        one = tf_conv(
            np.zeros((1, *x.shape[1:]), x.dtype),
            kernel,
            bias,
            strides=strides,
            padding=padding,
            dilation=dilation,
            groups=groups,
            padding_mode=padding_mode,
        )
        return one[:0]
    y = tf_conv_tensor(
        tf.constant(x, tf.float64),
        tf.constant(kernel, tf.float64),
        strides=strides,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    ).numpy()
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype)


def tf_conv_tensor(x, kernel, *, strides, padding, dilation, groups=1, padding_mode="zeros"):
    """`tf_conv` on TensorFlow tensors, differentiable with ``tf.GradientTape``."""
    rank = len(x.shape) - 2
    strides, dilation = tuple(strides), tuple(dilation)
    direct = padding_mode == "zeros" and padding in ("valid", "same") and (max(strides) == 1 or max(dilation) == 1)
    if direct:
        x_in, tf_padding, tf_strides = x, padding.upper(), strides
    else:
        pads = explicit_pads(padding, x.shape[1:-1], kernel.shape[:rank], strides, dilation)
        x_in, tf_padding, tf_strides = tf_pad(x, pads, padding_mode), "VALID", (1,) * rank
    c_in_g = kernel.shape[-2]
    c_out_g = kernel.shape[-1] // groups
    parts = []
    for g in range(groups):
        xg = x_in[..., g * c_in_g : (g + 1) * c_in_g]
        kg = kernel[..., g * c_out_g : (g + 1) * c_out_g]
        parts.append(tf.nn.convolution(xg, kg, strides=tf_strides, padding=tf_padding, dilations=dilation))
    y = tf.concat(parts, axis=-1)
    if not direct:
        y = y[(slice(None), *(slice(None, None, s) for s in strides))]
    return y


def keras_transpose(case):
    """Keras' Conv1DTranspose or Conv2DTranspose on a `strategies.transpose_cases` case."""
    rank = case["x"].ndim - 2
    layer_class = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose}[rank]
    layer = layer_class(
        case["kernel"].shape[-2],
        case["kernel"].shape[:rank],
        strides=case["strides"],
        padding=case["padding"],
        output_padding=case["output_padding"],
        dilation_rate=case["dilation_rate"],
    )
    layer.build(case["x"].shape)
    layer.set_weights([case["kernel"], case["bias"]])
    return np.asarray(layer(case["x"]))
