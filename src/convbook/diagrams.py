"""Diagrams of padding, stride, dilation and receptive fields.

Every number these figures show -- padding amounts, output sizes, kernel
extents, receptive fields -- comes from `convbook.shapes`; the only thing
computed here is *where* a window's taps fall, which is the definition of the
convolution: output ``i`` reads padded positions ``i * stride + j * dilation``
for taps ``j = 0 .. k - 1``.

Every helper returns the `matplotlib.figure.Figure` it drew on, titled and
labelled. Each drawn cell is a `matplotlib.patches.Rectangle` whose ``gid``
says what it is (``"input"``, ``"unread"``, ``"pad"``, ``"tap"``, ``"gap"``,
``"output"``, ...), so a test can count them.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from . import shapes

__all__ = [
    "COLORS",
    "plot_padding_diagram",
    "plot_padding_grid",
    "plot_receptive_field_growth",
    "plot_receptive_field_stack",
]

#: Fill colour of every kind of cell the diagrams draw.
COLORS = {
    "input": "#cfe2f3",  # an input value the kernel reads
    "unread": "#f4cccc",  # an input value no window reads
    "pad": "#d9d9d9",  # a zero added by padding
    "tap": "#f6b26b",  # a position a kernel tap multiplies
    "output": "#b6d7a8",  # an output value
}

_LEGEND = {
    "input": "input",
    "unread": "input never read",
    "pad": "padding (zero)",
    "tap": "kernel tap",
    "gap": "skipped by dilation",
    "output": "output",
}

#: Largest number of cells along one axis the diagrams agree to draw.
MAX_CELLS = 48


def _check_ax(ax: object) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")


def _describe(padding: object) -> str:
    """``same`` for a mode name, ``padding=(1, 2)`` for explicit amounts."""
    return padding.lower() if isinstance(padding, str) else f"padding={padding!r}"


def _cell(ax: Axes, x: float, y: float, kind: str, text: str = "", *, fontsize: float = 8, **style: object) -> None:
    """One unit square with its lower-left corner at ``(x, y)``, tagged ``gid=kind``."""
    if kind == "gap":
        patch = Rectangle((x, y), 1, 1, facecolor="none", edgecolor="0.45", linestyle="--", linewidth=0.8)
    else:
        defaults: dict[str, object] = {"facecolor": COLORS[kind], "edgecolor": "0.3", "linewidth": 0.8}
        defaults.update(style)
        patch = Rectangle((x, y), 1, 1, **defaults)  # type: ignore[arg-type]
    patch.set_gid(kind)
    ax.add_patch(patch)
    if text:
        ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=fontsize)


def _legend(ax: Axes, kinds: Sequence[str], *, hatch_pad: bool = False) -> None:
    """A legend for the cell kinds drawn, right of the axes."""
    handles = []
    for kind in kinds:
        if kind == "gap":
            handles.append(Patch(facecolor="none", edgecolor="0.45", linestyle="--", label=_LEGEND[kind]))
        else:
            hatch = "///" if kind == "pad" and hatch_pad else None
            handles.append(Patch(facecolor=COLORS[kind], edgecolor="0.3", hatch=hatch, label=_LEGEND[kind]))
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8,
    )


def plot_padding_diagram(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: str | int | Sequence[int] = "same",
    dilation_rate: int = 1,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Draw a 1D convolution's padded input and every window it reads, one row per output.

    The top row is the input with its padding: input cells labelled by their
    index, zeros labelled ``pad``, and input cells that no window reads in a
    warning colour. Below it, row ``i`` shows the window of output ``i``: a
    kernel tap on every position it multiplies (``w0, w1, ...``), dashed cells
    where dilation skips a position, and the output cell ``y[i]`` at the right.
    The title gives the padding amounts and the number of outputs, both from
    `convbook.shapes`.

    Parameters
    ----------
    input_size : int
        Length of the input, ``n``.
    kernel_size : int
        Number of kernel taps, ``k``.
    stride : int, default 1
        Step between neighbouring windows, ``s``.
    padding : str, int or (int, int), default "same"
        ``"valid"``, ``"same"``, ``"causal"``, ``"full"``, or explicit amounts;
        see `convbook.shapes.padding_amounts`.
    dilation_rate : int, default 1
        Spacing between kernel taps, ``d``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``. Its cells are `Rectangle` patches with
        ``gid`` ``"input"``, ``"unread"``, ``"pad"``, ``"tap"``, ``"gap"`` or
        ``"output"``.

    Raises
    ------
    TypeError
        A non-integer size, stride or dilation, or an ``ax`` that is not an Axes.
    ValueError
        Non-positive sizes, an unknown padding, a kernel that does not fit the
        padded input, or more than `MAX_CELLS` cells to draw.

    Examples
    --------
    >>> fig = plot_padding_diagram(6, 3, stride=2, padding="same")
    >>> fig.axes[0].get_title()
    'n=6, k=3, s=2, same: pads (0, 1), 3 outputs'
    >>> plt.close(fig)
    """
    _check_ax(ax)
    before, after = shapes.padding_amounts(input_size, kernel_size, stride, padding, dilation_rate)
    outputs = shapes.output_size(input_size, kernel_size, stride, padding, dilation_rate)
    extent = shapes.effective_kernel_size(kernel_size, dilation_rate)
    n, k, s, d = int(input_size), int(kernel_size), int(stride), int(dilation_rate)
    padded = n + before + after
    if outputs == 0:
        raise ValueError(
            f"kernel does not fit: its extent is {extent} (kernel_size {k}, dilation_rate {d}) but the padded "
            f"input has {padded} positions (padding={padding!r}); nothing to draw"
        )
    if padded > MAX_CELLS or outputs > MAX_CELLS:
        raise ValueError(
            f"input_size={n} with padding {(before, after)} gives {padded} cells and {outputs} outputs; "
            f"the diagram draws at most {MAX_CELLS} of each"
        )

    windows = [[i * s + j * d for j in range(k)] for i in range(outputs)]
    read = {p for taps in windows for p in taps}
    created = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.42 * (padded + 3) + 1.6), 0.42 * (outputs + 1.4) + 1.9))
    fig = ax.figure

    kinds = []
    for p in range(padded):
        index = p - before
        if 0 <= index < n:
            kind = "input" if p in read else "unread"
            _cell(ax, p, 0, kind, f"x{index}")
        else:
            kind = "pad"
            _cell(ax, p, 0, kind, "pad", fontsize=7)
        kinds.append(kind)
    row_centres = [0.5]
    for i, taps in enumerate(windows):
        y = i + 1.3
        row_centres.append(y + 0.5)
        for p in range(taps[0], taps[-1] + 1):
            if p in taps:
                _cell(ax, p, y, "tap", f"w{taps.index(p)}")
            else:
                _cell(ax, p, y, "gap")
                kinds.append("gap")
        _cell(ax, padded + 1, y, "output", f"y{i}")

    ax.set_xlim(-0.3, padded + 2.3)
    ax.set_ylim(outputs + 1.5, -0.2)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(padded) + 0.5, [str(p - before) for p in range(padded)], fontsize=7)
    ax.set_yticks(row_centres, ["input", *(f"y[{i}]" for i in range(outputs))], fontsize=8)
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("input index (padding: below 0 and from n on)", fontsize=8)
    ax.set_ylabel("window of each output", fontsize=8)
    dilation = f", d={d}" if d > 1 else ""
    ax.set_title(f"n={n}, k={k}, s={s}{dilation}, {_describe(padding)}: pads ({before}, {after}), {outputs} outputs")
    present = [kind for kind in ("input", "unread", "pad", "gap") if kind in kinds]
    _legend(ax, [*present, "tap", "output"])
    if created:
        fig.tight_layout()
    return fig


