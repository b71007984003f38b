"""Convolution by the fast Fourier transform: ``conv2d(..., method="fft")``.

A cross-correlation is a product in the frequency domain: with ``X`` and ``K``
the real Fourier transforms (over the 1, 2 or 3 spatial axes) of an image channel and of a kernel slice,
the correlation of the two is the inverse transform of ``X * conj(K)``. The
transforms cost about ``n log n`` for ``n`` pixels (or voxels) whatever the kernel's size,
so for large kernels this beats the ``n * prod(kernel_size)`` of the direct sum.

Every option of `convbook.conv2d` (and `convbook.conv1d`, `convbook.conv3d`) is supported:

- padding: for zeros no padded copy of the input is made. The transform length
  is at least the padded size, so the circular correlation equals the linear
  one, and the kernel is rolled back by the padding before the input so that output
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

from .arguments import ConvArguments, ConvGeometry, pad_input, prepare_conv
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


def _sizes(geometry: ConvGeometry) -> tuple[tuple[int, ...], int, int, int]:
    """Transform lengths, half-spectrum points, bytes per real and per complex number (any rank)."""
    spatial = geometry.input_shape[1:-1]
    lengths = tuple(fft_size(n + before + after) for n, (before, after) in zip(spatial, geometry.pads, strict=True))
    n_freq = math.prod(lengths[:-1]) * (lengths[-1] // 2 + 1)
    real = geometry.dtype.itemsize
    return lengths, n_freq, real, np.result_type(geometry.dtype, np.complex64).itemsize


def _chunk_bytes(geometry: ConvGeometry, filters: int, images: int) -> tuple[int, int]:
    """Bytes of a chunk of ``filters`` kernels and of a chunk of ``images`` images."""
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
    least one of each, which is the method's irreducible floor. Any number of spatial axes.

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> geometry = conv_geometry((64, 128, 128, 4), (9, 9, 4, 4), padding="same")
    >>> filters, images = fft_plan(geometry)
    >>> filters, 1 < images < 64, images * _chunk_bytes(geometry, filters, 1)[1] <= CHUNK_BYTES
    (4, True, True)
    """
    c_out_g = geometry.kernel_shape[-1] // geometry.groups
    one_filter, _ = _chunk_bytes(geometry, 1, 0)
    filters = max(1, min(c_out_g, KERNEL_BYTES // one_filter))
    _, one_image = _chunk_bytes(geometry, filters, 1)
    images = max(1, min(geometry.input_shape[0], CHUNK_BYTES // one_image))
    return filters, images


def workspace_bytes(geometry: ConvGeometry) -> int:
    """Bytes `fft_convolve` allocates besides its output, from shapes alone: a true upper bound.

    One chunk of kernels and one chunk of images (`fft_plan`), plus `OVERHEAD_BYTES`.
    Any number of spatial axes.

    Examples
    --------
    >>> from convbook.arguments import conv_geometry
    >>> workspace_bytes(conv_geometry((64, 128, 128, 4), (9, 9, 4, 4), padding="same")) < 64 * 2**20
    True
    >>> workspace_bytes(conv_geometry((8, 32, 64, 64, 2), (7, 7, 7, 2, 4), padding="same")) < 64 * 2**20
    True
    """
    if geometry.input_shape[0] == 0:
        return OVERHEAD_BYTES
    kernels, images = _chunk_bytes(geometry, *fft_plan(geometry))
    return kernels + images + OVERHEAD_BYTES


def fft_convolve(args: ConvArguments) -> np.ndarray:
    """The FFT method on validated arguments of 1, 2 or 3 spatial axes; see `conv2d_fft`.

    Parameters
    ----------
    args : ConvArguments
        From `convbook.arguments.prepare_conv`.

    Returns
    -------
    ndarray, shape args.output_shape
    """
    x, kernel, groups = args.x, args.kernel, args.groups
    rank = x.ndim - 2
    batch = x.shape[0]
    kernel_size, (c_in_g, c_out) = kernel.shape[:rank], kernel.shape[rank:]
    c_out_g = c_out // groups
    spatial_axes = tuple(range(2, rank + 2))  # of the channels-first arrays below
    # Zeros come from the transform's own padding; any other mode pads each chunk of images itself.
    pad_chunks = args.padding_mode != "zeros"
    befores = (0,) * rank if pad_chunks else tuple(before for before, _ in args.pads)
    out_spatial = args.output_shape[1:-1]
    y = np.empty(args.output_shape, dtype=args.dtype)
    if batch == 0:
        return y

    lengths, _, _, _ = _sizes(args.geometry)
    filters, n_images = fft_plan(args.geometry)
    # Tap (p, q, ...) of a kernel, dilated and rolled back by the padding before the input, sits at
    # ((p * d0 - before0) mod length0, (q * d1 - before1) mod length1, ...) of a transform-sized array.
    taps = np.ix_(
        *(
            (np.arange(k) * d - before) % length
            for k, d, before, length in zip(kernel_size, args.dilation_rate, befores, lengths, strict=True)
        )
    )
    kept = tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(out_spatial, args.strides, strict=True))
    # Channels first from here on, so that every product runs over a whole spectrum.
    to_channels_first = (0, rank + 1, *range(1, rank + 1))
    to_channels_last = (0, *range(2, rank + 2), 1)
    x_channels_first = x.transpose(to_channels_first)
    rolled = np.empty((filters, c_in_g, *lengths), dtype=args.dtype)  # reused for every chunk of filters
    for g in range(groups):
        for o0 in range(g * c_out_g, (g + 1) * c_out_g, filters):
            o1 = min(o0 + filters, (g + 1) * c_out_g)
            chunk = rolled[: o1 - o0]
            chunk[...] = 0
            chunk[(slice(None), slice(None), *taps)] = kernel[..., o0:o1].transpose(rank + 1, rank, *range(rank))
            # (filters, c_in_g, frequencies): conjugated, which turns convolution into correlation.
            kernel_spectrum = scipy.fft.rfftn(chunk, axes=spatial_axes)
            np.conjugate(kernel_spectrum, out=kernel_spectrum)
            for b0 in range(0, batch, n_images):
                b1 = min(b0 + n_images, batch)
                if pad_chunks:
                    images = pad_input(x[b0:b1, ..., g * c_in_g : (g + 1) * c_in_g], args.pads, args.padding_mode)
                    images = images.transpose(to_channels_first)
                else:
                    images = x_channels_first[b0:b1, g * c_in_g : (g + 1) * c_in_g]
                image_spectrum = scipy.fft.rfftn(images, s=lengths, axes=spatial_axes)
                del images
                # product[b, o] = sum over c of image_spectrum[b, c] * kernel_spectrum[o, c], frequency by frequency.
                product = image_spectrum[:, None, 0] * kernel_spectrum[:, 0]
                term = np.empty_like(product)
                for c in range(1, c_in_g):
                    np.multiply(image_spectrum[:, None, c], kernel_spectrum[:, c], out=term)
                    product += term
                del term, image_spectrum
                correlation = scipy.fft.irfftn(product, s=lengths, axes=spatial_axes, overwrite_x=True)
                del product
                y[b0:b1, ..., o0:o1] = correlation[(slice(None), slice(None), *kept)].transpose(to_channels_last)
                del correlation
            del kernel_spectrum  # before the next chunk's spectrum is allocated
    if args.bias is not None:
        y += args.bias
    return y


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
    FFT (`scipy.fft.rfftn` over the spatial axes, with SciPy's worker threads) at a length of at least
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
