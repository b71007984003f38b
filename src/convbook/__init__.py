"""convbook: the convolutions of *Convolutional Layers, from Loops to Keras*.

Modules, in the order the book builds them:

``shapes``
    Output sizes, padding amounts, receptive fields.
``loops``
    ``conv1d_loop``, ``conv2d_loop``: the definition as explicit loops.
``vectorized``
    ``conv1d``, ``conv2d``: the same numbers from sliding windows and ``einsum``;
    ``conv2d_per_tap`` and ``conv2d_im2col``, the other vectorizations of chapter 5.
``fft``, ``performance``
    The FFT path of ``conv2d(method="fft")``; FLOP and byte counts, the machine's matmul peak and the
    benchmark runner behind chapter 9 and ``python -m benchmarks.conv``.
``backward``
    ``conv1d_backward``, ``conv2d_backward``: gradients with respect to input, kernel and bias.
``transposed``
    ``conv1d_transpose``, ``conv2d_transpose``: Keras' transposed convolutions.
``upsampling``
    ``conv2d_transpose_loop``, ``conv2d_transpose_zero_insertion``, ``insert_zeros``: the other two ways
    of chapter 8 to compute a transposed convolution.
``pooling``
    ``max_pool2d``, ``average_pool2d`` (and their loops): Keras' pooling layers.
``layers``
    ``depthwise_conv2d``, ``separable_conv2d``: Keras' depthwise and separable layers.
``plotting``, ``diagrams``, ``animation``
    Figures of kernels and feature maps, padding diagrams, the sliding-window animation.
``keras_bridge``
    ``keras_conv``: the Keras layer for a convbook call, with the same weights.
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
