"""convbook.direct, the tiled direct method: strategies, tiles, and a workspace bounded by `workspace_bytes`."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_convolution
from strategies import conv_cases

import convbook
from convbook import direct
from convbook.arguments import conv_geometry
from convbook.bench import workspace
from convbook.cost import im2col_bytes
from convbook.direct import (
    STRATEGIES,
    WORKSPACE_BYTES,
    choose_strategy,
    conv2d_direct,
    tile_plan,
    workspace_bytes,
)

RNG = np.random.default_rng(0)
MiB = 2**20


def random(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def applicable_strategies(geometry):
    """The strategies that can compute this convolution: per_tap needs stride 1, elementwise c_in // groups == 1."""
    found = ["auto", "im2col"]
    if all(s == 1 for s in geometry.strides):
        found.append("per_tap")
    if geometry.kernel_shape[-2] == 1:
        found.append("elementwise")
    return found


def geometry_of(case):
    return conv_geometry(
        case["x"].shape,
        case["kernel"].shape,
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        dtype=case["x"].dtype,
        padding_mode=case.get("padding_mode", "zeros"),
    )


# Against the oracle: every strategy, with tiles of a few positions (spanning images, bands of rows, pieces of a
# row) and the default ones.


@settings(max_examples=50)
@given(case=conv_cases(rank=2, small=False, padding_modes=True), tile_positions=st.none() | st.integers(1, 12))
def test_every_strategy_and_tile_matches_the_oracle(case, tile_positions):
    for strategy in applicable_strategies(geometry_of(case)):
        check_convolution(conv2d_direct, case, strategy=strategy, tile_positions=tile_positions)


