"""The public convolutions, `conv1d`, `conv2d` and `conv3d`, and `choose_method`, the choice behind ``method="auto"``.

Each validates its arguments once (`convbook.arguments.prepare_conv`) and hands them to one of the
engines beneath: `convbook.direct` (tiled, bounded workspace: the default), `convbook.fft` (products of
Fourier transforms, for large kernels) or `convbook.vectorized` (chapter 5's einsum, to be read).
``method="auto"`` asks `choose_method`, which, like SciPy's ``choose_conv_method`` beside its
``convolve``, first keeps exact and non-finite inputs on the direct path and only then asks the cost
model (`convbook.cost.fastest_method`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import cost
from .arguments import ConvArguments, as_real_array, prepare_conv
from .direct import direct_convolve
from .fft import fft_convolve
from .shapes import Padding
from .vectorized import einsum_convolve

__all__ = ["METHODS", "choose_method", "conv1d", "conv2d", "conv3d"]

#: The values of ``method`` that `conv1d`, `conv2d` and `conv3d` accept.
METHODS = ("auto", "direct", "fft", "einsum")


def _check_method(method: object) -> str:
    """``method`` if it is one of `METHODS`, else an error naming the argument."""
    expected = "one of " + ", ".join(repr(m) for m in METHODS)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, {expected}; got {method!r}")
    if method not in METHODS:
        raise ValueError(f"method must be {expected}; got {method!r}")
    return method


def _is_exact(*arrays: np.ndarray | None) -> bool:
    """Whether an input holds integers or booleans, whose sums the direct method gives exactly."""
    return any(array is not None and array.dtype.kind in "biu" for array in arrays)


def _choose(args: ConvArguments, exact: bool) -> str:
    """`choose_method` on validated arguments; ``exact`` tells whether an input was integer or bool."""
    if exact:
        return "direct"
    method = cost.fastest_method(args.geometry)  # "direct" for an empty batch too
    if method == "fft":
        finite = [np.isfinite(array).all() for array in (args.x, args.kernel, args.bias) if array is not None]
        if not all(finite):  # the FFT would spread one NaN or inf over every output
            return "direct"
    return method


def choose_method(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> str:
    """The method ``conv1d``/``conv2d``/``conv3d(..., method="auto")`` runs on these arrays: ``"direct"`` or ``"fft"``.

    In this order, as SciPy's ``choose_conv_method`` does:

    1. ``"direct"`` if ``x`` or ``kernel`` holds integers or booleans: the direct
       sum of integers is exact (in float64, to 2**53), the FFT's is not.
    2. ``"direct"`` for an empty batch.
    3. Otherwise the cost model's choice from the shapes alone
       (`convbook.cost.fastest_method`): ``"fft"`` where it predicts the FFT to be
       at least twice as fast and its workspace fits the budget
       (`convbook.cost.WORKSPACE_BYTES`), else ``"direct"``.
    4. ``"direct"`` after all if the FFT was chosen but an input holds NaN or
       infinity: a transform spreads one non-finite value over every output,
       where the direct sum keeps it to the outputs whose windows contain it.

    Parameters
    ----------
    x, kernel, bias, strides, padding, dilation_rate, groups, padding_mode
        As in `conv2d` (one, two or three spatial axes: the kernel's axes decide,
        so that an unbatched ``x`` is told to add a batch axis).

    Returns
    -------
    str

    Examples
    --------
    >>> image = np.ones((1, 512, 512, 1), dtype=np.float32)
    >>> kernel = np.ones((31, 31, 1, 1), dtype=np.float32)
    >>> choose_method(image, kernel, padding="same")
    'fft'
    >>> choose_method(image.astype(np.uint8), kernel, padding="same")
    'direct'
    >>> image[0, 0, 0, 0] = np.nan
    >>> choose_method(image, kernel, padding="same")
    'direct'
    """
    x, kernel = as_real_array(x, "x"), as_real_array(kernel, "kernel")
    # The rank of the kernel first, so that an unbatched x gets the hint to add a batch axis.
    rank = next((array.ndim - 2 for array in (kernel, x) if array.ndim in (3, 4, 5)), 2)
    args = prepare_conv(
        x,
        kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        groups,
        rank=rank,
        function="choose_method",
        padding_mode=padding_mode,
    )
    return _choose(args, _is_exact(x, kernel))


def _compute(args: ConvArguments, method: str, exact: bool) -> np.ndarray:
    """Run ``method`` on validated arguments (1D, 2D or 3D)."""
    if method == "auto":
        method = _choose(args, exact)
    if method == "einsum":
        return einsum_convolve(args)
    if method == "fft":
        return fft_convolve(args)
    return direct_convolve(args)


def conv1d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    method: str = "auto",
) -> np.ndarray:
    """1D convolution (cross-correlation), vectorized; Keras ``Conv1D``'s forward pass.

    Parameters
    ----------
    x : array_like, shape (batch, steps, c_in)
        Input sequences, channels last.
    kernel : array_like, shape (k, c_in // groups, c_out)
        Weights in Keras' ``Conv1D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int,), default 1
        Step between neighbouring windows.
    padding : {"valid", "same", "causal", "full"}, int or (int, int), default "valid"
        ``"valid"``: no padding. ``"same"``: TensorFlow's rule, ``ceil(steps / s)``
        outputs, an odd total's extra zero at the end. ``"causal"``:
        ``(k - 1) * d`` zeros before, none after. ``"full"``: ``(k - 1) * d``
        zeros on both sides. An int pads both sides by that much; a pair
        gives ``(before, after)``. See `convbook.shapes.padding_amounts`.
    dilation_rate : int or (int,), default 1
        Spacing between kernel taps.
    groups : int, default 1
        Number of channel groups; must divide ``c_in`` and ``c_out``.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold (PyTorch's names): zeros, as Keras
        pads; the input reflected about its edge without repeating it,
        ``d c b | a b c d | c b a`` (NumPy's ``reflect``, scipy.ndimage's
        ``mirror``; every padding amount must be smaller than the input);
        the edge value repeated, ``a a a | a b c d | d d d`` (NumPy's
        ``edge``, scipy.ndimage's ``nearest``); or the input wrapped around,
        ``b c d | a b c d | a b c`` (NumPy's and scipy.ndimage's ``wrap``),
        as many times as the padding needs: unlike PyTorch's, it accepts
        padding longer than the input.
        The padding amounts are those of ``padding`` in every mode. See
        `convbook.arguments.padded_index`.
    method : {"auto", "direct", "fft", "einsum"}, default "auto"
        How to compute; every method gives the same numbers to rounding error.

        ``"auto"``
            `choose_method`'s choice: ``"direct"`` for integer, bool or
            non-finite inputs; otherwise ``"fft"`` where the cost model
            predicts it to be at least twice as fast and its workspace fits
            -- large kernels over few channels -- else ``"direct"``.
        ``"direct"``
            The 2D direct method (`convbook.direct.conv2d_direct`) on the sequences as images
            one row high: cache-sized tiles written straight into the output,
            by im2col blocks, per-tap matrix products or elementwise
            multiply-adds, whichever suits the shape. Its workspace stays within
            `convbook.direct.workspace_bytes` whatever the batch size.
        ``"fft"``
            Products of Fourier transforms (`convbook.fft`): a cost that hardly
            grows with the kernel size. Strides are computed at stride 1 and
            subsampled, dilation becomes a kernel with zeros between its taps.
        ``"einsum"``
            Every window as a view, contracted with the kernel in one
            ``numpy.einsum``: chapter 5's method. Its temporaries grow with the
            batch.

    Returns
    -------
    ndarray, shape (batch, out_steps, c_out)
        In the computation dtype (`convbook.arguments.computation_dtype`):
        float32 stays float32; integer or bool inputs count as float64 and
        float16 as float32, then NumPy's promotion of ``x``, ``kernel`` and ``bias``.

    Raises
    ------
    TypeError
        Non-numeric arrays, non-integer strides, dilation or groups, a
        ``method`` or ``padding_mode`` that is not a string.
    ValueError
        Wrong number of axes, mismatched channels, a bias of the wrong
        length, non-positive strides or dilation, unknown padding, a kernel
        that does not fit the padded input, an unknown ``method`` or
        ``padding_mode``, a ``"reflect"`` padding not smaller than the input.

    See Also
    --------
    convbook.conv1d_loop : the definition as explicit loops.

    Examples
    --------
    >>> x = np.array([0, 1, 0, 1, 1, 0.0]).reshape(1, 6, 1)
    >>> kernel = np.array([0, 1.0]).reshape(2, 1, 1)
    >>> conv1d(x, kernel, padding="same")[0, :, 0]
    array([1., 0., 1., 1., 0., 0.])
    """
    method = _check_method(method)
    x, kernel = as_real_array(x, "x"), as_real_array(kernel, "kernel")
    args = prepare_conv(
        x, kernel, bias, strides, padding, dilation_rate, groups, rank=1, function="conv1d", padding_mode=padding_mode
    )
    return _compute(args, method, _is_exact(x, kernel))


def conv2d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    method: str = "auto",
) -> np.ndarray:
    """2D convolution (cross-correlation), vectorized; Keras ``Conv2D``'s forward pass.

    Parameters
    ----------
    x : array_like, shape (batch, rows, cols, c_in)
        Input images, channels last.
    kernel : array_like, shape (kh, kw, c_in // groups, c_out)
        Weights in Keras' ``Conv2D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int, int), default 1
        Step between neighbouring windows, ``(sh, sw)``.
    padding : {"valid", "same", "full"}, int or per-axis amounts, default "valid"
        ``"valid"``: no padding. ``"same"``: TensorFlow's rule, ``ceil(n / s)``
        outputs per axis, an odd total's extra zero at the bottom/right.
        ``"full"``: ``(k - 1) * d`` zeros on every side. An int pads every
        side by that much; ``((top, bottom), (left, right))`` gives each side
        (an int in place of a pair pads both sides of that axis). See
        `convbook.shapes.conv_padding`.
    dilation_rate : int or (int, int), default 1
        Spacing between kernel taps, ``(dh, dw)``.
    groups : int, default 1
        Number of channel groups; must divide ``c_in`` and ``c_out``.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold (PyTorch's names): zeros, as Keras
        pads; the input reflected about its edge without repeating it,
        ``d c b | a b c d | c b a`` (NumPy's ``reflect``, scipy.ndimage's
        ``mirror``; every padding amount must be smaller than the input);
        the edge value repeated, ``a a a | a b c d | d d d`` (NumPy's
        ``edge``, scipy.ndimage's ``nearest``); or the input wrapped around,
        ``b c d | a b c d | a b c`` (NumPy's and scipy.ndimage's ``wrap``),
        as many times as the padding needs: unlike PyTorch's, it accepts
        padding longer than the input.
        The padding amounts are those of ``padding`` in every mode. See
        `convbook.arguments.padded_index`.
    method : {"auto", "direct", "fft", "einsum"}, default "auto"
        How to compute; every method gives the same numbers to rounding error.

        ``"auto"``
            `choose_method`'s choice: ``"direct"`` for integer, bool or
            non-finite inputs; otherwise ``"fft"`` where the cost model
            predicts it to be at least twice as fast and its workspace fits
            -- large kernels over few channels -- else ``"direct"``.
        ``"direct"``
            Cache-sized tiles of the output computed straight into it, by
            im2col blocks, per-tap matrix products or elementwise multiply-adds,
            whichever suits the shape (`convbook.direct.conv2d_direct`). Its
            workspace stays within `convbook.direct.workspace_bytes` whatever
            the batch size.
        ``"fft"``
            Products of Fourier transforms (`convbook.fft`): a cost that hardly
            grows with the kernel size. Strides are computed at stride 1 and
            subsampled, dilation becomes a kernel with zeros between its taps.
        ``"einsum"``
            Every window as a view, contracted with the kernel in one
            ``numpy.einsum``: chapter 5's method. Its temporaries grow with the
            batch.

    Returns
    -------
    ndarray, shape (batch, out_rows, out_cols, c_out)
        In the computation dtype (`convbook.arguments.computation_dtype`):
        float32 stays float32; integer or bool inputs count as float64 and
        float16 as float32, then NumPy's promotion of ``x``, ``kernel`` and ``bias``.

    Raises
    ------
    TypeError
        Non-numeric arrays, non-integer strides, dilation or groups, a
        ``method`` or ``padding_mode`` that is not a string.
    ValueError
        Wrong number of axes (an unbatched image: use ``x[None]``),
        mismatched channels, a bias of the wrong length, non-positive strides
        or dilation, unknown or causal padding, a kernel that does not fit the
        padded input, an unknown ``method`` or ``padding_mode``, a
        ``"reflect"`` padding not smaller than the input.

    See Also
    --------
    convbook.conv2d_loop : the definition as explicit loops.
    convbook.direct.conv2d_direct : the direct method, with its strategy and tile size exposed.
    convbook.fft.conv2d_fft : the FFT method.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> conv2d(x, kernel)[0, :, :, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    method = _check_method(method)
    x, kernel = as_real_array(x, "x"), as_real_array(kernel, "kernel")
    args = prepare_conv(
        x, kernel, bias, strides, padding, dilation_rate, groups, rank=2, function="conv2d", padding_mode=padding_mode
    )
    return _compute(args, method, _is_exact(x, kernel))


def conv3d(
    x: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    *,
    strides: int | Sequence[int] = 1,
    padding: Padding = "valid",
    dilation_rate: int | Sequence[int] = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    method: str = "auto",
) -> np.ndarray:
    """3D convolution (cross-correlation), vectorized; Keras ``Conv3D``'s forward pass.

    For volumes (a CT or MRI scan: depth, rows, cols) and clips of video
    (time, rows, cols): `conv2d` with one more spatial axis. Every option of
    `conv2d` holds per axis.

    Parameters
    ----------
    x : array_like, shape (batch, depth, rows, cols, c_in)
        Input volumes, channels last (Keras' ``channels_last``).
    kernel : array_like, shape (kd, kh, kw, c_in // groups, c_out)
        Weights in Keras' ``Conv3D.get_weights()[0]`` layout.
    bias : array_like, shape (c_out,), optional
        Added to every output position of channel ``o``.
    strides : int or (int, int, int), default 1
        Step between neighbouring windows, ``(sd, sh, sw)``.
    padding : {"valid", "same", "full"}, int or per-axis amounts, default "valid"
        As in `conv2d`, per axis: ``"same"`` gives ``ceil(n / s)`` outputs along
        each axis, an odd total's extra zero at the end; explicit amounts are
        ``((front, back), (top, bottom), (left, right))``. ``"causal"`` is 1D only.
    dilation_rate : int or (int, int, int), default 1
        Spacing between kernel taps, ``(dd, dh, dw)``.
    groups : int, default 1
        Number of channel groups; must divide ``c_in`` and ``c_out``.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the padded positions hold; see `conv2d`.
    method : {"auto", "direct", "fft", "einsum"}, default "auto"
        How to compute; every method gives the same numbers to rounding error.

        ``"auto"``
            `choose_method`'s choice, as in `conv2d`: the cost model
            (`convbook.cost.fastest_method`) counts both methods in 3D.
        ``"direct"``
            A 3D convolution as a 2D one: for each output depth ``od`` the
            ``kd`` input depth slices its windows read (zeros, or the slices
            ``padding_mode`` says, in the padding) are stacked along the
            channels, and the 2D direct method (`convbook.direct.conv2d_direct`)
            runs on chunks of (image, output depth) pairs with the kernel as
            ``(kh, kw, kd * c_in // groups, c_out)``. Its workspace stays within
            `convbook.direct.workspace_bytes` whatever the batch size.
        ``"fft"``
            Real FFTs over the three spatial axes (`convbook.fft`).
        ``"einsum"``
            Every window as a view, contracted with the kernel in one ``numpy.einsum``.

    Returns
    -------
    ndarray, shape (batch, out_depth, out_rows, out_cols, c_out)
        In the computation dtype (`convbook.arguments.computation_dtype`).

    Raises
    ------
    TypeError
        Non-numeric arrays, non-integer strides, dilation or groups, a
        ``method`` or ``padding_mode`` that is not a string.
    ValueError
        Wrong number of axes (an unbatched volume: use ``x[None]``),
        mismatched channels, a bias of the wrong length, non-positive strides
        or dilation, unknown or causal padding, a kernel that does not fit the
        padded input, an unknown ``method`` or ``padding_mode``, a
        ``"reflect"`` padding not smaller than the input.

    See Also
    --------
    convbook.conv3d_loop : the definition as explicit loops.
    conv2d : the same options in two spatial axes.

    Examples
    --------
    >>> x = np.arange(27.0).reshape(1, 3, 3, 3, 1)
    >>> conv3d(x, np.ones((2, 2, 2, 1, 1)), method="direct")[0, :, :, :, 0]
    array([[[ 52.,  60.],
            [ 76.,  84.]],
    <BLANKLINE>
           [[124., 132.],
            [148., 156.]]])
    >>> conv3d(np.ones((2, 16, 64, 64, 3)), np.ones((3, 3, 3, 3, 8)), strides=2, padding="same").shape
    (2, 8, 32, 32, 8)
    """
    method = _check_method(method)
    x, kernel = as_real_array(x, "x"), as_real_array(kernel, "kernel")
    args = prepare_conv(
        x, kernel, bias, strides, padding, dilation_rate, groups, rank=3, function="conv3d", padding_mode=padding_mode
    )
    return _compute(args, method, _is_exact(x, kernel))
