"""convbook.plotting figures and convbook.notebook's Keras-free helpers (setup_notebook imports Keras: tests/parity)."""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from convbook.notebook import code_without_docstrings, quiet_stderr
from convbook.plotting import plot_kernels, plot_maps


def test_plot_kernels_grid_titles_and_annotations():
    kernel = np.arange(2 * 3 * 2 * 4, dtype=float).reshape(2, 3, 2, 4) - 20
    fig = plot_kernels(kernel, "Test")
    axes = fig.get_axes()
    assert len(axes) == 2 * 4
    assert "shape (kh, kw, c_in, c_out) = (2, 3, 2, 4)" in fig._suptitle.get_text()
    assert axes[0].get_title() == "output channel 0\nkernel[:, :, 0, 0]"
    assert axes[4].get_ylabel() == "input channel 1"
    assert len(axes[0].texts) == 2 * 3  # one number per weight
    # Symmetric colour scale, shared by all panels.
    assert {ax.images[0].get_clim() for ax in axes} == {(-27.0, 27.0)}  # weights run from -20 to 27


def test_annotation_colour_follows_cell_darkness():
    fig = plot_maps([np.array([[0.0, 1.0]])], ["t"], "s", cmap="gray", annotate=True)
    dark, light = fig.get_axes()[0].texts
    assert dark.get_color() == "white" and light.get_color() == "black"


def test_plot_maps_symmetric_scale_and_integer_ticks():
    fig = plot_maps(
        [np.array([[-1.0, 3.0]]), np.array([[0.5, 2.0]])], ["a", "b"], "s", shared_scale=True, symmetric=True
    )
    assert {ax.images[0].get_clim() for ax in fig.get_axes()} == {(-3.0, 3.0)}
    fig = plot_maps([np.array([[-1.0, 3.0]])], ["a"], "s", symmetric=True)
    assert fig.get_axes()[0].images[0].get_clim() == (-3.0, 3.0)
    assert all(float(tick).is_integer() for tick in fig.get_axes()[0].get_xticks())


def test_plot_maps_layout_and_errors():
    fig = plot_maps([np.zeros((3, 3)), np.ones((2, 4))], ["a", "b"], "Both", colorbar=True)
    titles = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
    assert titles == ["a", "b"]
    with pytest.raises(ValueError, match="maps and titles must have the same length; got 2 and 1"):
        plot_maps([np.zeros((2, 2))] * 2, ["a"], "x")
    with pytest.raises(ValueError, match=r"maps\[0\] must be a 2D array; got shape \(2,\)"):
        plot_maps([np.zeros(2)], ["a"], "x")
    with pytest.raises(ValueError, match="kernel must have 4 axes"):
        plot_kernels(np.zeros((3, 3)))


def test_quiet_stderr_silences_file_descriptor_2(capfd):
    with quiet_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


def _documented(x):
    """One line.

    More lines.
    """

    # a comment that stays
    return x + 1  # so does this one


class _Documented:
    """A class."""

    def method(self):
        """A method."""
        return '"""not a docstring"""'


def test_code_without_docstrings_keeps_code_and_comments():
    assert code_without_docstrings(_documented) == (
        "def _documented(x):\n    # a comment that stays\n    return x + 1  # so does this one"
    )
    assert code_without_docstrings(_Documented) == (
        'class _Documented:\n    def method(self):\n        return \'"""not a docstring"""\''
    )
    namespace: dict[str, object] = {}
    exec(code_without_docstrings(_documented), namespace)
    assert namespace["_documented"](1) == 2


def test_code_without_docstrings_names_its_argument():
    with pytest.raises(TypeError, match="obj must be a function or a class"):
        code_without_docstrings(3)
