"""convbook.diagrams: the figures show the numbers convbook.shapes computes, and reject bad arguments."""

from __future__ import annotations

from collections import Counter

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from convbook import shapes
from convbook.diagrams import (
    plot_padding_diagram,
    plot_padding_grid,
    plot_receptive_field_growth,
    plot_receptive_field_stack,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _kinds(ax) -> Counter:
    return Counter(patch.get_gid() for patch in ax.patches)


def _texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "d"),
    [
        (6, 3, 2, "same", 1),
        (7, 3, 2, "same", 1),
        (8, 3, 2, "valid", 1),
        (6, 2, 1, "same", 1),
        (6, 3, 1, "full", 1),
        (6, 3, 1, "causal", 2),
        (9, 3, 1, "same", 2),
        (7, 2, 3, (2, 1), 1),
        (5, 3, 2, 1, 2),  # strides and dilation together: convbook draws what Keras refuses
    ],
)
def test_padding_diagram_shows_shapes_numbers(n, k, s, padding, d):
    before, after = shapes.padding_amounts(n, k, s, padding, d)
    outputs = shapes.output_size(n, k, s, padding, d)
    fig = plot_padding_diagram(n, k, stride=s, padding=padding, dilation_rate=d)
    (ax,) = [a for a in fig.axes if a.patches]
    title = ax.get_title()
    assert f"pads ({before}, {after})" in title
    assert f"{outputs} outputs" in title
    assert f"n={n}, k={k}, s={s}" in title

    kinds = _kinds(ax)
    assert kinds["pad"] == before + after
    assert kinds["input"] + kinds["unread"] == n
    assert kinds["tap"] == outputs * k
    assert kinds["output"] == outputs
    extent = shapes.effective_kernel_size(k, d)
    assert kinds["gap"] == outputs * (extent - k)

    texts = _texts(ax)
    assert texts.count("pad") == before + after
    assert [f"y{i}" for i in range(outputs)] == [t for t in texts if t.startswith("y")]
    assert sorted(t for t in texts if t.startswith("x")) == sorted(f"x{i}" for i in range(n))


def test_padding_diagram_marks_the_input_no_window_reads():
    # n=8, k=3, s=2, valid: windows start at 0, 2, 4 and end at 6; x7 is never read.
    fig = plot_padding_diagram(8, 3, stride=2, padding="valid")
    ax = fig.axes[0]
    unread = [p for p in ax.patches if p.get_gid() == "unread"]
    assert len(unread) == 1
    assert unread[0].get_x() == 7
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "input never read" in legend


def test_padding_diagram_draws_on_a_given_axes():
    fig, axes = plt.subplots(2, 1)
    returned = plot_padding_diagram(6, 3, padding="valid", ax=axes[1])
    assert returned is fig
    assert not axes[0].patches
    assert _kinds(axes[1])["output"] == shapes.output_size(6, 3)


@pytest.mark.parametrize(
    ("input_shape", "kernel", "strides", "padding", "dilation", "position"),
    [
        ((6, 6), 3, 2, "same", 1, (0, 0)),
        ((6, 6), 3, 2, "same", 1, (2, 2)),
        ((6, 7), (3, 2), (2, 1), "same", 1, (1, 3)),
        ((5, 5), 3, 1, "valid", 2, (0, 0)),
        ((4, 5), 2, 1, ((1, 0), 2), 1, (3, 2)),
    ],
)
def test_padding_grid_shows_shapes_numbers(input_shape, kernel, strides, padding, dilation, position):
    pads = shapes.conv_padding(input_shape, kernel, strides, padding, dilation)
    out_shape = shapes.conv_output_shape(input_shape, kernel, strides, padding, dilation)
    fig = plot_padding_grid(input_shape, kernel, strides, padding, dilation, position=position)
    ax = fig.axes[0]
    title = ax.get_title()
    assert f"pads {pads}" in title
    assert f"output {out_shape[0]}x{out_shape[1]}" in title
    assert f"window of output {tuple(position)}" in title

    kh, kw = shapes.normalize_tuple(kernel, 2, "kernel_size")
    padded_cells = (input_shape[0] + sum(pads[0])) * (input_shape[1] + sum(pads[1]))
    kinds = _kinds(ax)
    assert kinds["tap"] == kh * kw
    assert kinds["input"] + kinds["pad"] + kinds["tap"] == padded_cells
    assert kinds["output"] == out_shape[0] * out_shape[1]
    assert kinds["window"] == 1
    assert f"y{position[0]}{position[1]}" in _texts(ax)


