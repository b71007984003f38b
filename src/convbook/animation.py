"""A kernel sliding over a small grid, as an animation that plays in a static HTML page.

`sliding_window` lists, in the order the loops visit them, every position a
kernel takes over a one-channel image: which padded-input cells it covers,
the values under it, and the output value it produces. `animate_convolution`
draws those steps with `matplotlib.animation.FuncAnimation`, and
`animation_html` turns the animation into self-contained HTML (frames embedded
as PNG) whose element ids do not change from one run to the next, so a
notebook that shows it can be re-executed and compared output for output.

Sizes and padding come from `convbook.shapes`, output values from
`convbook.conv2d`: the animation shows the numbers the book computes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import Animation, FuncAnimation, HTMLWriter
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike
from PIL import Image

from . import shapes
from .arguments import as_real_array
from .conv import conv2d
from .shapes import Padding

__all__ = ["SlidingWindow", "Step", "animate_convolution", "animation_html", "sliding_window"]


@dataclass(frozen=True)
class Step:
    """One position of the kernel: the window it covers and the value it produces.

    Attributes
    ----------
    position : (int, int)
        Output position ``(i, j)``.
    rows : ndarray of int, shape (kh,)
        Row of the padded input under each kernel row.
    cols : ndarray of int, shape (kw,)
        Column of the padded input under each kernel column.
    window : ndarray, shape (kh, kw)
        The padded input's values under the kernel taps,
        ``x_padded[np.ix_(rows, cols)]``.
    value : float
        The output value ``y[i, j]``, the sum of ``window * kernel``.
    """

    position: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    window: np.ndarray
    value: float


@dataclass(frozen=True)
class SlidingWindow:
    """Every step of a one-channel 2D convolution, in the order the loops visit them.

    Attributes
    ----------
    x_padded : ndarray, shape (rows + top + bottom, cols + left + right)
        The input with its zero padding.
    pads : ((int, int), (int, int))
        ``((top, bottom), (left, right))`` from `convbook.shapes.conv_padding`.
    kernel : ndarray, shape (kh, kw)
    output : ndarray, shape (out_rows, out_cols)
        The complete feature map, from `convbook.conv2d`.
    steps : tuple of Step
        One per output position, row by row.
    """

    x_padded: np.ndarray
    pads: tuple[tuple[int, int], ...]
    kernel: np.ndarray
    output: np.ndarray
    steps: tuple[Step, ...]

    def partial_output(self, done: int) -> np.ndarray:
        """The feature map after the first ``done`` steps, NaN where not yet computed.

        Parameters
        ----------
        done : int
            Number of steps taken, from 0 to ``len(steps)``.

        Returns
        -------
        ndarray, shape (out_rows, out_cols)
        """
        if not 0 <= done <= len(self.steps):
            raise ValueError(f"done must be between 0 and {len(self.steps)} (the number of steps); got {done}")
        partial = np.full(self.output.shape, np.nan)
        for step in self.steps[:done]:
            partial[step.position] = step.value
        return partial


def _as_grid(value: object, name: str) -> np.ndarray:
    array = as_real_array(value, name)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2D array (rows, cols) with one channel and no batch axis; got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    return array.astype(float)


def sliding_window(
    x: ArrayLike,
    kernel: ArrayLike,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
) -> SlidingWindow:
    """List every window a kernel visits on a one-channel image, and what it outputs.

    Parameters
    ----------
    x : array_like, shape (rows, cols)
        One image, one channel, no batch axis.
    kernel : array_like, shape (kh, kw)
        One filter for one channel.
    strides, padding, dilation_rate
        As in `convbook.conv2d`.

    Returns
    -------
    SlidingWindow
        The padded input, the padding, the complete output, and one `Step`
        per output position, row by row.

    Raises
    ------
    TypeError
        Non-numeric arrays, or strides, padding or dilation of the wrong type.
    ValueError
        ``x`` or ``kernel`` not 2D, or an argument `convbook.conv2d` rejects
        (unknown padding, a kernel that does not fit, ...).

    Examples
    --------
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> steps = sliding_window(x, np.ones((2, 2)))
    >>> len(steps.steps), steps.output.tolist()
    (4, [[8.0, 12.0], [20.0, 24.0]])
    >>> steps.steps[1].window.tolist(), steps.steps[1].value
    ([[1.0, 2.0], [4.0, 5.0]], 12.0)
    """
    x = _as_grid(x, "x")
    kernel = _as_grid(kernel, "kernel")
    output = conv2d(
        x[None, :, :, None],
        kernel[:, :, None, None],
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
        method="direct",  # the exact sums the animation shows, whatever the kernel's size
    )[0, :, :, 0]
    stride = shapes.normalize_tuple(strides, 2, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, 2, "dilation_rate")
    pads = shapes.conv_padding(x.shape, kernel.shape, stride, padding, dilation)
    out_shape = shapes.conv_output_shape(x.shape, kernel.shape, stride, padding, dilation)
    if output.shape != out_shape:  # cannot happen: conv2d takes its sizes from convbook.shapes too
        raise RuntimeError(f"conv2d gave shape {output.shape} but convbook.shapes says {out_shape}")
    x_padded = np.pad(x, pads)
    steps = []
    for i in range(out_shape[0]):
        for j in range(out_shape[1]):
            rows = i * stride[0] + dilation[0] * np.arange(kernel.shape[0])
            cols = j * stride[1] + dilation[1] * np.arange(kernel.shape[1])
            window = x_padded[np.ix_(rows, cols)]
            steps.append(Step((i, j), rows, cols, window, float(output[i, j])))
    return SlidingWindow(x_padded=x_padded, pads=pads, kernel=kernel, output=output, steps=tuple(steps))


def _formatter(*arrays: np.ndarray) -> str:
    """``"{:.0f}"`` when every value is a whole number, else one decimal."""
    whole = all(np.all(np.isnan(a) | (a == np.round(a))) for a in arrays)
    return "{:.0f}" if whole else "{:.1f}"


def _grid_axes(
    ax: plt.Axes, shape: tuple[int, int], title: str, pads: tuple[tuple[int, int], ...] = ((0, 0), (0, 0))
) -> None:
    """Title, labels, cell lines, and ticks that number the unpadded cells only."""
    rows, cols = shape
    (top, bottom), (left, right) = pads
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("column", fontsize=8)
    ax.set_ylabel("row", fontsize=8)
    ax.set_xticks(range(left, cols - right), [str(c) for c in range(cols - left - right)], fontsize=7)
    ax.set_yticks(range(top, rows - bottom), [str(r) for r in range(rows - top - bottom)], fontsize=7)
    ax.set_xticks(np.arange(cols + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="both", length=0)


def animate_convolution(
    x: ArrayLike,
    kernel: ArrayLike,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    interval: int = 600,
    max_frames: int = 40,
    cell_size: float = 0.32,
    dpi: int = 80,
    title: str | None = None,
) -> FuncAnimation:
    """Animate a kernel sliding over a one-channel image while the feature map fills in.

    Every frame shows three panels: the zero-padded input (padding in grey)
    with the kernel's taps outlined at the current position, the kernel, and
    the feature map computed so far, its newest value outlined. A line below
    spells out the current value as a sum of products. There is one frame per
    output position, so the last frame shows the complete feature map.

    The figure is closed before it is returned, so a notebook shows only the
    animation (for example ``HTML(animation_html(anim))``), not a still image.

    Parameters
    ----------
    x : array_like, shape (rows, cols)
        One image, one channel, no batch axis. Keep it small: every value is
        written in its cell.
    kernel : array_like, shape (kh, kw)
        One filter for one channel.
    strides, padding, dilation_rate
        As in `convbook.conv2d`.
    interval : int, default 600
        Milliseconds between frames.
    max_frames : int, default 40
        Refuse to draw more frames (output positions) than this, to keep the
        embedded HTML small.
    cell_size : float, default 0.32
        Size of one grid cell, in inches.
    dpi : int, default 80
        Resolution of every frame.
    title : str, optional
        Figure title; by default the padding, strides and shapes.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        With one frame per output position (see `sliding_window`).

    Raises
    ------
    TypeError, ValueError
        Bad arrays or convolution arguments (see `sliding_window`), a
        non-positive ``interval``, ``cell_size`` or ``dpi``, or more output
        positions than ``max_frames``.

    Examples
    --------
    >>> anim = animate_convolution(np.eye(3), np.ones((2, 2)), padding="valid")
    >>> len(list(anim.new_frame_seq()))
    4
    >>> html = animation_html(anim)  # show it in a notebook with IPython.display.HTML(html)
    """
    for name, value in (("interval", interval), ("max_frames", max_frames), ("dpi", dpi)):
        if not shapes._is_int(value) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if not isinstance(cell_size, (int, float)) or not cell_size > 0:
        raise ValueError(f"cell_size must be a positive number of inches; got {cell_size!r}")
    steps = sliding_window(x, kernel, strides=strides, padding=padding, dilation_rate=dilation_rate)
    if len(steps.steps) > max_frames:
        raise ValueError(
            f"the output has {len(steps.steps)} positions, so the animation would have {len(steps.steps)} frames, "
            f"more than max_frames={max_frames}; use a smaller input, a larger stride, or raise max_frames"
        )
    return _draw(steps, interval=interval, cell_size=float(cell_size), dpi=dpi, title=title, padding=padding)


def _draw(
    steps: SlidingWindow, *, interval: int, cell_size: float, dpi: int, title: str | None, padding: Padding
) -> FuncAnimation:
    """Build the figure and the `FuncAnimation` for `animate_convolution`."""
    x_padded, kernel, output = steps.x_padded, steps.kernel, steps.output
    (top, bottom), (left, right) = steps.pads
    fmt = _formatter(x_padded, kernel, output)
    shapes_2d = [x_padded.shape, kernel.shape, output.shape]
    widths = [max(s[1], 2) for s in shapes_2d]
    height = max(s[0] for s in shapes_2d)
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(cell_size * (sum(widths) + 6), cell_size * (height + 4.5)),
        dpi=dpi,
        gridspec_kw={"width_ratios": widths},
    )
    ax_x, ax_k, ax_y = axes
    light = plt.get_cmap("Blues")

    def pale(values: np.ndarray) -> dict[str, float]:
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        return {"vmin": low, "vmax": high + (high - low) * 1.2 + 1e-12}

    # Input panel: values, grey padding, one outlined square per kernel tap.
    ax_x.imshow(x_padded, cmap=light, **pale(x_padded))
    rows, cols = x_padded.shape
    for (r, c), value in np.ndenumerate(x_padded):
        is_pad = r < top or r >= rows - bottom or c < left or c >= cols - right
        if is_pad:
            ax_x.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="0.88", edgecolor="none"))
        ax_x.text(c, r, fmt.format(value), ha="center", va="center", fontsize=8, color="0.55" if is_pad else "black")
    _grid_axes(ax_x, x_padded.shape, "input x (padding in grey)", steps.pads)
    taps = [Rectangle((0, 0), 1, 1, fill=False, edgecolor="tab:orange", linewidth=2) for _ in range(kernel.size)]
    for patch in taps:
        ax_x.add_patch(patch)

    # Kernel panel.
    limit = 2 * (float(np.abs(kernel).max()) or 1.0)  # twice the largest weight: pale colours, legible text
    ax_k.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (r, c), value in np.ndenumerate(kernel):
        ax_k.text(c, r, fmt.format(value), ha="center", va="center", fontsize=8)
    _grid_axes(ax_k, kernel.shape, "kernel w")
    ax_k.add_patch(
        Rectangle((-0.5, -0.5), kernel.shape[1], kernel.shape[0], fill=False, edgecolor="tab:orange", linewidth=2)
    )

    # Output panel: filled in step by step.
    cmap_y = light.with_extremes(bad="white")
    image_y = ax_y.imshow(steps.partial_output(0), cmap=cmap_y, **pale(output))
    labels_y = {
        (r, c): ax_y.text(c, r, "", ha="center", va="center", fontsize=8) for (r, c), _ in np.ndenumerate(output)
    }
    _grid_axes(ax_y, output.shape, "feature map y")
    ax_y.grid(which="minor", color="0.85", linewidth=1)
    current = Rectangle((0, 0), 1, 1, fill=False, edgecolor="tab:orange", linewidth=2)
    ax_y.add_patch(current)

    equation = fig.text(0.5, 0.03, "", ha="center", va="bottom", fontsize=9)
    if title is None:
        title = f"padding={padding!r}: input {rows - top - bottom}x{cols - left - right}, kernel "
        title += f"{kernel.shape[0]}x{kernel.shape[1]}, feature map {output.shape[0]}x{output.shape[1]}"
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.82, bottom=0.2, wspace=0.3)

    def update(frame: int) -> list:
        step = steps.steps[frame]
        for patch, (r, c) in zip(taps, ((r, c) for r in step.rows for c in step.cols), strict=True):
            patch.set_xy((c - 0.5, r - 0.5))
        image_y.set_data(steps.partial_output(frame + 1))
        for done in steps.steps[: frame + 1]:
            labels_y[done.position].set_text(fmt.format(done.value))
        for later in steps.steps[frame + 1 :]:
            labels_y[later.position].set_text("")
        i, j = step.position
        current.set_xy((j - 0.5, i - 0.5))
        terms = [
            f"{fmt.format(v)}×{fmt.format(w)}" if w >= 0 else f"{fmt.format(v)}×({fmt.format(w)})"
            for v, w in zip(step.window.ravel(), kernel.ravel(), strict=True)
            if w != 0
        ]
        total = fmt.format(step.value)
        if 0 < len(terms) <= 9:
            equation.set_text(f"y[{i}, {j}] = {' + '.join(terms)} = {total}   (taps with weight 0 left out)")
        else:
            equation.set_text(f"y[{i}, {j}] = sum of window × kernel = {total}")
        return [*taps, image_y, *labels_y.values(), current, equation]

    anim = FuncAnimation(fig, update, frames=len(steps.steps), interval=interval, repeat=False)
    plt.close(fig)
    return anim


_ANIMATION_ID = re.compile(r"_anim_img([0-9a-f]{32})")

#: matplotlib's player loads Font Awesome from a CDN for its button icons; these
#: Unicode labels need no network.
_OFFLINE_ICONS = {
    "fa fa-minus": "\u2212",  # slower
    "fa fa-fast-backward": "|\u25c0\u25c0",  # first frame
    "fa fa-step-backward": "|\u25c0",  # previous frame
    "fa fa-play fa-flip-horizontal": "\u25c0",  # play backwards
    "fa fa-pause": "\u275a\u275a",  # pause
    "fa fa-play": "\u25b6",  # play
    "fa fa-step-forward": "\u25b6|",  # next frame
    "fa fa-fast-forward": "\u25b6\u25b6|",  # last frame
    "fa fa-plus": "+",  # faster
}
_FONT_AWESOME_LINK = re.compile(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">\s*')


def _without_network(html: str) -> str:
    """Drop the Font Awesome stylesheet link and put Unicode labels on the player's buttons."""
    html = _FONT_AWESOME_LINK.sub("", html)
    for css_class, label in _OFFLINE_ICONS.items():
        html = html.replace(f'<i class="{css_class}"></i>', label)
    if "font-awesome" in html or '<i class="fa' in html:
        raise RuntimeError("matplotlib's player template changed: Font Awesome icons left in the HTML")
    return html


