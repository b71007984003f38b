"""Figures the chapters draw: kernels, feature maps, windows.

Every helper returns the `matplotlib.figure.Figure` it made, titled and
labelled, so a notebook can show it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

__all__ = ["annotate_cells", "plot_kernels", "plot_maps"]


def annotate_cells(ax: plt.Axes, values: np.ndarray, fmt: str = "{:.2f}", fontsize: int = 8) -> None:
    """Write every value of a 2D array in its cell of an ``imshow`` image.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes holding an ``imshow`` of ``values``; the text is white on dark cells of its colour map and
        black on light ones.
    values : ndarray, shape (rows, cols)
        The numbers to write.
    fmt : str, default "{:.2f}"
        Format applied to every value.
    fontsize : int, default 8
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2D array; got shape {values.shape}")
    image = ax.images[-1] if ax.images else None
    for (row, col), value in np.ndenumerate(values):
        color = "black"
        if image is not None and np.isfinite(value):
            red, green, blue, _ = image.cmap(image.norm(value))
            color = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"  # dark cell: white text
        ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=fontsize, color=color)


def plot_kernels(
    kernel: ArrayLike,
    title: str = "Kernel",
    *,
    annotate: bool = True,
    cmap: str = "RdBu_r",
) -> Figure:
    """Draw a Keras-layout kernel as a grid: one row per input channel, one column per output channel.

    The panel in row ``c``, column ``o`` is the 2D slice ``kernel[:, :, c, o]``,
    the weights that input channel ``c`` contributes to output channel ``o``.
    All panels share one symmetric colour scale, so equal weights look equal.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw, c_in, c_out)
        Weights in ``Conv2D.get_weights()[0]`` layout.
    title : str, default "Kernel"
        Figure title; the shape is appended.
    annotate : bool, default True
        Write each weight in its cell.
    cmap : str, default "RdBu_r"
        A diverging colour map: negative blue, positive red.

    Returns
    -------
    matplotlib.figure.Figure
    """
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 4:
        raise ValueError(f"kernel must have 4 axes (kh, kw, c_in, c_out); got shape {kernel.shape}")
    kh, kw, c_in, c_out = kernel.shape
    limit = float(np.abs(kernel).max()) or 1.0
    fig, axes = plt.subplots(
        c_in,
        c_out,
        figsize=(1.2 + 1.5 * c_out * max(kw, 2) / 2, 0.9 + 1.4 * c_in * max(kh, 2) / 2),
        squeeze=False,
        layout="constrained",
    )
    for c in range(c_in):
        for o in range(c_out):
            ax = axes[c, o]
            ax.imshow(kernel[:, :, c, o], cmap=cmap, vmin=-limit, vmax=limit)
            if annotate:
                annotate_cells(ax, kernel[:, :, c, o])
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_title(f"output channel {o}\nkernel[:, :, {c}, {o}]", fontsize=9)
            else:
                ax.set_title(f"kernel[:, :, {c}, {o}]", fontsize=9)
            if o == 0:
                ax.set_ylabel(f"input channel {c}", fontsize=9)
    fig.suptitle(f"{title}: shape (kh, kw, c_in, c_out) = {kernel.shape}", fontsize=11)
    return fig


def plot_maps(
    maps: Sequence[ArrayLike],
    titles: Sequence[str],
    suptitle: str,
    *,
    cmap: str = "gray",
    annotate: bool = False,
    fmt: str = "{:.2f}",
    shared_scale: bool = False,
    symmetric: bool = False,
    colorbar: bool = False,
) -> Figure:
    """Draw 2D arrays (images, feature maps) side by side, each with its title.

    Parameters
    ----------
    maps : sequence of array_like, each shape (rows, cols)
        The arrays to draw, left to right.
    titles : sequence of str
        One title per array.
    suptitle : str
        Title of the whole figure.
    cmap : str, default "gray"
    annotate : bool, default False
        Write each value in its cell (for small arrays).
    fmt : str, default "{:.2f}"
        Format of the written values.
    shared_scale : bool, default False
        One colour scale for all panels instead of one each.
    symmetric : bool, default False
        Centre the colour scale on zero (for diverging colour maps, so that white means 0).
    colorbar : bool, default False
        Add a colour bar to every panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    arrays = [np.asarray(m, dtype=float) for m in maps]
    if len(arrays) != len(titles):
        raise ValueError(f"maps and titles must have the same length; got {len(arrays)} and {len(titles)}")
    for index, array in enumerate(arrays):
        if array.ndim != 2:
            raise ValueError(f"maps[{index}] must be a 2D array; got shape {array.shape}")
    limits: dict[str, float] = {}
    if shared_scale:
        limits = dict(vmin=min(a.min() for a in arrays), vmax=max(a.max() for a in arrays))
    if shared_scale and symmetric:
        largest = max(abs(limits["vmin"]), abs(limits["vmax"])) or 1.0
        limits = dict(vmin=-largest, vmax=largest)
    fig, axes = plt.subplots(1, len(arrays), figsize=(3.2 * len(arrays), 3.4), squeeze=False, layout="constrained")
    for ax, array, title in zip(axes[0], arrays, titles, strict=True):
        panel_limits = limits
        if symmetric and not shared_scale:
            largest = float(np.abs(array).max()) or 1.0
            panel_limits = dict(vmin=-largest, vmax=largest)
        image = ax.imshow(array, cmap=cmap, **panel_limits)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if annotate:
            annotate_cells(ax, array, fmt=fmt)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        if colorbar:
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(suptitle, fontsize=11)
    return fig