def test_padding_grid_same_stride_2_reads_the_extra_zero_at_the_bottom_right():
    # n=6, k=3, s=2, same: pads (0, 1); the last window reads rows and columns 4, 5 and the pad.
    fig = plot_padding_grid((6, 6), 3, strides=2, padding="same", position=(2, 2))
    ax = fig.axes[0]
    taps = [p for p in ax.patches if p.get_gid() == "tap"]
    assert sorted({p.get_x() for p in taps}) == [4, 5, 6]
    assert sorted({p.get_y() for p in taps}) == [4, 5, 6]
    assert sum(p.get_hatch() == "///" for p in taps) == 5  # the taps on padding: row 6 and column 6
    pads = [p for p in ax.patches if p.get_gid() == "pad"]
    assert pads
    assert all(p.get_x() == 6 or p.get_y() == 6 for p in pads)  # zeros only at the bottom and the right


def test_receptive_field_growth_plots_receptive_field():
    stacks = {
        "plain": [(3,)] * 4,
        "strided": [(3, 2)] * 4,
        "dilated": [(3, 1, 2**i) for i in range(5)],
    }
    fig = plot_receptive_field_growth(stacks, log_scale=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == list(stacks)
    for line, layers in zip(ax.lines, stacks.values(), strict=True):
        expected = [shapes.receptive_field(layers[:depth]).size for depth in range(1, len(layers) + 1)]
        assert list(line.get_ydata()) == expected
        assert str(expected[-1]) in _texts(ax)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize(
    ("layers", "reached"),
    [
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),
        ([(2, 1, 1), (2, 1, 2), (2, 1, 4), (2, 1, 8)], 16),
        ([(3, 2), (3, 2), (3,)], 15),
        ([(3, 1, 2)] * 3, 7),  # gridding: 13 positions in the field, only the even ones reach the output
    ],
)
def test_receptive_field_stack(layers, reached):
    size = shapes.receptive_field(layers).size
    fig = plot_receptive_field_stack(layers)
    ax = fig.axes[0]
    title = ax.get_title()
    assert f"receptive field {size}" in title
    assert str(reached) in title
    used = next(c for c in ax.collections if c.get_gid() == "used")
    offsets = used.get_offsets()
    inputs = sorted(x for x, y in offsets if y == 0)
    assert len(inputs) == reached
    assert inputs[-1] - inputs[0] + 1 == size  # the used inputs span the receptive field
    assert sum(1 for x, y in offsets if y == len(layers)) == 1  # one output at the top
    assert [c for c in ax.collections if c.get_gid() == "edges"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: plot_padding_diagram(6, 0), ValueError, "kernel_size must be a positive int"),
        (lambda: plot_padding_diagram(6.0, 3), TypeError, "input_size must be an int"),
        (lambda: plot_padding_diagram(6, 3, stride=0), ValueError, "stride must be a positive int"),
        (lambda: plot_padding_diagram(6, 3, padding="smae"), ValueError, "padding must be 'valid', 'same'"),
        (lambda: plot_padding_diagram(2, 3, padding="valid"), ValueError, "kernel does not fit"),
        (lambda: plot_padding_diagram(200, 3), ValueError, "at most 48"),
        (lambda: plot_padding_diagram(6, 3, ax="left"), TypeError, "ax must be a matplotlib Axes"),
        (lambda: plot_padding_grid((6,), 3), ValueError, "input_shape must be \\(rows, cols\\)"),
        (lambda: plot_padding_grid((6, 6), (3, 3, 3)), ValueError, "kernel_size must be"),
        (lambda: plot_padding_grid((6, 6), 3, padding="causal"), ValueError, "only defined for 1D"),
        (lambda: plot_padding_grid((6, 6), 3, 2, position=(3, 0)), ValueError, "position \\(3, 0\\) is outside"),
        (lambda: plot_padding_grid((6, 6), 3, position=(0.5, 0)), TypeError, "position must be two ints"),
        (lambda: plot_padding_grid((6, 6), 3, position=0), ValueError, "position must be \\(row, col\\)"),
        (lambda: plot_padding_grid((2, 6), 3, padding="valid"), ValueError, "kernel does not fit"),
        (lambda: plot_receptive_field_growth([(3,)]), TypeError, "stacks must be a mapping"),
        (lambda: plot_receptive_field_growth({}), ValueError, "at least one stack"),
        (lambda: plot_receptive_field_growth({"a": []}), ValueError, "stacks\\['a'\\] must be a non-empty"),
        (lambda: plot_receptive_field_growth({"a": [(3, 0)]}), ValueError, "layers\\[0\\] stride"),
        (lambda: plot_receptive_field_stack([]), ValueError, "layers must be a non-empty"),
        (lambda: plot_receptive_field_stack([3]), TypeError, "layers\\[0\\] must be a tuple"),
        (lambda: plot_receptive_field_stack([(3, 1, 16)] * 3), ValueError, "at most 48"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
