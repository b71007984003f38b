"""The sliding-window animation: its steps, its frames, its HTML, its errors."""

from __future__ import annotations

import hashlib
import math
import re
import subprocess
import sys
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation

import convbook
from convbook import shapes
from convbook.animation import animate_convolution, animation_html, sliding_window

SEED_2D = np.tile([0, 1, 0, 1, 1, 0], (6, 1))
SEED_DETECTOR = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 2]])

CASES = [
    # (rows, cols), (kh, kw), keyword arguments
    ((6, 6), (3, 3), dict(padding="same")),
    ((5, 5), (3, 3), dict(padding="valid")),
    ((7, 6), (2, 3), dict(padding="same", strides=2)),
    ((7, 7), (3, 2), dict(padding="valid", strides=(2, 1), dilation_rate=(1, 2))),
    ((4, 5), (3, 3), dict(padding="full")),
    ((5, 4), (2, 2), dict(padding=((1, 0), (0, 2)))),
]
# Tests that only inspect an animation never render it; matplotlib warns about that when it is collected.
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering:UserWarning")

case_ids = [f"{x}-{k}-{kw}" for x, k, kw in CASES]


def frames_in(html: str) -> int:
    return html.count("data:image/png;base64")


def reference(x: np.ndarray, kernel: np.ndarray, **kwargs) -> np.ndarray:
    return convbook.conv2d(x[None, :, :, None], kernel[:, :, None, None], **kwargs)[0, :, :, 0]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), CASES, ids=case_ids)
def test_one_step_per_output_position(x_shape, k_shape, kwargs):
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    steps = sliding_window(x, kernel, **kwargs)
    out_shape = shapes.conv_output_shape(x_shape, k_shape, kwargs.get("strides", 1), kwargs["padding"],
                                         kwargs.get("dilation_rate", 1))  # fmt: skip
    assert steps.output.shape == out_shape
    assert len(steps.steps) == math.prod(out_shape)
    assert [s.position for s in steps.steps] == [(i, j) for i in range(out_shape[0]) for j in range(out_shape[1])]
    pads = shapes.conv_padding(x_shape, k_shape, kwargs.get("strides", 1), kwargs["padding"],
                               kwargs.get("dilation_rate", 1))  # fmt: skip
    assert steps.pads == pads
    np.testing.assert_array_equal(steps.x_padded, np.pad(x, pads))


@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), CASES, ids=case_ids)
def test_steps_are_the_convolution(x_shape, k_shape, kwargs):
    rng = np.random.default_rng(1)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    steps = sliding_window(x, kernel, **kwargs)
    expected = reference(x, kernel, **kwargs)
    np.testing.assert_allclose(steps.output, expected)
    for step in steps.steps:
        assert step.window.shape == kernel.shape
        np.testing.assert_array_equal(step.window, steps.x_padded[np.ix_(step.rows, step.cols)])
        np.testing.assert_allclose(np.sum(step.window * kernel), step.value, atol=1e-12)
        assert step.value == expected[step.position]


def test_partial_outputs_fill_in_one_value_per_step():
    steps = sliding_window(SEED_2D, SEED_DETECTOR, padding="same")
    assert np.isnan(steps.partial_output(0)).all()
    for done in (1, 7, 20):
        partial = steps.partial_output(done)
        assert np.isfinite(partial).sum() == done
        np.testing.assert_array_equal(partial.ravel()[:done], steps.output.ravel()[:done])
    np.testing.assert_array_equal(
        steps.partial_output(len(steps.steps)), reference(SEED_2D, SEED_DETECTOR, padding="same")
    )


def test_seed_map():
    steps = sliding_window(SEED_2D, SEED_DETECTOR, padding="same")
    expected = [[2, 0, 3, 2, 1, 1]] + [[2, 0, 4, 2, 2, 2]] * 4 + [[0, 0, 2, 0, 2, 2]]
    assert steps.output.tolist() == expected
    first = steps.steps[0]
    assert first.rows.tolist() == [0, 1, 2] and first.cols.tolist() == [0, 1, 2]  # starts on the padding


def test_dilated_taps_skip_cells():
    steps = sliding_window(np.zeros((7, 7)), np.ones((3, 2)), strides=(2, 1), dilation_rate=(1, 2))
    assert steps.steps[-1].rows.tolist() == [4, 5, 6]
    assert steps.steps[-1].cols.tolist() == [4, 6]


@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), CASES[:3], ids=case_ids[:3])
def test_animation_has_one_frame_per_step(x_shape, k_shape, kwargs):
    x, kernel = np.ones(x_shape), np.ones(k_shape)
    anim = animate_convolution(x, kernel, **kwargs)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == len(sliding_window(x, kernel, **kwargs).steps)
    if x_shape == (5, 5):  # render one case fully: 9 frames
        assert frames_in(animation_html(anim)) == 9


def test_animation_figure_is_closed_and_labelled():
    before = set(plt.get_fignums())
    anim = animate_convolution(SEED_2D, SEED_DETECTOR, padding="same")
    assert set(plt.get_fignums()) == before
    fig = anim._fig
    assert "padding='same'" in fig.get_suptitle()
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() == "column" and ax.get_ylabel() == "row"
    animation_html(anim)  # rendered, so no "deleted without rendering" warning