def plot_padding_grid(
    input_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: shapes.Padding = "same",
    dilation_rate: int | Sequence[int] = 1,
    *,
    position: Sequence[int] = (0, 0),
    ax: Axes | None = None,
) -> Figure:
    """Draw a 2D padded input with the window of one output position, and the output grid.

    Left: the input grid surrounded by its padding (hatched zeros), with the
    taps of the window of output ``position`` coloured and the window's extent
    outlined. Right: the output grid, with ``position`` coloured. The title
    gives the padding per axis and the output shape from `convbook.shapes`.

    Parameters
    ----------
    input_shape : (int, int)
        ``(rows, cols)`` of the input.
    kernel_size, strides, dilation_rate : int or (int, int)
        As in `convbook.conv2d`; one int applies to both axes.
    padding : str, int or per-axis amounts, default "same"
        See `convbook.shapes.conv_padding`.
    position : (int, int), default (0, 0)
        The output position ``(row, col)`` whose window is drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Cells are `Rectangle` patches with ``gid`` ``"input"``, ``"pad"``,
        ``"tap"`` (an input or pad cell a tap multiplies) or ``"output"``; the
        window's outline has ``gid="window"``.

    Raises
    ------
    TypeError
        Non-integer sizes or position, or an ``ax`` that is not an Axes.
    ValueError
        ``input_shape`` or ``position`` without exactly two entries, a
        position outside the output, a kernel that does not fit, or more than
        `MAX_CELLS` cells along an axis.

    Examples
    --------
    >>> fig = plot_padding_grid((6, 6), 3, strides=2, padding="same", position=(2, 2))
    >>> fig.axes[0].get_title().splitlines()[0]
    '6x6 input, 3x3 kernel, strides (2, 2), same: pads ((0, 1), (0, 1)), output 3x3'
    >>> plt.close(fig)
    """
    _check_ax(ax)
    if isinstance(input_shape, str) or not isinstance(input_shape, Sequence) or len(input_shape) != 2:
        raise ValueError(f"input_shape must be (rows, cols); got {input_shape!r}")
    kernel = shapes.normalize_tuple(kernel_size, 2, "kernel_size")
    steps = shapes.normalize_tuple(strides, 2, "strides")
    dilation = shapes.normalize_tuple(dilation_rate, 2, "dilation_rate")
    pads = shapes.conv_padding(input_shape, kernel, steps, padding, dilation)
    out_shape = shapes.conv_output_shape(input_shape, kernel, steps, padding, dilation)
    rows, cols = (int(v) for v in input_shape)
    padded = (rows + sum(pads[0]), cols + sum(pads[1]))
    if 0 in out_shape:
        raise ValueError(
            f"kernel does not fit: kernel_size {kernel} with dilation_rate {dilation} is larger than the "
            f"padded input {padded} (padding={padding!r}); nothing to draw"
        )
    if max(padded) > MAX_CELLS or max(out_shape) > MAX_CELLS:
        raise ValueError(f"padded input {padded} is too large; the diagram draws at most {MAX_CELLS} cells per axis")
    if isinstance(position, str) or not isinstance(position, Sequence) or len(position) != 2:
        raise ValueError(f"position must be (row, col) of an output; got {position!r}")
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in position):
        raise TypeError(f"position must be two ints (row, col); got {position!r}")
    i, j = int(position[0]), int(position[1])
    if not (0 <= i < out_shape[0] and 0 <= j < out_shape[1]):
        raise ValueError(f"position {(i, j)} is outside the output, which has shape {out_shape}")

    tap_rows = [i * steps[0] + a * dilation[0] for a in range(kernel[0])]
    tap_cols = [j * steps[1] + b * dilation[1] for b in range(kernel[1])]
    offset = padded[1] + 2  # the output grid starts two cells right of the padded input
    created = ax is None
    if ax is None:
        width = 0.4 * (offset + out_shape[1]) + 1.6
        _, ax = plt.subplots(figsize=(max(5.0, width), 0.4 * max(padded[0], out_shape[0]) + 2.4))
    fig = ax.figure

    for r in range(padded[0]):
        for c in range(padded[1]):
            inside = pads[0][0] <= r < pads[0][0] + rows and pads[1][0] <= c < pads[1][0] + cols
            if r in tap_rows and c in tap_cols:
                text = f"w{tap_rows.index(r)}{tap_cols.index(c)}"
                hatch = None if inside else "///"
                _cell(ax, c, r, "tap", text, fontsize=6, hatch=hatch)
            elif inside:
                _cell(ax, c, r, "input")
            else:
                _cell(ax, c, r, "pad", hatch="///")
    outline = Rectangle(
        (tap_cols[0], tap_rows[0]),
        tap_cols[-1] - tap_cols[0] + 1,
        tap_rows[-1] - tap_rows[0] + 1,
        facecolor="none",
        edgecolor="black",
        linewidth=2,
    )
    outline.set_gid("window")
    ax.add_patch(outline)
    for r in range(out_shape[0]):
        for c in range(out_shape[1]):
            chosen = (r, c) == (i, j)
            style = {"facecolor": COLORS["tap"]} if chosen else {}
            _cell(ax, offset + c, r, "output", f"y{r}{c}" if chosen else "", fontsize=6, **style)

    ax.set_xlim(-0.3, offset + out_shape[1] + 0.3)
    ax.set_ylim(max(padded[0], out_shape[0]) + 0.3, -0.3)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(padded[1]) + 0.5, [str(c - pads[1][0]) for c in range(padded[1])], fontsize=7)
    ax.set_yticks(np.arange(padded[0]) + 0.5, [str(r - pads[0][0]) for r in range(padded[0])], fontsize=7)
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("input column (left)   |   output grid (right)", fontsize=8)
    ax.set_ylabel("input row", fontsize=8)
    dilated = f", dilation {dilation}" if max(dilation) > 1 else ""
    ax.set_title(
        f"{rows}x{cols} input, {kernel[0]}x{kernel[1]} kernel, strides {steps}{dilated}, {_describe(padding)}: "
        f"pads {pads}, output {out_shape[0]}x{out_shape[1]}\nwindow of output ({i}, {j})",
        fontsize=9,
    )
    _legend(ax, ["input", "pad", "tap", "output"], hatch_pad=True)
    if created:
        fig.tight_layout()
    return fig


