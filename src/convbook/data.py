"""Small image data sets made on the spot: nothing to download.

`oriented_bars` draws images of a single bar in one of four orientations, the kind of pattern a first
convolutional layer learns to detect with edge- and line-shaped kernels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BAR_CLASSES", "oriented_bars"]

#: Class names of `oriented_bars`, in label order.
BAR_CLASSES = ("horizontal", "vertical", "diagonal \\", "diagonal /")


def oriented_bars(
    n: int, size: int = 16, *, noise: float = 0.1, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Images of one bar each, horizontal, vertical or diagonal, at a random place, with noise.

    A bar is a line of thickness 1 or 2 pixels and length between half and all of the image,
    drawn with intensity 1 on a background of 0, then Gaussian noise is added.

    Parameters
    ----------
    n : int
        Number of images (the classes are balanced up to rounding, in random order).
    size : int, default 16
        Images are ``size x size``; at least 6.
    noise : float, default 0.1
        Standard deviation of the added Gaussian noise.
    seed : int or numpy.random.Generator, default 0
        Makes the data set reproducible.

    Returns
    -------
    images : ndarray, shape (n, size, size, 1), float32
    labels : ndarray, shape (n,), int64
        Index into `BAR_CLASSES`.

    Examples
    --------
    >>> images, labels = oriented_bars(8, size=8, noise=0.0)
    >>> images.shape, labels.shape
    ((8, 8, 8, 1), (8,))
    >>> bool(np.all(images[labels == 0].max(axis=2) >= 0))
    True
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative int; got {n!r}")
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 6:
        raise ValueError(f"size must be an int of at least 6; got {size!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a non-negative number; got {noise!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(BAR_CLASSES)).astype(np.int64)
    images = np.zeros((n, size, size), dtype=np.float32)
    for image, label in zip(images, labels, strict=True):
        thickness = int(rng.integers(1, 3))
        if label < 2:  # horizontal (one row) or vertical (one column) bar
            length = int(rng.integers(size // 2, size + 1))
            start = int(rng.integers(0, size - length + 1))
            offset = int(rng.integers(0, size - thickness + 1))
            along, across = np.arange(start, start + length), offset + np.arange(thickness)[:, None]
            rows, cols = (across, along) if label == 0 else (along, across)
        else:  # diagonal: pixel (r0 + i, c0 + i + t), mirrored left-right for "/"
            length = int(rng.integers(size // 2, size - thickness + 2))
            r0 = int(rng.integers(0, size - length + 1))
            c0 = int(rng.integers(0, size - length - thickness + 2))
            i, t = np.arange(length), np.arange(thickness)[:, None]
            rows, cols = r0 + i + 0 * t, c0 + i + t
            if label == 3:
                cols = size - 1 - cols
        image[rows, cols] = 1.0
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return images[..., None], labels