@pytest.mark.parametrize("strategy", ["im2col", "per_tap"])
@pytest.mark.parametrize("tile_positions", [None, 1, 7, 40])
@pytest.mark.parametrize(
    "options",
    [dict(padding="same"), dict(padding=((2, 0), (0, 3)), dilation_rate=(2, 1)), dict(groups=2, padding="full")],
    ids=repr,
)
def test_direct_strategies_and_tiles_equal_einsum(strategy, tile_positions, options):
    x = random((3, 9, 8, 4))
    kernel = random((3, 2, 4 // options.get("groups", 1), 6))
    bias = random(6)
    expected = convbook.conv2d(x, kernel, bias, method="einsum", **options)
    actual = conv2d_direct(x, kernel, bias, strategy=strategy, tile_positions=tile_positions, **options)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tile_positions", [None, 1, 7])
@pytest.mark.parametrize(
    ("groups", "options"),
    [
        (1, dict(padding="same")),
        (6, dict(padding="same", strides=2)),
        (6, dict(padding=((0, 2), (1, 0)), dilation_rate=(1, 2))),
        (1, dict(strides=(1, 3), padding="full")),
    ],
    ids=repr,
)
def test_elementwise_strategy_equals_einsum(groups, options, tile_positions):
    """One input channel and one filter per group: single-channel images and depthwise convolutions."""
    x = random((2, 9, 10, groups))
    kernel = random((3, 4, 1, groups))
    bias = random(groups)
    expected = convbook.conv2d(x, kernel, bias, groups=groups, method="einsum", **options)
    actual = conv2d_direct(
        x, kernel, bias, groups=groups, strategy="elementwise", tile_positions=tile_positions, **options
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_per_tap_without_an_accumulating_blas(monkeypatch):
    monkeypatch.setattr(direct, "_accumulating_gemm", lambda dtype: None)
    x, kernel = random((2, 9, 9, 8), np.float32), random((3, 3, 8, 16), np.float32)
    expected = convbook.conv2d(x, kernel, padding="same", method="einsum")
    actual = conv2d_direct(x, kernel, padding="same", strategy="per_tap", tile_positions=20)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_long_sequences_are_cut_into_pieces_of_a_row():
    x, kernel = random((2, 5000, 3)), random((7, 3, 4))
    expected = convbook.conv1d(x, kernel, padding="same", method="einsum")
    np.testing.assert_allclose(convbook.conv1d(x, kernel, padding="same", method="direct"), expected, atol=1e-12)


def test_accumulating_gemm_adds_in_place_even_into_a_strided_output():
    gemm = direct._accumulating_gemm(np.dtype(np.float64))
    a, w = random((7, 3)), random((3, 2))
    wide = np.zeros((7, 5))
    out = wide[:, 1:3]  # not contiguous: SciPy computes into a copy, which must be written back
    gemm(a, w, out, True)
    gemm(a, w, out, False)
    np.testing.assert_allclose(wide[:, 1:3], 2 * a @ w, rtol=1e-12)
    assert not wide[:, [0, 3, 4]].any()
    assert direct._accumulating_gemm(np.dtype(np.longdouble)) is None


# Strategies and tiles


@pytest.mark.parametrize(
    ("kernel_shape", "strides", "expected"),
    [
        ((3, 3, 64, 64), 1, "per_tap"),
        ((5, 5, 32, 32), 1, "per_tap"),
        ((3, 3, 64, 64), 2, "im2col"),  # per-tap slices need stride 1
        ((3, 3, 3, 32), 1, "im2col"),  # an RGB input: too few channels per tap
        ((3, 3, 8, 8), 1, "im2col"),
        ((3, 3, 1, 1), 1, "elementwise"),  # a single-channel image and one filter
        ((3, 3, 1, 4), 1, "im2col"),
    ],
)
def test_choose_strategy(kernel_shape, strides, expected):
    geometry = conv_geometry((1, 8, 8, kernel_shape[2]), kernel_shape, strides=strides, padding="same")
    assert choose_strategy(geometry) == expected
    assert workspace_bytes(geometry) == workspace_bytes(geometry, expected)  # "auto" is that strategy


def test_depthwise_convolutions_use_the_elementwise_strategy():
    assert (
        choose_strategy(conv_geometry((1, 8, 8, 6), (3, 3, 1, 6), strides=2, padding="same", groups=6)) == "elementwise"
    )
    x, kernel = random((2, 8, 8, 6)), random((3, 3, 1, 6))
    expected = convbook.conv2d(x, kernel, groups=6, strides=2, padding="same", method="einsum")
    np.testing.assert_allclose(convbook.conv2d(x, kernel, groups=6, strides=2, padding="same"), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("shape", "tile_positions", "expected"),
    [
        ((16, 28, 28), 2048, (2, 28, 28)),  # whole images
        ((8, 56, 56), 2048, (1, 36, 56)),  # bands of rows
        ((1, 1, 5000), 2048, (1, 1, 2048)),  # pieces of a row (a long 1D sequence)
        ((4, 3, 3), 1, (1, 1, 1)),
        ((2, 3, 3), 2048, (2, 3, 3)),  # never more images than the batch
    ],
)
def test_tile_plan(shape, tile_positions, expected):
    batch, rows, cols = shape
    geometry = conv_geometry((batch, rows, cols, 2), (1, 1, 2, 2), dtype=np.float64)
    assert tile_plan(geometry, "im2col", tile_positions) == expected


def test_huge_kernels_shrink_the_tiles_to_stay_within_the_workspace():
    geometry = conv_geometry((1, 600, 600, 256), (31, 31, 256, 2), padding="same")
    images, rows, cols = tile_plan(geometry, "im2col")
    block_bytes = images * rows * cols * 31 * 31 * 256 * 4
    assert (images, rows) == (1, 1) and 1 <= cols < 600
    assert block_bytes <= WORKSPACE_BYTES
    assert workspace_bytes(geometry, "im2col") <= WORKSPACE_BYTES


def test_direct_bad_arguments():
    x, kernel = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 2))
    with pytest.raises(
        ValueError, match="strategy must be one of 'auto', 'im2col', 'per_tap', 'elementwise'; got 'fast'"
    ):
        conv2d_direct(x, kernel, strategy="fast")
    with pytest.raises(ValueError, match=r"strategy='per_tap' needs strides of 1; got strides=\(2, 2\)"):
        conv2d_direct(x, kernel, strides=2, strategy="per_tap")
    with pytest.raises(ValueError, match=r"strategy='elementwise' needs one input channel per group .*; got 2"):
        conv2d_direct(x, kernel, strategy="elementwise")
    with pytest.raises(ValueError, match="tile_positions must be a positive int or None; got 0"):
        conv2d_direct(x, kernel, tile_positions=0)
    with pytest.raises(ValueError, match=r"add a batch axis: conv2d_direct\(x\[None\]"):
        conv2d_direct(x[0], kernel)
    with pytest.raises(ValueError, match="strategy must be one of"):
        workspace_bytes(conv_geometry(x.shape, kernel.shape), "fast")
    assert STRATEGIES == ("auto", "im2col", "per_tap", "elementwise")


# The workspace: bounded, whatever the batch, and `workspace_bytes` is a true upper bound of what is measured.


def test_64_images_of_56x56x64_need_a_bounded_workspace():
    x = random((64, 56, 56, 64), np.float32)
    kernel = random((3, 3, 64, 64), np.float32)
    convbook.conv2d(x[:1], kernel, padding="same")  # imports and BLAS threads, outside the measurement
    y, extra = workspace(convbook.conv2d, x, kernel, padding="same")
    whole_im2col = im2col_bytes(x.shape, 3, padding="same")
    assert whole_im2col / MiB == 441  # what one im2col matrix for the batch would take
    assert extra <= workspace_bytes(conv_geometry(x.shape, kernel.shape, padding="same")) <= 4 * MiB
    np.testing.assert_allclose(y[5:7], convbook.conv2d(x[5:7], kernel, padding="same", method="einsum"), atol=2e-4)


@pytest.mark.parametrize("strategy", ["im2col", "per_tap"])
def test_direct_workspace_does_not_grow_with_the_batch(strategy):
    kernel = random((3, 3, 16, 16), np.float32)
    conv2d_direct(random((1, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    _, few = workspace(conv2d_direct, random((8, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    _, many = workspace(conv2d_direct, random((64, 40, 40, 16), np.float32), kernel, padding="same", strategy=strategy)
    assert many <= few + 64 * 1024
    assert workspace_bytes(conv_geometry((8, 40, 40, 16), kernel.shape, padding="same"), strategy) == workspace_bytes(
        conv_geometry((64, 40, 40, 16), kernel.shape, padding="same"), strategy
    )


@st.composite
def workspace_cases(draw):
    """Small convolutions in float32 or float64 (the computation dtype already), a bias or not."""
    case = draw(conv_cases(rank=2, small=False, padding_modes=True))
    batch = draw(st.integers(1, 4))
    rows, cols = draw(st.integers(0, 30)), draw(st.integers(0, 30))
    x = case["x"]
    rng = np.random.default_rng(batch * 1000 + rows * 31 + cols)
    case["x"] = rng.standard_normal((batch, x.shape[1] + rows, x.shape[2] + cols, x.shape[3])).astype(x.dtype)
    return case


def measured_and_predicted(function, case, predicted, **options):
    options = dict(
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        padding_mode=case.get("padding_mode", "zeros"),
        **options,
    )
    function(case["x"], case["kernel"], case["bias"], **options)  # lazy imports and caches, outside the measurement
    _, measured = workspace(function, case["x"], case["kernel"], case["bias"], **options)
    return measured, predicted


@settings(max_examples=25)
@given(case=workspace_cases(), tile_positions=st.none() | st.integers(1, 300))
def test_workspace_bytes_is_an_upper_bound_of_the_measured_workspace(case, tile_positions):
    """Regression: `workspace_bytes` (new) bounds `bench.workspace`; before, nothing predicted the workspace."""
    geometry = geometry_of(case)
    for strategy in applicable_strategies(geometry):
        measured, predicted = measured_and_predicted(
            conv2d_direct,
            case,
            workspace_bytes(geometry, strategy, tile_positions),
            strategy=strategy,
            tile_positions=tile_positions,
        )
        assert measured <= predicted, (strategy, measured, predicted)


@pytest.mark.parametrize("strategy", ["auto", "im2col", "per_tap"])
def test_a_7x7x512x512_kernel_is_never_copied(strategy):
    """Regression: a 49 MiB copy of the weights (and tiles of 1024 images for a batch of 1): 245 MiB before."""
    x = RNG.standard_normal((1, 7, 7, 512), dtype=np.float32)
    kernel = RNG.standard_normal((7, 7, 512, 512), dtype=np.float32)
    geometry = conv_geometry(x.shape, kernel.shape)
    conv2d_direct(x, kernel, strategy=strategy)
    y, measured = workspace(conv2d_direct, x, kernel, strategy=strategy)
    assert measured <= workspace_bytes(geometry, strategy) <= WORKSPACE_BYTES
    assert measured < kernel.nbytes / 100  # no kernel-sized copy
    np.testing.assert_allclose(y[0, 0, 0], np.tensordot(x[0], kernel, 3), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("dilation", [16, 32])
def test_dilated_wide_inputs_keep_per_tap_tiles_within_the_budget(dilation):
    """Regression: a per-tap tile's input patch grows with the dilation: 67 and 132 MiB were measured before."""
    x = RNG.standard_normal((1, 1, 8192, 64), dtype=np.float32)
    kernel = RNG.standard_normal((3, 3, 64, 64), dtype=np.float32)
    options = dict(padding="same", dilation_rate=dilation)
    geometry = conv_geometry(x.shape, kernel.shape, **options)
    predicted = workspace_bytes(geometry, "per_tap")
    assert predicted <= WORKSPACE_BYTES
    y, measured = workspace(conv2d_direct, x, kernel, strategy="per_tap", **options)
    assert measured <= predicted
    np.testing.assert_allclose(
        y[:, :, ::97], conv2d_direct(x, kernel, strategy="im2col", **options)[:, :, ::97], rtol=1e-4, atol=1e-4
    )
    # The shape alone, for a batch of 64 such rows, 512 MiB of input: the same bound.
    assert workspace_bytes(conv_geometry((64, 64, 8192, 64), kernel.shape, **options), "per_tap") <= WORKSPACE_BYTES


def test_the_workspace_stays_within_the_budget_down_to_a_single_position():
    for input_shape, kernel_shape, options in [
        ((8, 64, 8192, 64), (3, 3, 64, 64), dict(padding="same", dilation_rate=64)),
        ((2, 600, 600, 256), (31, 31, 256, 64), dict(padding="same")),
        ((16, 224, 224, 3), (7, 7, 3, 64), dict(strides=2, padding="same")),
    ]:
        geometry = conv_geometry(input_shape, kernel_shape, **options)
        for strategy in applicable_strategies(geometry):
            assert workspace_bytes(geometry, strategy) <= WORKSPACE_BYTES, (input_shape, strategy)
    # A window holding more than the budget: one position's buffers are the floor, and they are what is counted.
    huge = conv_geometry((1, 64, 64, 2048), (64, 64, 2048, 1), dtype=np.float32)  # 32 MiB per window
    assert tile_plan(huge, "im2col") == (1, 1, 1)
    assert workspace_bytes(huge, "im2col") > WORKSPACE_BYTES


def test_positions_is_a_view_of_the_tile_and_never_a_copy():
    """Regression: `_positions` assigned `ndarray.shape` (deprecated in NumPy 2.5) and raised AttributeError."""
    y = np.zeros((2, 4, 5, 3))
    tile = y[1:, 1:3]  # a band of rows of one image: contiguous
    matrix = direct._positions(tile)
    assert matrix.shape == (2 * 5, 3) and np.shares_memory(matrix, y)
    matrix[...] = 1.0
    assert y[1, 1:3].all() and y.sum() == 2 * 5 * 3
    for not_contiguous in (y[:, 1:3], y[1:, 1:3, 1:4]):  # bands of two images; pieces of two rows
        with pytest.raises(ValueError, match="copy"):  # raise rather than compute into a copy
            direct._positions(not_contiguous)


def test_no_module_assigns_ndarray_shape():
    """Regression: the direct engine set ``matrix.shape = ...``, which NumPy 2.5 deprecates; nothing may now."""
    source = Path(direct.__file__).parent
    offenders = []
    for path in sorted(source.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "shape":
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("strategy", ["im2col", "per_tap"])
@pytest.mark.parametrize("order", ["transposed", "fortran"])
def test_a_kernel_that_is_not_c_ordered_is_not_copied_per_call(strategy, order):
    """Regression: a transposed or Fortran-ordered kernel was copied inside the engine (10.8 MB for a 1.5 MB bound)."""
    from convbook.arguments import conv_geometry, prepare_conv
    from convbook.bench import workspace
    from convbook.direct import direct_convolve, workspace_bytes

    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((256, 3, 3, 256), dtype=np.float32).transpose(1, 2, 3, 0)
    if order == "fortran":
        kernel = np.asfortranarray(kernel)
    assert not kernel.flags.c_contiguous
    x = rng.standard_normal((1, 16, 16, 256), dtype=np.float32)
    args = prepare_conv(x, kernel, None, 1, "same", 1, 1, rank=2, function="test")  # the kernel is C-ordered here
    assert args.kernel.flags.c_contiguous
    direct_convolve(args, strategy)
    _, used = workspace(direct_convolve, args, strategy)
    assert used <= workspace_bytes(conv_geometry(x.shape, kernel.shape, padding="same"), strategy)


@pytest.mark.parametrize(
    ("strategy", "tile_positions"), [("imcol", None), ("auto2", None), ("im2col", 0), ("im2col", -5)]
)
def test_tile_plan_and_workspace_bytes_reject_bad_arguments(strategy, tile_positions):
    from convbook.arguments import conv_geometry
    from convbook.direct import tile_plan, workspace_bytes

    geometry = conv_geometry((8, 32, 32, 3), (7, 7, 3, 64), strides=2, padding="same")
    for function in (tile_plan, workspace_bytes):
        with pytest.raises(ValueError, match=r"^(strategy|tile_positions) must be"):
            function(geometry, strategy, tile_positions)


def test_tile_plan_resolves_auto_to_the_strategy_it_runs():
    from convbook.arguments import conv_geometry
    from convbook.direct import choose_strategy, tile_plan

    geometry = conv_geometry((8, 224, 224, 3), (7, 7, 3, 64), strides=2, padding="same")
    assert tile_plan(geometry, "auto") == tile_plan(geometry, choose_strategy(geometry))
