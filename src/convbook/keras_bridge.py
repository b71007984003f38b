"""Run the Keras layer that corresponds to a convbook call, with the same weights.

The chapters and tests compare convbook with Keras many times over; this is
the one place that maps convbook's arguments to a Keras layer. Keras is
imported when a function is called, not when convbook is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .arguments import as_real_array
from .shapes import Padding

__all__ = ["keras_conv"]


def keras_conv(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    activation: str | None = None,
) -> np.ndarray:
    """Output of a Keras ``Conv1D``/``Conv2D``/``Conv3D`` layer built with these weights and options.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in), (batch, rows, cols, c_in) or (batch, depth, rows, cols, c_in)
        The rank (1D, 2D or 3D) picks ``Conv1D``, ``Conv2D`` or ``Conv3D``.
    kernel : array_like, shape (*kernel_size, c_in // groups, c_out)
    bias : array_like, shape (c_out,), optional
        ``None`` builds the layer with ``use_bias=False``.
    strides, padding, dilation_rate, groups
        Passed to the layer as they are; ``padding`` must be a name Keras
        knows (``"valid"``, ``"same"``, or ``"causal"`` for ``Conv1D``).
    activation : str, optional
        Keras activation name, e.g. ``"relu"``.

    Returns
    -------
    ndarray, shape (batch, *out_spatial, c_out)
        The layer's output as a NumPy array.

    Raises
    ------
    ValueError
        If ``x`` has neither 3, 4 nor 5 axes, or Keras rejects the options (it
        refuses strides > 1 together with dilation > 1).
    """
    import keras

    x = as_real_array(x, "x")
    kernel = as_real_array(kernel, "kernel")
    layers = {3: keras.layers.Conv1D, 4: keras.layers.Conv2D, 5: keras.layers.Conv3D}
    if x.ndim not in layers:
        raise ValueError(f"x must have 3 axes (Conv1D), 4 axes (Conv2D) or 5 axes (Conv3D); got shape {x.shape}")
    if kernel.ndim != x.ndim:
        raise ValueError(f"kernel must have {x.ndim} axes, as many as x; got shape {kernel.shape}")
    layer = layers[x.ndim](
        filters=kernel.shape[-1],
        kernel_size=kernel.shape[:-2],
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        groups=groups,
        activation=activation,
        use_bias=bias is not None,
        dtype=str(x.dtype) if x.dtype.kind == "f" else "float32",
    )
    layer.build(x.shape)
    layer.set_weights([kernel] if bias is None else [kernel, np.asarray(bias)])
    return np.asarray(layer(x))