class _PaletteHTMLWriter(HTMLWriter):
    """Matplotlib's HTML writer, with every frame stored as a palette PNG of at most ``colors`` colours.

    Grid figures have few colours, so a palette PNG is a fraction of the size of
    the RGBA PNG matplotlib writes, and the page that embeds it loads faster.
    """

    def __init__(self, *, colors: int, **kwargs: object) -> None:
        super().__init__(embed_frames=True, **kwargs)
        self.frame_format = "png"
        self.colors = colors

    def grab_frame(self, **savefig_kwargs: object) -> None:
        rgba = BytesIO()
        self.fig.savefig(rgba, format="png", dpi=self.dpi, **savefig_kwargs)
        image = Image.open(rgba).convert("RGB")
        palette = image.quantize(self.colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        compact = BytesIO()
        palette.save(compact, format="png", optimize=True)
        self._saved_frames.append(base64.encodebytes(compact.getvalue()).decode("ascii"))


def animation_html(
    anim: Animation,
    *,
    default_mode: str = "once",
    colors: int | None = 64,
    offline: bool = True,
    name: str = "",
    alt: str = "Animation",
) -> str:
    """Self-contained HTML player for an animation, identical on every run.

    This is ``anim.to_jshtml()`` with three changes. Matplotlib's player
    names its elements after a random ``uuid4``, so the same animation gives
    different HTML on every run; here that id is replaced by a hash of the
    rest of the HTML (the embedded frames and the player), so the HTML
    depends only on what the animation shows. Frames can be stored as
    palette PNGs, several times smaller for figures with few colours. And the
    player's buttons can be labelled without the icon font that matplotlib
    loads from the internet, so that the page works offline.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        The animation, for example from `animate_convolution`.
    default_mode : {"once", "loop", "reflect"}, default "once"
        What the player does at the last frame: stop there, start again, or
        play backwards.
    colors : int or None, default 64
        Store every frame as a PNG with a palette of at most this many
        colours (2 to 256); ``None`` keeps matplotlib's full-colour frames.
    offline : bool, default True
        Label the buttons with Unicode symbols instead of Font Awesome icons,
        and drop the link to Font Awesome's stylesheet on a CDN.
    name : str, default ""
        Mixed into the hash: give two identical animations on one page
        different names so that their players do not share element ids.
    alt : str, default "Animation"
        Alt text of the player's frame image: what the animation shows, for
        readers who cannot see it.

    Returns
    -------
    str
        HTML and JavaScript with the frames embedded; show it with
        ``IPython.display.HTML``.

    Raises
    ------
    TypeError
        ``anim`` is not an animation.
    ValueError
        Unknown ``default_mode``, or ``colors`` outside 2 to 256.

    Examples
    --------
    >>> html = animation_html(animate_convolution(np.eye(2), np.ones((1, 1))))
    >>> html == animation_html(animate_convolution(np.eye(2), np.ones((1, 1))))
    True
    >>> html.count("data:image/png;base64")
    4
    """
    if not isinstance(anim, Animation):
        raise TypeError(f"anim must be a matplotlib.animation.Animation; got {type(anim).__name__}")
    if default_mode not in ("once", "loop", "reflect"):
        raise ValueError(f"default_mode must be 'once', 'loop' or 'reflect'; got {default_mode!r}")
    if colors is not None and (not shapes._is_int(colors) or not 2 <= colors <= 256):
        raise ValueError(f"colors must be an int from 2 to 256, or None; got {colors!r}")
    fps = 1000 / getattr(anim, "_interval", 200)  # the frame rate to_jshtml() uses
    with TemporaryDirectory() as directory:
        path = Path(directory, "animation.html")
        if colors is None:
            writer: HTMLWriter = HTMLWriter(fps=fps, embed_frames=True, default_mode=default_mode)
        else:
            writer = _PaletteHTMLWriter(colors=int(colors), fps=fps, default_mode=default_mode)
        anim.save(str(path), writer=writer)
        html = path.read_text()
    if offline:
        html = _without_network(html)
    ids = set(_ANIMATION_ID.findall(html))
    if len(ids) != 1:
        raise RuntimeError(f"expected one player id in matplotlib's HTML, found {len(ids)}")
    (random_id,) = ids
    html = html.replace(f'<img id="_anim_img{random_id}"', f'<img id="_anim_img{random_id}" alt="{escape(alt)}"', 1)
    digest = hashlib.sha256((name + "\0" + html.replace(random_id, "")).encode()).hexdigest()[:32]
    return html.replace(random_id, digest)
