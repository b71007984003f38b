"""Convolution by the fast Fourier transform: ``conv2d(..., method="fft")``.

A cross-correlation is a product in the frequency domain: with ``X`` and ``K``
the (real, 2D) Fourier transforms of an image channel and of a kernel slice,
the correlation of the two is the inverse transform of ``X * conj(K)``. The
transforms cost about ``n log n`` for ``n`` pixels whatever the kernel's size,
so for large kernels this beats the ``n * kh * kw`` of the direct sum.

Every option of `convbook.conv2d` is supported:

- padding: for zeros no padded copy of the input is made. The transform length
  is at least the padded size, so the circular correlation equals the linear
  one, and the kernel is rolled back by the top/left padding so that output
  ``i`` lands at index ``i``; the zeros after the input are the transform's own.
  Any other ``padding_mode`` pads each chunk of images before its transform;
- strides: every stride-1 position is computed and every ``s``-th kept;
- dilation: the kernel is transformed with ``d - 1`` zeros between its taps;
- groups: each group's input channels are correlated with its own filters.

The work is done a few filters and a few images at a time (`fft_plan`), so the
workspace (`workspace_bytes`) does not grow with the batch or the number of
filters. The transforms run on as many threads as SciPy's context says
(`scipy.fft.set_workers`; one by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from .arguments import ConvArguments, ConvGeometry, as_2d, pad_input, prepare_conv
from .shapes import Padding

__all__ = ["CHUNK_BYTES", "KERNEL_BYTES", "conv2d_fft", "fft_convolve", "fft_plan", "fft_size", "workspace_bytes"]

#: Bytes of rolled kernels and their spectra held at once.
KERNEL_BYTES = 16 * 2**20

#: Bytes of one chunk of images: padded channels, their spectra, the products and the inverse transforms.
CHUNK_BYTES = 32 * 2**20

#: Bytes of Python bookkeeping and of the transforms' own scratch space per call, counted in `workspace_bytes`.
OVERHEAD_BYTES = 256 * 2**10


def fft_size(n: int) -> int:
    """The transform length the FFT method uses for an axis of ``n`` padded positions.

    The smallest length ``>= n`` whose prime factors are all small (SciPy's
    ``next_fast_len``), for which FFTs are fastest.

    Examples
    --------
    >>> fft_size(542)   # 2**6 * 3**2
    576
    """
    return int(scipy.fft.next_fast_len(int(n), real=True))


def _sizes(geometry: ConvGeometry) -> tuple[tuple[int, int], int, int, int]:
    """Transform lengths, half-spectrum points, bytes per real and per complex number (2D geometry)."""
    (_, rows, cols, _), ((top, bottom), (left, right)) = geometry.input_shape, geometry.pads
    lengths = (fft_size(rows + top + bottom), fft_size(cols + left + right))
    n_freq = lengths[0] * (lengths[1] // 2 + 1)
    real = geometry.dtype.itemsize
    return lengths, n_freq, real, np.result_type(geometry.dtype, np.complex64).itemsize


def _chunk_bytes(geometry: ConvGeometry, filters: int, images: int) -> tuple[int, int]:
    """Bytes of a chunk of ``filters`` kernels and of a chunk of ``images`` images (2D geometry)."""
    lengths, n_freq, real, complex_ = _sizes(geometry)
    points, c_in_g = math.prod(lengths), geometry.kernel_shape[-2]
    kernels = filters * c_in_g * (points * real + n_freq * complex_)  # rolled kernels, their spectra
    # Zero-padded input channels and their spectra; the products, a term and the inverse transform's copy
    # of them; the inverse transforms.
    per_image = c_in_g * (points * real + n_freq * complex_) + filters * (3 * n_freq * complex_ + points * real)
    if geometry.padding_mode != "zeros":  # the padded copy of the chunk's channels, at most a transform's size
        per_image += 2 * c_in_g * points * real
    return kernels, images * per_image


def fft_plan(geometry: ConvGeometry) -> tuple[int, int]:
    """Filters and images `fft_convolve` transforms at a time.

    As many filters as fit their rolled kernels and spectra in `KERNEL_BYTES`, then as many
    images as fit their transforms and products with those filters in `CHUNK_BYTES`; at
    least one of each, which is the method's irreducible floor.

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> geometry = conv_geometry((64, 128, 128, 4), (9, 9, 4, 4), padding="same")
    >>> filters, images = fft_plan(geometry)
    >>> filters, 1 < images < 64, images * _chunk_bytes(geometry, filters, 1)[1] <= CHUNK_BYTES
    (4, True, True)
    """
    geometry = as_2d(geometry)
    c_out_g = geometry.kernel_shape[-1] // geometry.groups
    one_filter, _ = _chunk_bytes(geometry, 1, 0)
    filters = max(1, min(c_out_g, KERNEL_BYTES // one_filter))
    _, one_image = _chunk_bytes(geometry, filters, 1)
    images = max(1, min(geometry.input_shape[0], CHUNK_BYTES // one_image))
    return filters, images


def workspace_bytes(geometry: ConvGeometry) -> int:
    """Bytes `fft_convolve` allocates besides its output, from shapes alone: a true upper bound.

    One chunk of kernels and one chunk of images (`fft_plan`), plus `OVERHEAD_BYTES`.

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> workspace_bytes(conv_geometry((64, 128, 128, 4), (9, 9, 4, 4), padding="same")) < 64 * 2**20
    True
    """
    geometry = as_2d(geometry)
    if geometry.input_shape[0] == 0:
        return OVERHEAD_BYTES
    kernels, images = _chunk_bytes(geometry, *fft_plan(geometry))
    return kernels + images + OVERHEAD_BYTES


def fft_convolve(args: ConvArguments) -> np.ndarray:
    """The FFT method on validated arguments (1D or 2D); see `conv2d_fft`.

    Parameters
    ----------
    args : ConvArguments
        From `convbook.arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape args.output_shape
    """
    output_shape = args.output_shape
    args = as_2d(args)
    x, kernel, groups = args.x, args.kernel, args.groups
    batch = x.shape[0]
    kh, kw, c_in_g, c_out = kernel.shape
    c_out_g = c_out // groups
    (sh, sw), (dh, dw) = args.strides, args.dilation_rate
    # Zeros come from the transform's own padding; any other mode pads each chunk of images itself.
    pad_chunks = args.padding_mode != "zeros"
    (top, _), (left, _) = ((0, 0), (0, 0)) if pad_chunks else args.pads
    _, out_rows, out_cols, _ = args.output_shape
    y = np.empty(args.output_shape, dtype=args.dtype)
    if batch == 0:
        return y.reshape(output_shape)

    lengths, _, _, _ = _sizes(args.geometry)
    filters, n_images = fft_plan(args.geometry)
    # Tap (p, q) of a kernel, dilated and rolled back by the top/left padding, sits at
    # ((p * dh - top) mod n_rows, (q * dw - left) mod n_cols) of a transform-sized array.
    tap_rows = (np.arange(kh) * dh - top) % lengths[0]
    tap_cols = (np.arange(kw) * dw - left) % lengths[1]
    out_rows_kept = slice(0, (out_rows - 1) * sh + 1, sh)
    out_cols_kept = slice(0, (out_cols - 1) * sw + 1, sw)
    # Channels first from here on, so that every product runs over a whole spectrum.
    x_channels_first = x.transpose(0, 3, 1, 2)
    rolled = np.empty((filters, c_in_g, *lengths), dtype=args.dtype)  # reused for every chunk of filters
    for g in range(groups):
        for o0 in range(g * c_out_g, (g + 1) * c_out_g, filters):
            o1 = min(o0 + filters, (g + 1) * c_out_g)
            chunk = rolled[: o1 - o0]
            chunk[...] = 0
            chunk[:, :, tap_rows[:, None], tap_cols] = kernel[..., o0:o1].transpose(3, 2, 0, 1)
            # (filters, c_in_g, frequencies): conjugated, which turns convolution into correlation.
            kernel_spectrum = scipy.fft.rfft2(chunk, axes=(2, 3))
            np.conjugate(kernel_spectrum, out=kernel_spectrum)
            for b0 in range(0, batch, n_images):
                b1 = min(b0 + n_images, batch)
                if pad_chunks:
                    images = pad_input(x[b0:b1, ..., g * c_in_g : (g + 1) * c_in_g], args.pads, args.padding_mode)
                    images = images.transpose(0, 3, 1, 2)
                else:
                    images = x_channels_first[b0:b1, g * c_in_g : (g + 1) * c_in_g]
                image_spectrum = scipy.fft.rfft2(images, s=lengths, axes=(2, 3))
                del images
                # product[b, o] = sum over c of image_spectrum[b, c] * kernel_spectrum[o, c], frequency by frequency.
                product = image_spectrum[:, None, 0] * kernel_spectrum[:, 0]
                term = np.empty_like(product)
                for c in range(1, c_in_g):
                    np.multiply(image_spectrum[:, None, c], kernel_spectrum[:, c], out=term)
                    product += term
                del term, image_spectrum
                correlation = scipy.fft.irfft2(product, s=lengths, axes=(2, 3), overwrite_x=True)
                del product
                y[b0:b1, :, :, o0:o1] = correlation[:, :, out_rows_kept, out_cols_kept].transpose(0, 2, 3, 1)
                del correlation
            del kernel_spectrum  # before the next chunk's spectrum is allocated
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
    padding_mode: str = "zeros",
) -> np.ndarray:
    """`conv2d` by the fast Fourier transform: ``conv2d(..., method="fft")``.

    Each image channel and each kernel slice is transformed with a real 2D
    FFT (`scipy.fft.rfft2`, with SciPy's worker threads) at a length of at least
    the padded input (`fft_size`), the spectra are multiplied --
    the kernel's conjugated, which turns convolution into correlation -- and
    summed over the input channels of each group, and one inverse transform
    per output channel gives every stride-1 output position at once. Results
    equal the direct method's to floating-point rounding, which grows with
    ``log`` of the transform length rather than with the kernel size.

    Arguments, result and errors are those of `convbook.conv2d`; the
    workspace is at most `workspace_bytes`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> conv2d_fft(x, np.ones((2, 2, 1, 1))).round(10)[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=2,
        function="conv2d_fft",
        padding_mode=padding_mode,
    )
    return fft_convolve(args)
