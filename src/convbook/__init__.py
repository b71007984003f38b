"""convbook: the convolutions of *Convolutional Layers, from Loops to Keras*.

Modules, in the order the book builds them:

``shapes``
    Output sizes, padding amounts, receptive fields.
``loops``
    ``conv1d_loop``, ``conv2d_loop``: the definition as explicit loops.
``vectorized``
    ``conv1d``, ``conv2d``: the same numbers from sliding windows and ``einsum``;
    ``conv2d_per_tap`` and ``conv2d_im2col``, the other vectorizations of chapter 5.
``plotting``
    Figures of kernels and feature maps.
``notebook``
    ``setup_notebook``: the first cell of every chapter.

All functions follow Keras' conventions: channels-last input with a batch axis,
kernels in ``get_weights()`` layout, Keras' argument names.
"""

from . import shapes
from .loops import conv1d_loop, conv2d_loop
from .vectorized import conv1d, conv2d, conv2d_im2col, conv2d_per_tap

__all__ = ["conv1d", "conv1d_loop", "conv2d", "conv2d_im2col", "conv2d_loop", "conv2d_per_tap", "shapes"]
__version__ = "0.1.0"
