"""convbook: the convolutions of *Convolutional Layers, from Loops to Keras*.

Modules, in the order the book builds them:

``shapes``
    Output sizes, padding amounts, receptive fields.
``loops``
    ``conv1d_loop``, ``conv2d_loop``: the definition as explicit loops.
``vectorized``
    ``conv1d``, ``conv2d``: the same numbers from sliding windows and ``einsum``.

All functions follow Keras' conventions: channels-last input with a batch axis,
kernels in ``get_weights()`` layout, Keras' argument names.
"""

from . import shapes
from .loops import conv1d_loop, conv2d_loop
from .vectorized import conv1d, conv2d

__all__ = ["conv1d", "conv1d_loop", "conv2d", "conv2d_loop", "shapes"]
__version__ = "0.1.0"
