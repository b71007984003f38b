"""convbook: the convolutions of *Convolutional Layers, from Loops to Keras*.

Every public function is importable from here (``convbook.conv2d_backward``) and listed in
``__all__``. The modules form layers, each importing only from those listed before it, so that
``src/convbook/`` reads in the order the book builds it:

``shapes``
    Output sizes, padding amounts, receptive fields: the one place sizes are computed.
``arguments``
    Validation of every convolution's arguments (`prepare_conv`), their shapes alone
    (`conv_geometry`), the one dtype rule (`computation_dtype`) and the padding modes
    (`pad_input`, `PADDING_MODES`).
``loops``, ``locally_connected``, ``vectorized``, ``direct``, ``fft``
    The engines: the definition as loops (chapter 3) and the locally connected layer beside it;
    chapter 5's einsum, im2col and per-tap vectorizations; the tiled direct method with a
    bounded workspace (chapter 9); the FFT.
``cost``
    FLOPs, bytes, workspace and predicted seconds, from shapes alone (chapter 9). Its
    ``workspace_bytes`` is the one importable from here; ``direct`` and ``fft`` have their own.
``conv``
    `conv1d`, `conv2d`, `conv3d` and `choose_method`, the choice behind ``method="auto"``.
``backward``
    Gradients with respect to input, kernel and bias (chapter 7).
``transposed``
    Transposed convolutions: Keras' layers, the scatter loop and zero insertion (chapter 8).
``pooling``, ``depthwise``, ``normalization``, ``keras_bridge``
    Max, average and global average pooling; depthwise and separable convolutions; batch
    normalization and its folding into a convolution (chapter 11); the Keras layer for a call.
``network``
    A whole network in NumPy (chapter 14): `relu`, `dense` and `softmax_cross_entropy` with their
    gradients, and layer objects chained by ``convbook.network.Sequential`` with forward, backward
    and a plain SGD step. Its layers are reached through the module: ``convbook.network.Conv2D``.
``counting``
    Parameters, activations and FLOPs per layer of a whole network, from layer specifications or
    a Keras model, and its receptive field (chapter 12). Imported as a module: ``convbook.counting.count``.
``bench``
    Measuring on this machine: timing, memory, the machine's ceilings, the benchmark runner.
``plotting``, ``diagrams``, ``animation``, ``data``, ``notebook``
    Figures, padding diagrams, the sliding-window animation, generated data sets, and the first
    cell of every chapter. Imported on first use (they bring matplotlib).

All functions follow Keras' conventions: channels-last input with a batch axis,
kernels in ``get_weights()`` layout, Keras' argument names.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import counting, network, shapes
from .arguments import PADDING_MODES, ConvGeometry, computation_dtype, conv_geometry, pad_input, prepare_conv
from .backward import ConvGradients, conv1d_backward, conv2d_backward, conv3d_backward, input_gradient
from .conv import choose_method, conv1d, conv2d, conv3d
from .cost import conv_flops, direct_seconds, fastest_method, fft_flops, fft_seconds, im2col_bytes, workspace_bytes
from .depthwise import depthwise_conv2d, separable_conv2d
from .direct import choose_strategy, conv2d_direct, tile_plan
from .fft import conv2d_fft, fft_plan, fft_size
from .keras_bridge import keras_conv
from .locally_connected import locally_connected2d
from .loops import conv1d_loop, conv2d_loop, conv3d_loop
from .network import (
    DenseGradients,
    dense,
    dense_backward,
    relu,
    relu_backward,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from .normalization import (
    BatchNormGradients,
    batch_norm,
    batch_norm_backward,
    batch_norm_statistics,
    fold_batch_norm,
    moving_statistics,
)
from .pooling import (
    average_pool2d,
    average_pool2d_backward,
    average_pool2d_loop,
    global_average_pool,
    global_average_pool_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_loop,
)
from .transposed import (
    conv1d_transpose,
    conv2d_transpose,
    conv2d_transpose_loop,
    conv2d_transpose_zero_insertion,
    insert_zeros,
)
from .vectorized import conv2d_im2col, conv2d_per_tap, im2col, windows

# The functions of the modules that bring matplotlib (or measure), importable from here on first use.
_LAZY = {
    "plotting": ("annotate_cells", "plot_kernels", "plot_maps"),
    "diagrams": (
        "plot_padding_diagram",
        "plot_padding_grid",
        "plot_receptive_field_growth",
        "plot_receptive_field_stack",
    ),
    "animation": ("animate_convolution", "animation_html", "sliding_window"),
    "data": ("oriented_bars",),
    "notebook": ("quiet_stderr", "setup_notebook"),
    "bench": (
        "ConvCase",
        "benchmark_case",
        "best_time",
        "gflops",
        "loglog_slope",
        "machine_info",
        "matmul_peak",
        "measure",
        "memory_bandwidth",
        "workspace",
    ),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "BatchNormGradients",
    "DenseGradients",
    "PADDING_MODES",
    "ConvGeometry",
    "ConvGradients",
    "average_pool2d",
    "average_pool2d_backward",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_statistics",
    "average_pool2d_loop",
    "choose_method",
    "choose_strategy",
    "computation_dtype",
    "conv1d",
    "conv1d_backward",
    "conv1d_loop",
    "conv1d_transpose",
    "conv2d",
    "conv2d_backward",
    "conv2d_direct",
    "conv2d_fft",
    "conv2d_im2col",
    "conv2d_loop",
    "conv2d_per_tap",
    "conv2d_transpose",
    "conv2d_transpose_loop",
    "conv2d_transpose_zero_insertion",
    "conv3d",
    "conv3d_backward",
    "conv3d_loop",
    "conv_flops",
    "counting",
    "conv_geometry",
    "dense",
    "dense_backward",
    "depthwise_conv2d",
    "direct_seconds",
    "fastest_method",
    "fft_flops",
    "fft_plan",
    "fft_seconds",
    "fft_size",
    "fold_batch_norm",
    "global_average_pool",
    "global_average_pool_backward",
    "im2col",
    "im2col_bytes",
    "input_gradient",
    "insert_zeros",
    "keras_conv",
    "locally_connected2d",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_loop",
    "moving_statistics",
    "network",
    "pad_input",
    "prepare_conv",
    "relu",
    "relu_backward",
    "separable_conv2d",
    "shapes",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "tile_plan",
    "windows",
    "workspace_bytes",
    *sorted(_LAZY_NAMES),
]
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    """The figure, data, notebook and measuring functions, imported when first asked for."""
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