def test_last_frame_shows_the_complete_map():
    anim = animate_convolution(SEED_2D, SEED_DETECTOR, padding="same")
    frames = list(anim.new_frame_seq())
    anim._func(frames[-1])  # draw the last frame
    image = anim._fig.axes[2].get_images()[0]
    np.testing.assert_array_equal(image.get_array(), reference(SEED_2D, SEED_DETECTOR, padding="same"))
    texts = [t.get_text() for t in anim._fig.axes[2].texts]
    assert texts == [f"{v:.0f}" for v in reference(SEED_2D, SEED_DETECTOR, padding="same").ravel()]
    (equation,) = [t.get_text() for t in anim._fig.texts if t.get_text().startswith("y[")]
    assert equation.startswith("y[5, 5] = ") and equation.split("(")[0].rstrip().endswith("= 2")
    animation_html(anim)


def test_html_is_deterministic_and_has_no_random_id():
    x, kernel = np.eye(4), np.array([[1, -1], [0, 2]])
    first = animation_html(animate_convolution(x, kernel))
    second = animation_html(animate_convolution(x, kernel))
    assert first == second
    ids = set(re.findall(r"_anim_img([0-9a-f]+)", first))
    assert len(ids) == 1
    assert animation_html(animate_convolution(x, kernel), name="other") != first
    assert animation_html(animate_convolution(x, 2 * kernel)) != first
    assert frames_in(first) == 9


def test_html_is_the_same_in_a_new_process():
    code = textwrap.dedent(
        """
        import hashlib
        import numpy as np
        from convbook.animation import animate_convolution, animation_html
        html = animation_html(animate_convolution(np.eye(3), np.array([[1, 0], [0, -1]])))
        print(hashlib.sha256(html.encode()).hexdigest())
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = animation_html(animate_convolution(np.eye(3), np.array([[1, 0], [0, -1]])))
    assert result.stdout.strip() == hashlib.sha256(here.encode()).hexdigest()


def test_palette_frames_are_smaller():
    anim = animate_convolution(SEED_2D[:4, :4], SEED_DETECTOR[:2, :2])
    compact = animation_html(anim)
    full = animation_html(animate_convolution(SEED_2D[:4, :4], SEED_DETECTOR[:2, :2]), colors=None)
    assert frames_in(compact) == frames_in(full) == 9
    assert len(compact) < len(full) / 2


def test_default_mode_is_checked():
    html = animation_html(animate_convolution(np.eye(2), np.ones((1, 1))), default_mode="loop")
    assert re.search(r'value="loop"[^>]*checked', html)


@pytest.mark.parametrize(
    ("x", "kernel", "kwargs", "error", "match"),
    [
        (np.ones((1, 4, 4, 1)), np.ones((2, 2)), {}, ValueError, r"x must be a 2D array .* got shape \(1, 4, 4, 1\)"),
        (np.ones((4, 4)), np.ones((2, 2, 1, 1)), {}, ValueError, "kernel must be a 2D array"),
        (np.ones((4, 4)), np.ones((0, 2)), {}, ValueError, "kernel must not be empty"),
        (np.array([["a"]]), np.ones((1, 1)), {}, TypeError, "x must be an array of real numbers"),
        (np.ones((4, 4)), np.ones((5, 5)), {}, ValueError, "kernel does not fit"),
        (np.ones((4, 4)), np.ones((2, 2)), dict(padding="causal"), ValueError, "only defined for 1D"),
        (np.ones((4, 4)), np.ones((2, 2)), dict(padding="middle"), ValueError, "padding must be"),
        (np.ones((4, 4)), np.ones((2, 2)), dict(strides=0), ValueError, "strides must be"),
        (np.ones((4, 4)), np.ones((2, 2)), dict(dilation_rate=1.5), TypeError, "dilation_rate must be"),
    ],
)
def test_bad_arguments(x, kernel, kwargs, error, match):
    with pytest.raises(error, match=match):
        sliding_window(x, kernel, **kwargs)
    with pytest.raises(error, match=match):
        animate_convolution(x, kernel, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(max_frames=35), "36 frames, more than max_frames=35"),
        (dict(interval=0), "interval must be a positive int"),
        (dict(dpi=72.5), "dpi must be a positive int"),
        (dict(cell_size=-1), "cell_size must be a positive number"),
    ],
)
def test_bad_animation_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        animate_convolution(SEED_2D, SEED_DETECTOR, padding="same", **kwargs)


def test_bad_html_arguments():
    with pytest.raises(TypeError, match=r"anim must be a matplotlib\.animation\.Animation"):
        animation_html("not an animation")
    anim = animate_convolution(np.eye(2), np.ones((1, 1)))
    with pytest.raises(ValueError, match="default_mode must be"):
        animation_html(anim, default_mode="forever")
    with pytest.raises(ValueError, match="colors must be an int from 2 to 256"):
        animation_html(anim, colors=1)
    animation_html(anim)


def test_partial_output_range():
    steps = sliding_window(np.eye(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="done must be between 0 and 4"):
        steps.partial_output(5)


def test_offline_html_needs_no_network():
    anim = animate_convolution(np.eye(2), np.ones((1, 1)))
    html = animation_html(anim)
    assert not re.search(r"https?://", html)
    assert '<i class="fa' not in html
    for label in ("Play", "Pause", "First frame", "Last frame"):
        assert f'title="{label}"' in html
    online = animation_html(animate_convolution(np.eye(2), np.ones((1, 1))), offline=False)
    assert "font-awesome" in online


def test_player_image_has_alt_text():
    html = animation_html(animate_convolution(np.eye(2), np.ones((1, 1))), alt='Two "frames" & more')
    assert 'alt="Two &quot;frames&quot; &amp; more"' in html