def _layer_tuple(layer: Sequence[int]) -> tuple[int, int, int]:
    """``(k,)``, ``(k, s)`` or ``(k, s, d)`` as ``(k, s, d)``; validated by `shapes.receptive_field` first."""
    k, s, d = (*layer, 1, 1)[:3]
    return int(k), int(s), int(d)


def plot_receptive_field_growth(
    stacks: Mapping[str, Sequence[tuple[int, ...]]],
    *,
    log_scale: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Plot the receptive field of one output against depth, for several stacks of layers.

    For every stack the size after the first ``L`` layers is
    ``convbook.shapes.receptive_field(layers[:L]).size``.

    Parameters
    ----------
    stacks : mapping of str to sequence of tuple
        A name for the legend, and the stack's layers as
        ``(kernel_size, stride, dilation_rate)`` tuples (see
        `convbook.shapes.receptive_field`), first layer first.
    log_scale : bool, default False
        A logarithmic y axis (base 2), on which exponential growth is a line.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One line per stack, labelled with its name; the last point of each
        line is annotated with its size.

    Raises
    ------
    TypeError
        ``stacks`` is not a mapping, a layer is not a tuple, or ``ax`` is not
        an Axes.
    ValueError
        ``stacks`` or one of its stacks is empty, or a layer has a
        non-positive entry.

    Examples
    --------
    >>> fig = plot_receptive_field_growth({"3x3": [(3,)] * 3})
    >>> [int(v) for v in fig.axes[0].lines[0].get_ydata()]
    [3, 5, 7]
    >>> plt.close(fig)
    """
    _check_ax(ax)
    if not isinstance(stacks, Mapping):
        raise TypeError(f"stacks must be a mapping from a name to a list of layers; got {type(stacks).__name__}")
    if not stacks:
        raise ValueError("stacks must name at least one stack of layers")
    curves = {}
    for name, layers in stacks.items():
        if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
            raise ValueError(f"stacks[{name!r}] must be a non-empty list of (kernel_size, stride, dilation_rate)")
        depths = np.arange(1, len(layers) + 1)
        curves[name] = (depths, [shapes.receptive_field(layers[:depth]).size for depth in depths])
    created = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    fig = ax.figure
    ends: list[tuple[int, int]] = []
    for index, (name, (depths, sizes)) in enumerate(curves.items()):
        # Marker and line style vary too, so that stacks with equal sizes stay visible on top of each other.
        style = {"marker": "osD^v<>ph*"[index % 10], "linestyle": ["-", "--", ":", "-."][index % 4]}
        (line,) = ax.plot(depths, sizes, label=name, **style)  # type: ignore[arg-type]
        end = (int(depths[-1]), sizes[-1])
        ax.annotate(
            str(sizes[-1]),
            end,
            textcoords="offset points",
            xytext=(6, -10 * ends.count(end)),
            va="center",
            fontsize=8,
            color=line.get_color(),
        )
        ends.append(end)
    if log_scale:
        ax.set_yscale("log", base=2)
    ax.set_xticks(np.arange(1, max(len(d) for d, _ in curves.values()) + 1))
    ax.set_xlabel("depth (number of layers)")
    ax.set_ylabel("receptive field (input positions)")
    ax.set_title("Receptive field of one output vs depth")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if created:
        fig.tight_layout()
    return fig


def plot_receptive_field_stack(layers: Sequence[tuple[int, ...]], *, ax: Axes | None = None) -> Figure:
    """Draw which positions of every layer of a 1D stack feed one output at the top.

    The input has exactly ``receptive_field(layers).size`` positions and every
    layer uses ``"valid"`` padding, so the top layer has one output. Each
    layer is a row of nodes, placed at the centre of their own receptive
    fields; nodes that reach the top output are filled and joined to the taps
    that read them, the others are grey. With dilations such as 2, 2, 2 some
    inputs inside the receptive field never reach the output (the *gridding*
    effect): the title counts them.

    Parameters
    ----------
    layers : sequence of tuple
        ``(kernel_size, stride, dilation_rate)`` per layer, first layer first;
        see `convbook.shapes.receptive_field`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Used nodes are a scatter with ``gid="used"``, the others
        ``gid="unused"``, the connections a `LineCollection` with
        ``gid="edges"``.

    Raises
    ------
    TypeError
        A layer that is not a tuple of ints, or an ``ax`` that is not an Axes.
    ValueError
        No layers, a non-positive entry, or a receptive field of more than
        `MAX_CELLS` positions.

    Examples
    --------
    >>> fig = plot_receptive_field_stack([(3, 1, 1), (3, 1, 2)])
    >>> print(fig.axes[0].get_title())
    Layers (k, s, d) = (3, 1, 1), (3, 1, 2)
    receptive field 7: all 7 inputs reach the output
    >>> plt.close(fig)
    """
    _check_ax(ax)
    if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(f"layers must be a non-empty list of (kernel_size, stride, dilation_rate); got {layers!r}")
    field = shapes.receptive_field(layers)  # validates every layer
    if field.size > MAX_CELLS:
        raise ValueError(f"the receptive field has {field.size} positions; the diagram draws at most {MAX_CELLS}")
    parsed = [_layer_tuple(layer) for layer in layers]
    lengths = [field.size]
    for k, s, d in parsed:
        lengths.append(shapes.output_size(lengths[-1], k, s, "valid", d))

    # Walk down from the single top output: a node is used if a used node above reads it.
    used = [set() for _ in lengths]
    used[-1] = {0}
    for level in range(len(parsed), 0, -1):
        k, s, d = parsed[level - 1]
        used[level - 1] = {p * s + j * d for p in used[level] for j in range(k)}

    def x_of(level: int, index: int) -> float:
        below = shapes.receptive_field(layers[:level])
        return index * below.jump + (below.size - 1) / 2

    segments = []
    for level in range(1, len(lengths)):
        k, s, d = parsed[level - 1]
        for p in sorted(used[level]):
            segments.extend(((x_of(level, p), level), (x_of(level - 1, p * s + j * d), level - 1)) for j in range(k))

    created = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.32 * field.size + 2.5), 0.75 * len(lengths) + 1.6))
    fig = ax.figure
    edges = LineCollection(segments, colors="0.55", linewidths=0.8, zorder=1)
    edges.set_gid("edges")
    ax.add_collection(edges)
    for gid, pick, style in (
        ("unused", lambda lv, i: i not in used[lv], {"color": "0.85", "edgecolors": "0.6", "s": 36}),
        ("used", lambda lv, i: i in used[lv], {"color": COLORS["tap"], "edgecolors": "0.2", "s": 56}),
    ):
        points = [(x_of(lv, i), lv) for lv, length in enumerate(lengths) for i in range(length) if pick(lv, i)]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(xs, ys, zorder=2, gid=gid, **style)  # type: ignore[arg-type]

    reached = len(used[0])
    ax.set_yticks(
        range(len(lengths)),
        ["input", *(f"layer {lv}: k={k}, s={s}, d={d}" for lv, (k, s, d) in enumerate(parsed, start=1))],
        fontsize=8,
    )
    ax.set_xticks(range(field.size), [str(i) for i in range(field.size)], fontsize=7)
    ax.set_xlim(-0.8, field.size - 0.2)
    ax.set_ylim(-0.5, len(lengths) - 0.5)
    ax.set_xlabel("input position")
    described = ", ".join(str(layer) for layer in parsed)
    if reached == field.size:
        reach = f"all {reached} inputs reach the output"
    else:
        reach = f"only {reached} of them reach the output"
    ax.set_title(f"Layers (k, s, d) = {described}\nreceptive field {field.size}: {reach}", fontsize=10)
    if created:
        fig.tight_layout()
    return fig
