"""Convolution by the fast Fourier transform: ``conv2d(..., method="fft")``.

A cross-correlation is a product in the frequency domain: with ``X`` and ``K``
the (real, 2D) Fourier transforms of an image channel and of a kernel slice,
the correlation of the two is the inverse transform of ``X * conj(K)``. The
transforms cost about ``n log n`` for ``n`` pixels whatever the kernel's size,
so for large kernels this beats the ``n * kh * kw`` of the direct sum.

Every option of `convbook.conv2d` is supported:

- padding: no padded copy of the input is made. The transform length is at
  least the padded size, so the circular correlation equals the linear one,
  and the kernel is rolled back by the top/left padding so that output ``i``
  lands at index ``i``; the zeros after the input are the transform's own;
- strides: every stride-1 position is computed and every ``s``-th kept;
- dilation: the kernel is transformed with ``d - 1`` zeros between its taps;
- groups: each group's input channels are correlated with its own filters.

The work is done a few images and a few filters at a time, so the workspace
does not grow with the batch size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike

from ._arguments import ConvArguments, prepare_conv
from .performance import fft_size
from .shapes import Padding

__all__ = ["conv2d_fft", "fft_convolve"]

#: Bytes of kernel spectra held at once.
KERNEL_BYTES = 16 * 2**20

#: Bytes of image spectra, products and inverse transforms held at once.
CHUNK_BYTES = 32 * 2**20


def _fft() -> tuple[ModuleType, dict[str, int]]:
    """``scipy.fft`` with every core as workers, or ``numpy.fft`` without SciPy."""
    try:
        import scipy.fft
    except ImportError:  # pragma: no cover - SciPy is in requirements.txt
        return np.fft, {}
    return scipy.fft, {"workers": os.cpu_count() or 1}


def fft_convolve(args: ConvArguments) -> np.ndarray:
    """The FFT method on validated arguments (1D or 2D); see `conv2d_fft`.

    Parameters
    ----------
    args : ConvArguments
        From `convbook._arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape args.output_shape
    """
    from .vectorized import _as_2d

    output_shape = args.output_shape
    args = _as_2d(args)
    x, kernel, groups = args.x, args.kernel, args.groups
    batch, rows, cols, _ = x.shape
    kh, kw, c_in_g, c_out = kernel.shape
    c_out_g = c_out // groups
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    (top, bottom), (left, right) = args.pads
    _, out_rows, out_cols, _ = args.output_shape
    y = np.empty(args.output_shape, dtype=args.dtype)
    if batch == 0:
        return y.reshape(output_shape)

    fft, options = _fft()
    lengths = (fft_size(rows + top + bottom), fft_size(cols + left + right))
    n_freq = lengths[0] * (lengths[1] // 2 + 1)
    complex_size = np.result_type(args.dtype, np.complex64).itemsize
    # The kernel, dilated and rolled back by the top/left padding, in a transform-sized array, filters first.
    # Tap (p, q) sits at ((p * dh - top) mod n_rows, (q * dw - left) mod n_cols).
    rolled = np.zeros((c_out, c_in_g, *lengths), dtype=args.dtype)
    tap_rows = (np.arange(kh) * dh - top) % lengths[0]
    tap_cols = (np.arange(kw) * dw - left) % lengths[1]
    rolled[:, :, tap_rows[:, None], tap_cols] = kernel.transpose(3, 2, 0, 1)
    out_rows_kept = slice(0, (out_rows - 1) * sh + 1, sh)
    out_cols_kept = slice(0, (out_cols - 1) * sw + 1, sw)
    # Channels first from here on, so that every product runs over a whole spectrum.
    x_channels_first = x.transpose(0, 3, 1, 2)

    filters = max(1, min(c_out_g, KERNEL_BYTES // (n_freq * c_in_g * complex_size)))
    per_image = n_freq * (c_in_g + 2 * filters) * complex_size + lengths[0] * lengths[1] * filters * args.dtype.itemsize
    n_images = max(1, CHUNK_BYTES // per_image)
    for g in range(groups):
        for o0 in range(g * c_out_g, (g + 1) * c_out_g, filters):
            o1 = min(o0 + filters, (g + 1) * c_out_g)
            # (filters, c_in_g, frequencies): conjugated, which turns convolution into correlation.
            kernel_spectrum = np.conj(fft.rfft2(rolled[o0:o1], axes=(2, 3), **options))
            for b0 in range(0, batch, n_images):
                b1 = min(b0 + n_images, batch)
                image_spectrum = fft.rfft2(
                    x_channels_first[b0:b1, g * c_in_g : (g + 1) * c_in_g], s=lengths, axes=(2, 3), **options
                )
                # product[b, o] = sum over c of image_spectrum[b, c] * kernel_spectrum[o, c], frequency by frequency.
                product = image_spectrum[:, None, 0] * kernel_spectrum[:, 0]
                term = np.empty_like(product)
                for c in range(1, c_in_g):
                    np.multiply(image_spectrum[:, None, c], kernel_spectrum[:, c], out=term)
                    product += term
                correlation = fft.irfft2(product, s=lengths, axes=(2, 3), **options)
                y[b0:b1, :, :, o0:o1] = correlation[:, :, out_rows_kept, out_cols_kept].transpose(0, 2, 3, 1)
    if args.bias is not None:
        y += args.bias
    return y.reshape(output_shape)


def conv2d_fft(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """`conv2d` by the fast Fourier transform: ``conv2d(..., method="fft")``.

    Each image channel and each kernel slice is transformed with a real 2D
    FFT (`scipy.fft.rfft2`, on every core) at a length of at least the padded
    input (`convbook.performance.fft_size`), the spectra are multiplied --
    the kernel's conjugated, which turns convolution into correlation -- and
    summed over the input channels of each group, and one inverse transform
    per output channel gives every stride-1 output position at once. Results
    equal the direct method's to floating-point rounding, which grows with
    ``log`` of the transform length rather than with the kernel size.

    Arguments, result and errors are those of `convbook.conv2d`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_fft(x, np.ones((2, 2, 1, 1))).round(10)[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d_fft")
    return fft_convolve(args)
