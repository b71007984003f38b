"""conv3d and conv3d_loop: every method against the oracle, the 2D and 1D convolutions inside them, their
errors, the choice behind "auto", and the direct and FFT workspaces bounded in 3D as in 2D."""

from __future__ import annotations

import math

import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_convolution, correlate
from strategies import conv_cases

import convbook
from convbook import cost, direct, fft
from convbook.arguments import conv_geometry
from convbook.bench import workspace
from convbook.conv import METHODS, choose_method
from convbook.loops import conv3d_loop

RNG = np.random.default_rng(0)


def random(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def options_of(case):
    return dict(
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        padding_mode=case.get("padding_mode", "zeros"),
    )


@settings(max_examples=60)
@given(case=conv_cases(rank=3, small=False, padding_modes=True))
def test_conv3d_every_method_matches_the_oracle(case):
    for method in METHODS:
        check_convolution(convbook.conv3d, case, method=method)


@settings(max_examples=30)
@given(case=conv_cases(rank=3, small=True, padding_modes=True))
def test_conv3d_loop_matches_the_oracle(case):
    check_convolution(conv3d_loop, case)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("spatial", "kernel_size", "options"),
    [
        # same with odd totals on every axis: (ceil(5/2) - 1) * 2 + 2 - 5 = 1, (ceil(7/3) - 1) * 3 + 3 - 7 = 2 (even,
        # for contrast), (ceil(6/1) - 1) * 1 + (2 - 1) * 2 + 1 - 6 = 2, then 3 and 1 below.
        ((5, 7, 6), (2, 3, 2), dict(strides=(2, 3, 1), padding="same", dilation=(1, 1, 2), groups=2)),
        ((6, 4, 5), (2, 2, 3), dict(strides=(1, 2, 2), padding="same", dilation=(3, 1, 1), groups=3)),
        ((4, 6, 5), (3, 2, 2), dict(strides=(2, 1, 3), padding=((0, 2), (3, 1), (1, 1)), dilation=2, groups=1)),
        ((3, 4, 4), (2, 3, 3), dict(strides=2, padding="full", dilation=(2, 1, 1), groups=2)),
    ],
)
@pytest.mark.parametrize("padding_mode", ["zeros", "replicate", "circular"])
def test_stride_dilation_groups_and_odd_same_padding_match_the_oracle(
    method, spatial, kernel_size, options, padding_mode
):
    rng = np.random.default_rng(3)
    groups = options["groups"]
    case = dict(
        x=rng.standard_normal((2, *spatial, 2 * groups)),
        kernel=rng.standard_normal((*kernel_size, 2, 3 * groups)),
        bias=rng.standard_normal(3 * groups),
        padding_mode=padding_mode,
        **options,
    )
    check_convolution(convbook.conv3d, case, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_a_volume_one_slice_deep_is_conv2d_and_a_line_is_conv1d(method):
    x, kernel, bias = random((2, 1, 9, 8, 4)), random((1, 3, 2, 2, 6)), random(6)
    options = dict(strides=(1, 2, 1), padding="same", groups=2)
    y = convbook.conv3d(x, kernel, bias, dilation_rate=(1, 1, 2), method=method, **options)
    y_2d = convbook.conv2d(x[:, 0], kernel[0], bias, strides=(2, 1), padding="same", dilation_rate=(1, 2), groups=2)
    np.testing.assert_allclose(y[:, 0], y_2d, rtol=1e-12, atol=1e-12)
    line, kernel_1d = random((2, 1, 1, 11, 3)), random((1, 1, 4, 3, 5))
    y = convbook.conv3d(line, kernel_1d, strides=(1, 1, 2), padding="same", method=method)
    y_1d = convbook.conv1d(line[:, 0, 0], kernel_1d[0, 0], strides=2, padding="same")
    np.testing.assert_allclose(y[:, 0, 0], y_1d, rtol=1e-12, atol=1e-12)


def test_empty_batch_and_dtypes_under_every_method():
    for method in METHODS:
        y = convbook.conv3d(
            np.zeros((0, 5, 9, 9, 2)), np.ones((2, 3, 3, 2, 4)), strides=2, padding="same", method=method
        )
        assert y.shape == (0, 3, 5, 5, 4)
        x = np.arange(2 * 4 * 5 * 6 * 2, dtype=np.uint8).reshape(2, 4, 5, 6, 2) % 7
        kernel = np.ones((2, 2, 3, 2, 3), dtype=np.uint8)
        y = convbook.conv3d(x, kernel, padding="same", method=method)
        assert y.dtype == np.float64
        np.testing.assert_allclose(y, correlate(x, kernel, padding="same"), atol=1e-9)
        y32 = convbook.conv3d(x.astype(np.float32), kernel.astype(np.float32), method=method)
        assert y32.dtype == np.float32


def test_conv3d_loop_is_the_public_function_and_conv3d_is_exported():
    assert convbook.conv3d_loop is conv3d_loop
    assert {"conv3d", "conv3d_loop"} <= set(convbook.__all__)


# Errors: the same checks as conv2d, named for three spatial axes.

VOLUME, KERNEL = np.ones((1, 4, 5, 5, 2)), np.ones((2, 3, 3, 2, 4))
BAD_INPUT = [
    (
        "unbatched volume",
        np.ones((4, 5, 5, 2)),
        KERNEL,
        {},
        ValueError,
        r"x must have 5 axes \(batch, depth, rows, cols, channels\).*add a batch axis: conv3d\(x\[None\], \.\.\.\)",
    ),
    ("an image", np.ones((1, 5, 5, 2)), KERNEL, {}, ValueError, "x must have 5 axes"),
    ("a 2D kernel", VOLUME, np.ones((3, 3, 2, 4)), {}, ValueError, r"kernel must have 5 axes \(kd, kh, kw, c_in"),
    ("channels", VOLUME, np.ones((2, 3, 3, 3, 4)), {}, ValueError, "kernel has 3 input channels .* but x has 2"),
    ("groups", VOLUME, np.ones((2, 3, 3, 1, 3)), dict(groups=2), ValueError, "groups=2 must divide the output"),
    ("causal", VOLUME, KERNEL, dict(padding="causal"), ValueError, "padding='causal' is only defined for 1D"),
    ("strides", VOLUME, KERNEL, dict(strides=(1, 2)), ValueError, "strides must be"),
    ("dilation", VOLUME, KERNEL, dict(dilation_rate=0), ValueError, "dilation_rate must be"),
    ("too deep", VOLUME, np.ones((5, 3, 3, 2, 4)), {}, ValueError, "kernel does not fit along axis 'depth'"),
    (
        "reflect too far",
        VOLUME,
        KERNEL,
        dict(padding=((4, 0), 1, 1), padding_mode="reflect"),
        ValueError,
        "padding smaller than the input along axis 'depth'",
    ),
    ("mode", VOLUME, KERNEL, dict(padding_mode="mirror"), ValueError, "padding_mode must be one of"),
    ("bias", VOLUME, KERNEL, dict(bias=np.ones(3)), ValueError, r"bias must have shape \(c_out,\) = \(4,\)"),
    ("string", np.full((1, 4, 5, 5, 2), "a"), KERNEL, {}, TypeError, "x must be an array of real numbers"),
]


@pytest.mark.parametrize("function", [convbook.conv3d, conv3d_loop], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("name", "x", "kernel", "options", "error", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
def test_conv3d_bad_input(function, name, x, kernel, options, error, message):
    message = message.replace("conv3d\\(", f"{function.__name__}\\(")
    with pytest.raises(error, match=message):
        function(x, kernel, **options)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_rejects_bad_input_alike(method):
    with pytest.raises(ValueError, match=r"add a batch axis: conv3d\(x\[None\]"):
        convbook.conv3d(np.ones((4, 5, 5, 2)), KERNEL, method=method)
    with pytest.raises(ValueError, match="method must be one of"):
        convbook.conv3d(VOLUME, KERNEL, method="loop")


def test_choose_method_and_the_cost_model_in_3d():
    assert choose_method(np.ones((5, 5, 5, 2)).astype(np.float32)[None], np.ones((3, 3, 3, 2, 4))) == "direct"
    with pytest.raises(ValueError, match=r"add a batch axis: choose_method\(x\[None\]"):
        choose_method(np.ones((8, 8, 8, 1)), np.ones((3, 3, 3, 1, 1)))
    big = conv_geometry((1, 64, 64, 64, 1), (15, 15, 15, 1, 1), padding="same")
    small = conv_geometry((1, 64, 64, 64, 1), (3, 3, 3, 1, 1), padding="same")
    assert cost.fastest_method(big) == "fft"  # 3375 taps per output: the transforms win
    assert cost.fastest_method(small) == "direct"
    assert cost.fft_seconds(big) < cost.direct_seconds(big) / 2 < cost.direct_seconds(small) * 1000
    x = np.zeros((1, 64, 64, 64, 1), np.float32)
    assert choose_method(x, np.zeros((15, 15, 15, 1, 1), np.float32), padding="same") == "fft"
    assert choose_method(x.astype(np.uint8), np.zeros((15, 15, 15, 1, 1), np.uint8), padding="same") == "direct"


# The direct method in 3D: stacked depth slices, a 2D convolution per chunk of (image, output depth) pairs.


def test_conv_geometry_takes_three_spatial_axes_and_no_more():
    geometry = conv_geometry((2, 16, 112, 112, 3), (3, 7, 7, 3, 64), strides=(1, 2, 2), padding="same")
    assert geometry.rank == 3 and geometry.output_shape == (2, 16, 56, 56, 64)
    assert geometry.pads == ((1, 1), (2, 3), (2, 3))  # "same" with odd totals: the extra one at the end
    with pytest.raises(ValueError, match=r"or \(batch, depth, rows, cols, c_in\); got \(1, 2, 3, 4, 5, 6\)"):
        conv_geometry((1, 2, 3, 4, 5, 6), (1, 1, 1, 1, 6, 1))


def test_the_stacked_2d_geometry():
    geometry = conv_geometry((2, 7, 9, 8, 6), (3, 2, 2, 2, 9), strides=(2, 1, 1), padding="same", groups=3)
    stacked = direct._stacked_geometry(geometry, 5)
    assert stacked.input_shape == (5, 9, 8, 3 * 6)
    assert stacked.kernel_shape == (2, 2, 3 * 2, 9)
    assert stacked.output_shape == (5, 9, 8, 9) and stacked.groups == 3
    assert direct.choose_strategy(geometry) == direct.choose_strategy(stacked)


@pytest.mark.parametrize("strategy", ["im2col", "per_tap", "elementwise"])
@pytest.mark.parametrize("tile_positions", [None, 1, 7])
def test_every_strategy_and_tile_matches_einsum(strategy, tile_positions):
    groups = 4 if strategy == "elementwise" else 2
    c_in_g = 1 if strategy == "elementwise" else 3
    kd = 1 if strategy == "elementwise" else 3
    x = random((2, 5, 6, 7, groups * c_in_g))
    kernel = random((kd, 3, 2, c_in_g, groups * 2 if strategy != "elementwise" else groups))
    options = dict(padding="same", groups=groups, padding_mode="reflect")
    args = convbook.prepare_conv(x, kernel, None, 1, "same", 1, groups, rank=3, function="test", padding_mode="reflect")
    actual = direct.direct_convolve(args, strategy, tile_positions)
    np.testing.assert_allclose(actual, convbook.conv3d(x, kernel, method="einsum", **options), rtol=1e-12, atol=1e-12)


def test_many_pairs_are_cut_into_chunks(monkeypatch):
    monkeypatch.setattr(direct, "TILE_BYTES", 4096)  # a few (image, depth) pairs per chunk
    x, kernel = random((3, 5, 6, 5, 2)), random((3, 2, 2, 2, 3))
    geometry = conv_geometry(x.shape, kernel.shape, strides=(2, 1, 1), padding="same", dtype=x.dtype)
    pairs, band = direct._depth_plan(geometry, "im2col", None)
    assert 1 <= pairs < 3 * 3 and (3 * 3) % pairs and band is None  # several chunks of whole pairs, the last smaller
    y = convbook.conv3d(x, kernel, strides=(2, 1, 1), padding="same", method="direct")
    np.testing.assert_allclose(y, correlate(x, kernel, strides=(2, 1, 1), padding="same"), rtol=1e-12, atol=1e-12)


def _band_plan_below_one_pair(geometry, monkeypatch, tile_positions=None):
    """A budget just below one whole (image, output depth) pair's workspace: `_direct_3d` must cut bands."""
    one_pair = direct._depth_bytes(geometry, "auto", tile_positions, 1)
    monkeypatch.setattr(direct, "WORKSPACE_BYTES", one_pair - 1)
    return direct._depth_plan(geometry, "auto", tile_positions)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(rank=3, small=False, padding_modes=True).filter(lambda case: case["x"].shape[0] > 0))
def test_pairs_too_large_for_the_budget_are_cut_into_bands(case):
    options = options_of(case)
    geometry = conv_geometry(case["x"].shape, case["kernel"].shape, dtype=case["x"].dtype, **options)
    out_rows, out_cols = geometry.output_shape[2:4]
    with pytest.MonkeyPatch.context() as monkeypatch:
        pairs, band = _band_plan_below_one_pair(geometry, monkeypatch)
        assert pairs == 1 and band is not None
        band_rows, band_cols = band
        assert 1 <= band_rows <= out_rows and 1 <= band_cols <= out_cols
        assert band_cols == out_cols or band_rows == 1  # narrower bands are one row high
        check_convolution(convbook.conv3d, case, method="direct")


def test_large_slices_stay_within_the_budget():
    # Three slices of 400 x 400 x 16 in float64 take 61 MB: one (image, output depth) pair alone is over
    # the 48 MiB budget, so the direct method cuts it into bands of rows.
    x, kernel = random((1, 3, 400, 400, 16)), random((3, 3, 3, 16, 2))
    geometry = conv_geometry(x.shape, kernel.shape, padding="same", dtype=x.dtype)
    pairs, band = direct._depth_plan(geometry, "auto", None)
    assert pairs == 1 and band is not None and band[0] < 400 and band[1] == 400
    assert direct._depth_bytes(geometry, "auto", None, 1) > direct.WORKSPACE_BYTES
    assert direct.workspace_bytes(geometry) <= direct.WORKSPACE_BYTES
    y, measured = workspace(convbook.conv3d, x, kernel, padding="same", method="direct")
    assert measured <= direct.workspace_bytes(geometry)
    crop = (slice(None), slice(None), slice(100, 110), slice(200, 212))  # compare a window against the definition
    expected = conv3d_loop(x[:, :, 99:111, 199:213], kernel, padding=((1, 1), (0, 0), (0, 0)))
    np.testing.assert_allclose(y[crop], expected, rtol=1e-12, atol=1e-12)
    # The reviewer's shapes: four slices of 600 x 600 x 16, a pair of 132 MiB, from the shapes alone.
    big = conv_geometry((1, 4, 600, 600, 16), (3, 3, 3, 16, 16), padding="same", dtype=np.float64)
    assert direct.workspace_bytes(big) <= direct.WORKSPACE_BYTES < direct._depth_bytes(big, "auto", None, 1)


@st.composite
def workspace_cases(draw):
    """Small 3D convolutions in float32 or float64, a bias or not, with more images and larger slices."""
    case = draw(conv_cases(rank=3, small=False, padding_modes=True))
    batch, rows, cols = draw(st.integers(1, 4)), draw(st.integers(0, 20)), draw(st.integers(0, 20))
    x = case["x"]
    rng = np.random.default_rng(batch * 1000 + rows * 31 + cols)
    case["x"] = rng.standard_normal((batch, x.shape[1], x.shape[2] + rows, x.shape[3] + cols, x.shape[4]))
    case["x"] = case["x"].astype(x.dtype)
    return case


@pytest.mark.parametrize("bands", [False, True], ids=["whole pairs", "bands of a pair"])
@settings(max_examples=15, deadline=None)
@given(case=workspace_cases(), tile_positions=st.none() | st.integers(1, 100))
def test_direct_workspace_bytes_is_an_upper_bound_in_3d(bands, case, tile_positions):
    options = options_of(case)
    geometry = conv_geometry(case["x"].shape, case["kernel"].shape, dtype=case["x"].dtype, **options)
    args = convbook.prepare_conv(
        case["x"], case["kernel"], case["bias"], *[options[k] for k in ("strides", "padding", "dilation_rate")],
        options["groups"], rank=3, function="test", padding_mode=options["padding_mode"],
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as monkeypatch:
        if bands:  # a budget below one whole pair: the band path
            assert _band_plan_below_one_pair(geometry, monkeypatch, tile_positions)[1] is not None
        direct.direct_convolve(args, "auto", tile_positions)  # lazy imports and caches, outside the measurement
        y, measured = workspace(direct.direct_convolve, args, "auto", tile_positions)
        assert measured <= direct.workspace_bytes(geometry, "auto", tile_positions)
    expected = convbook.conv3d(case["x"], case["kernel"], case["bias"], method="einsum", **options)
    tolerance = 1e-4 if case["x"].dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y, expected, rtol=tolerance, atol=tolerance)


@settings(max_examples=10)
@given(case=workspace_cases())
def test_fft_workspace_bytes_is_an_upper_bound_in_3d(case):
    options = options_of(case)
    geometry = conv_geometry(case["x"].shape, case["kernel"].shape, dtype=case["x"].dtype, **options)
    convbook.conv3d(case["x"], case["kernel"], case["bias"], method="fft", **options)
    _, measured = workspace(convbook.conv3d, case["x"], case["kernel"], case["bias"], method="fft", **options)
    assert measured <= fft.workspace_bytes(geometry)


def test_the_direct_workspace_does_not_grow_with_the_batch():
    kernel = random((3, 3, 3, 8, 8), np.float32)
    # 8 frames of 24 x 24 x 8: 37 (image, depth) pairs fill a chunk's stacked slices, so 8 clips fill chunks already.
    few_x, many_x = random((8, 8, 24, 24, 8), np.float32), random((32, 8, 24, 24, 8), np.float32)
    convbook.conv3d(few_x[:1], kernel, padding="same", method="direct")
    _, few = workspace(convbook.conv3d, few_x, kernel, padding="same", method="direct")
    _, many = workspace(convbook.conv3d, many_x, kernel, padding="same", method="direct")
    assert many <= few + 64 * 1024
    geometry = conv_geometry(many_x.shape, kernel.shape, padding="same")
    assert many <= direct.workspace_bytes(geometry) <= direct.WORKSPACE_BYTES
    # The shapes alone: 64 clips of 16 frames of 112 x 112 x 64 (3.3 GB of input) within the same budget.
    assert direct.workspace_bytes(conv_geometry((64, 16, 112, 112, 64), (3, 3, 3, 64, 64), padding="same")) <= (
        direct.WORKSPACE_BYTES
    )
    plan = direct.tile_plan(geometry, "auto")
    assert len(plan) == 3 and math.prod(plan) >= 1


def test_the_fft_transforms_whole_volumes_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(fft, "CHUNK_BYTES", 2**18)
    x, kernel = random((6, 9, 10, 11, 2)), random((5, 4, 3, 2, 3))
    geometry = conv_geometry(x.shape, kernel.shape, padding="same", dtype=x.dtype)
    assert fft.fft_plan(geometry)[1] < 6  # several chunks of volumes
    y = convbook.conv3d(x, kernel, padding="same", method="fft")
    np.testing.assert_allclose(y, correlate(x, kernel, padding="same"), rtol=1e-10, atol=1e-10)


def test_im2col_in_3d_has_a_row_per_output_position_and_a_column_per_tap_and_channel():
    x, kernel = random((2, 5, 6, 7, 3)), random((2, 3, 2, 3, 4))
    options = dict(strides=(1, 2, 2), padding="same", dilation_rate=(2, 1, 1))
    columns = convbook.im2col(x, (2, 3, 2), **options)
    out = convbook.shapes.conv_output_shape((5, 6, 7), (2, 3, 2), **options)
    assert columns.shape == (2 * math.prod(out), 2 * 3 * 2 * 3)
    y = (columns @ kernel.reshape(-1, 4)).reshape(2, *out, 4)
    np.testing.assert_allclose(y, conv3d_loop(x, kernel, **options), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(case=conv_cases(rank=3, small=False, padding_modes=True))
def test_conv3d_backward_satisfies_the_adjoint_identity_of_the_oracle(case):
    """``<A x, g> = <x, dx> = <kernel, dkernel>`` for the oracle's forward convolution, as in 1D and 2D."""
    x, kernel = case["x"].astype(np.float64), case["kernel"].astype(np.float64)
    options = options_of(case)
    forward = oracle.correlate(
        x, kernel, strides=case["strides"], padding=case["padding"], dilation=case["dilation"],
        groups=case["groups"], padding_mode=case["padding_mode"],
    )  # fmt: skip
    grad_output = np.random.default_rng(1).standard_normal(forward.shape)
    grads = convbook.conv3d_backward(x, kernel, grad_output, **options)
    assert grads.dx.shape == x.shape and grads.dkernel.shape == kernel.shape
    inner = float(np.sum(forward * grad_output))
    scale = float(np.sum(np.abs(forward) * np.abs(grad_output))) + 1.0
    assert abs(float(np.sum(x * grads.dx)) - inner) <= 1e-11 * scale
    assert abs(float(np.sum(kernel * grads.dkernel)) - inner) <= 1e-11 * scale
    np.testing.assert_allclose(grads.dbias, grad_output.sum(axis=(0, 1, 2, 3)), rtol=1e-12, atol=1e-12)


def test_conv3d_backward_matches_finite_differences():
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((2, 4, 5, 4, 2)), rng.standard_normal((2, 3, 2, 1, 4))
    options = dict(strides=(2, 1, 1), padding="same", dilation_rate=(1, 1, 2), groups=2, padding_mode="circular")
    grad_output = rng.standard_normal(convbook.conv3d(x, kernel, **options).shape)

    def loss():
        return float(np.sum(convbook.conv3d(x, kernel, **options) * grad_output))

    grads = convbook.conv3d_backward(x, kernel, grad_output, **options)
    np.testing.assert_allclose(grads.dkernel, oracle.finite_difference(loss, kernel), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dx, oracle.finite_difference(loss, x), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="grad_output must have the shape"):
        convbook.conv3d_backward(x, kernel, grad_output[:, :1], **options)
    with pytest.raises(ValueError, match=r"add a batch axis: conv3d_backward\(x\[None\]"):
        convbook.conv3d_backward(x[0], kernel, grad_output, **options)
