"""convbook.counting: parameters, activations, FLOPs and receptive fields of layer stacks, without TensorFlow.

The counts are checked by hand on small layers, against the formulas of `convbook.shapes` and
`convbook.cost` on random layers, and against published totals of LeNet-5, VGG-16, ResNet-18 and
MobileNet. `count_keras` is exercised here on stand-in layers (objects with a Keras class name, a
configuration and an input shape); tests/parity/test_counting.py runs it on real Keras models.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import counting, shapes
from convbook.cost import conv_flops
from convbook.counting import (
    ACTIVATION_OPERATIONS,
    Activation,
    BatchNorm,
    Conv,
    Dense,
    DepthwiseConv,
    Dropout,
    Flatten,
    GlobalAveragePool,
    Pool,
    ReLU,
    Residual,
    SeparableConv,
    ZeroPadding,
    count,
    count_keras,
    format_counts,
    stack_receptive_field,
    totals,
)

# --- by hand ------------------------------------------------------------------------------------------------------


def test_a_3x3_convolution_of_64_channels_on_56x56():
    (c,) = count([Conv(64, 3, padding="same")], (56, 56, 64))
    assert c.name == "conv" and c.kind == "conv"
    assert c.output_shape == (56, 56, 64)
    assert c.parameters == c.trainable_parameters == 3 * 3 * 64 * 64 + 64 == 36928
    assert c.activations == 56 * 56 * 64
    assert c.macs == 56 * 56 * 64 * (3 * 3 * 64)  # every output value: a sum of 3 * 3 * 64 products
    assert c.flops == 2 * c.macs + 56 * 56 * 64  # two per multiply-add, one addition of the bias per output value


def test_a_strided_grouped_convolution_without_bias():
    # Rows: floor((7 - 3) / 2) + 1 = 3; columns: floor((6 - 2) / 2) + 1 = 3; 9 input channels in 3 groups of 3.
    (c,) = count([Conv(6, (3, 2), strides=2, groups=3, use_bias=False)], (7, 6, 9))
    assert c.output_shape == (3, 3, 6)
    assert c.parameters == 3 * 2 * 3 * 6 == 108
    assert c.macs == 3 * 3 * 6 * (3 * 2 * 3)
    assert c.flops == 2 * c.macs


def test_a_1d_causal_convolution_and_a_dilated_one():
    (c,) = count([Conv(4, 3, padding="causal", dilation_rate=2)], (10, 2))
    assert c.output_shape == (10, 4) and c.parameters == 3 * 2 * 4 + 4
    (c,) = count([Conv(1, 3, dilation_rate=3)], (10, 1))  # the kernel spans 7 steps: 4 windows fit
    assert c.output_shape == (4, 1)


def test_a_fused_activation_adds_its_operations():
    plain, relu, softmax = (count([Dense(10, activation=a)], (20,))[0] for a in (None, "relu", "softmax"))
    assert relu.flops == plain.flops + 10 and softmax.flops == plain.flops + 3 * 10
    assert relu.parameters == plain.parameters == 20 * 10 + 10
    assert count([Dense(10, activation="linear")], (20,))[0].flops == plain.flops


def test_depthwise_by_hand():
    (c,) = count([DepthwiseConv(3, strides=2, padding="same", depth_multiplier=2)], (112, 112, 32))
    assert c.output_shape == (56, 56, 64)
    assert c.parameters == 3 * 3 * 32 * 2 + 64
    assert c.macs == 56 * 56 * 64 * 9  # each output value sees 3 x 3 taps of one input channel
    assert c.flops == 2 * c.macs + 56 * 56 * 64


def test_separable_by_hand():
    (c,) = count([SeparableConv(64, 3, padding="same")], (56, 56, 32))
    assert c.output_shape == (56, 56, 64)
    assert c.parameters == 3 * 3 * 32 + 32 * 64 + 64
    assert c.macs == 56 * 56 * 32 * 9 + 56 * 56 * 64 * 32
    assert c.flops == 2 * c.macs + 56 * 56 * 64  # one bias, after the 1x1 step


def test_pooling_by_hand():
    (c,) = count([Pool(2)], (4, 4, 3))
    assert (c.output_shape, c.parameters, c.macs, c.flops) == ((2, 2, 3), 0, 0, 2 * 2 * 3 * 3)
    (c,) = count([Pool(2, kind="average")], (4, 4, 3))
    assert c.flops == 2 * 2 * 3 * 4
    # ResNet's stem pooling: 3x3, stride 2, "same" on 112 x 112 gives 56 x 56; border windows counted whole.
    (c,) = count([Pool(3, strides=2, padding="same")], (112, 112, 64))
    assert c.output_shape == (56, 56, 64) and c.flops == 56 * 56 * 64 * 8
    assert count([Pool((2, 3))], (5, 7, 1))[0].output_shape == (2, 2, 1)  # strides default to pool_size


def test_global_average_pool_by_hand():
    (c,) = count([GlobalAveragePool()], (7, 7, 512))
    assert c.output_shape == (512,) and c.flops == 7 * 7 * 512 and c.parameters == 0
    assert count([GlobalAveragePool(keepdims=True)], (7, 7, 512))[0].output_shape == (1, 1, 512)
    assert count([GlobalAveragePool()], (9, 4))[0].output_shape == (4,)


def test_batch_norm_by_hand():
    (c,) = count([BatchNorm()], (56, 56, 64))
    assert c.parameters == 4 * 64 and c.trainable_parameters == 2 * 64
    assert c.flops == 2 * 56 * 56 * 64 and c.macs == 0
    (c,) = count([BatchNorm(center=True, scale=False)], (3, 5))
    assert c.parameters == 3 * 5 and c.trainable_parameters == 5


def test_dense_by_hand():
    (c,) = count([Dense(10)], (784,))
    assert (c.output_shape, c.parameters, c.macs, c.flops) == ((10,), 7850, 7840, 2 * 7840 + 10)
    (c,) = count([Dense(8, use_bias=False)], (5, 5, 3))  # over the last axis, at each of 25 positions
    assert (c.output_shape, c.parameters, c.macs) == ((5, 5, 8), 3 * 8, 25 * 3 * 8)


def test_elementwise_layers_by_hand():
    shape = (6, 5, 4)
    values = 6 * 5 * 4
    results = count([ReLU(), ReLU(6.0), Activation("tanh"), Activation("softmax"), Dropout(0.3), Flatten()], shape)
    assert [c.flops for c in results] == [values, values, values, 3 * values, 0, 0]
    assert [c.output_shape for c in results] == [shape] * 5 + [(values,)]
    assert all(c.parameters == 0 and c.activations == values for c in results)
    assert ACTIVATION_OPERATIONS["linear"] == 0 and count([Activation("linear")], shape)[0].flops == 0


def test_zero_padding_by_hand():
    assert count([ZeroPadding()], (6, 6, 2))[0].output_shape == (8, 8, 2)
    assert count([ZeroPadding(((0, 1), 2))], (6, 6, 2))[0].output_shape == (7, 10, 2)
    assert count([ZeroPadding((1, 3))], (6, 2))[0].output_shape == (10, 2)  # one axis: a bare pair
    assert count([ZeroPadding([[1, 0], [0, 2]])], (6, 6, 2))[0] == count([ZeroPadding(((1, 0), (0, 2)))], (6, 6, 2))[0]


def test_a_residual_block_is_its_paths_and_an_addition():
    branch = [Conv(16, 3, strides=2, padding="same", use_bias=False), BatchNorm(), ReLU(), Conv(16, 3, padding="same")]
    shortcut = [Conv(16, 1, strides=2)]
    together = count([Residual(branch, shortcut, name="block")], (10, 10, 8))
    alone = count(branch, (10, 10, 8)) + count(shortcut, (10, 10, 8))
    assert [c.kind for c in together] == ["conv", "batch_norm", "relu", "conv", "conv", "add"]
    for a, b in zip(together, alone, strict=False):
        assert (a.output_shape, a.parameters, a.macs, a.flops) == (b.output_shape, b.parameters, b.macs, b.flops)
    add = together[-1]
    assert add.name == "block" and add.output_shape == (5, 5, 16) and add.flops == 5 * 5 * 16
    # An empty shortcut is the identity: only the branch and the addition.
    identity = count([Residual([Conv(8, 3, padding="same")])], (10, 10, 8))
    assert [c.kind for c in identity] == ["conv", "add"] and identity[-1].output_shape == (10, 10, 8)


def test_names_are_numbered_per_kind_unless_given():
    counts = count(
        [Conv(4, 3), ReLU(), Conv(4, 3, name="second"), ReLU(), Conv(4, 1), Pool(1, kind="average")], (9, 9, 1)
    )
    assert [c.name for c in counts] == ["conv", "relu", "second", "relu_1", "conv_1", "average_pool"]


def test_totals_and_table():
    counts = count([Conv(4, 3), BatchNorm(), Flatten(), Dense(2)], (5, 5, 1))
    t = totals(counts)
    assert t.parameters == (9 * 4 + 4) + 4 * 4 + 0 + (36 * 2 + 2)
    assert t.trainable_parameters == t.parameters - 2 * 4
    assert t.activations == 36 + 36 + 36 + 2 and t.largest_activations == 36
    assert t.macs == 36 * 9 + 36 * 2
    assert t.flops == sum(c.flops for c in counts)
    assert totals([]) == counting.Totals(0, 0, 0, 0, 0, 0)
    lines = format_counts(counts).splitlines()
    assert len(lines) == len(counts) + 2
    assert lines[-1].split() == ["total", str(t.parameters), str(t.activations), str(t.flops)]
    assert lines[2].split()[:2] == ["batch_norm", "batch_norm"]


# --- against the formulas -----------------------------------------------------------------------------------------


@st.composite
def conv_specs(draw):
    """A random convolution and an input (1D or 2D) it fits."""
    rank = draw(st.sampled_from([1, 2]))
    groups = draw(st.integers(1, 3))
    c_in, filters = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 4))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same", "full"] + (["causal"] if rank == 1 else [])))
    extent = [(k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True)]
    spatial = tuple(draw(st.integers(e if padding == "valid" else 1, e + 8)) for e in extent)
    use_bias = draw(st.booleans())
    spec = Conv(filters, kernel, strides, padding, dilation, groups, use_bias)
    return spec, (*spatial, c_in)


@settings(max_examples=200)
@given(case=conv_specs())
def test_random_convolutions_follow_the_formulas(case):
    spec, shape = case
    (c,) = count([spec], shape)
    c_in = shape[-1]
    out = shapes.conv_output_shape(shape[:-1], spec.kernel_size, spec.strides, spec.padding, spec.dilation_rate)
    assert c.output_shape == (*out, spec.filters)
    assert (
        c.parameters
        == math.prod(spec.kernel_size) * (c_in // spec.groups) * spec.filters + spec.filters * spec.use_bias
    )
    assert c.activations == math.prod(out) * spec.filters
    kernel_shape = (*spec.kernel_size, c_in // spec.groups, spec.filters)
    options = dict(strides=spec.strides, padding=spec.padding, dilation_rate=spec.dilation_rate, groups=spec.groups)
    assert 2 * c.macs == conv_flops((1, *shape), kernel_shape, **options)
    assert c.flops == 2 * c.macs + c.activations * spec.use_bias


@settings(max_examples=100)
@given(case=conv_specs(), multiplier=st.integers(1, 3))
def test_depthwise_is_a_convolution_with_one_group_per_channel(case, multiplier):
    spec, shape = case
    c_in = shape[-1]
    depthwise = DepthwiseConv(
        spec.kernel_size, spec.strides, spec.padding, multiplier, spec.dilation_rate, spec.use_bias
    )
    grouped = Conv(
        c_in * multiplier, spec.kernel_size, spec.strides, spec.padding, spec.dilation_rate, c_in, spec.use_bias
    )
    (d,) = count([depthwise], shape)
    (g,) = count([grouped], shape)
    assert (d.output_shape, d.parameters, d.macs, d.flops) == (g.output_shape, g.parameters, g.macs, g.flops)
    assert d.parameters == math.prod(spec.kernel_size) * c_in * multiplier + c_in * multiplier * spec.use_bias
    assert d.kind == "depthwise_conv"


@settings(max_examples=100)
@given(case=conv_specs(), multiplier=st.integers(1, 3), filters=st.integers(1, 5))
def test_separable_is_depthwise_then_pointwise(case, multiplier, filters):
    spec, shape = case
    options = (spec.kernel_size, spec.strides, spec.padding, multiplier, spec.dilation_rate)
    (s,) = count([SeparableConv(filters, *options, use_bias=spec.use_bias)], shape)
    depthwise, pointwise = count(
        [DepthwiseConv(*options, use_bias=False), Conv(filters, 1, use_bias=spec.use_bias)], shape
    )
    assert s.output_shape == pointwise.output_shape
    assert s.parameters == depthwise.parameters + pointwise.parameters
    assert (s.macs, s.flops) == (depthwise.macs + pointwise.macs, depthwise.flops + pointwise.flops)


@settings(max_examples=100)
@given(
    pool=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    strides=st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same"]),
    kind=st.sampled_from(["max", "average"]),
    extra=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    channels=st.integers(1, 4),
)
def test_random_pooling_follows_the_formulas(pool, strides, padding, kind, extra, channels):
    spatial = tuple(p + e for p, e in zip(pool, extra, strict=True))
    (c,) = count([Pool(pool, strides, padding, kind)], (*spatial, channels))
    out = shapes.conv_output_shape(spatial, pool, pool if strides is None else strides, padding)
    assert c.output_shape == (*out, channels)
    assert c.flops == math.prod(out) * channels * (math.prod(pool) - (kind == "max"))
    assert c.parameters == c.macs == 0


# --- published totals ---------------------------------------------------------------------------------------------


def test_lenet5():
    counts = count(counting.lenet5(), (32, 32, 1))
    assert [c.output_shape for c in counts] == [
        (28, 28, 6),
        (14, 14, 6),
        (10, 10, 16),
        (5, 5, 16),
        (400,),
        (120,),
        (84,),
        (10,),
    ]
    # 156 + 2416 + 48120 + 10164 + 850, the usual figure for the modern LeNet-5.
    assert totals(counts).parameters == 61706


def test_vgg16():
    counts = count(counting.vgg16(), (224, 224, 3))
    assert counts[-4].output_shape == (7 * 7 * 512,)
    t = totals(counts)
    assert t.parameters == t.trainable_parameters == 138_357_544  # Simonyan and Zisserman's 138 million
    assert round(t.macs / 1e9, 1) == 15.5  # the 15.5 billion multiply-adds usually quoted


def test_resnet18():
    counts = count(counting.resnet18(), (224, 224, 3))
    assert counts[0].output_shape == (112, 112, 64) and counts[3].output_shape == (56, 56, 64)
    assert counts[-3].output_shape == (7, 7, 512)
    t = totals(counts)
    assert t.trainable_parameters == 11_689_512  # torchvision's resnet18
    # Batch norm's moving mean and variance: two per channel of each of its 20 layers.
    bn_channels = sum(c.output_shape[-1] for c in counts if c.kind == "batch_norm")
    assert t.parameters - t.trainable_parameters == 2 * bn_channels
    assert sum(c.kind == "batch_norm" for c in counts) == 20 and sum(c.kind == "add" for c in counts) == 8
    assert round(t.macs / 1e9, 1) == 1.8  # He et al., Table 1: 1.8 x 10^9 FLOPs (multiply-adds)


def test_mobilenet():
    counts = count(counting.mobilenet(), (224, 224, 3))
    assert counts[-3].output_shape == (7, 7, 1024)
    t = totals(counts)
    assert round(t.trainable_parameters / 1e6, 1) == 4.2  # Howard et al., Table 8: 4.2 million parameters
    assert round(t.macs / 1e6) == 569  # and 569 million multiply-adds


# --- receptive fields ---------------------------------------------------------------------------------------------


def test_receptive_fields_of_vgg16_and_resnet18():
    vgg = counting.vgg16()
    # conv5_3 sees 196 x 196 pixels, pool5 212 x 212 (the classic figures), every 32nd.
    assert stack_receptive_field(vgg[:17]) == (shapes.ReceptiveField(196, 16),) * 2
    assert stack_receptive_field(vgg[:18]) == (shapes.ReceptiveField(212, 32),) * 2
    # ResNet-18: the stem's 7, its pooling's 11 (every 4th pixel), then every 3x3 adds 2 * jump: 4 of them at
    # jump 4, and in each later stage one at the old jump and three at the doubled one:
    # 11 + 4 * 8 + (8 + 3 * 16) + (16 + 3 * 32) + (32 + 3 * 64) = 435, the figure usually quoted.
    assert stack_receptive_field(counting.resnet18()[:-2]) == (shapes.ReceptiveField(435, 32),) * 2


def test_receptive_field_layer_by_layer():
    field = stack_receptive_field([Conv(4, (3, 5), dilation_rate=(1, 2)), Pool(2), BatchNorm(), ReLU(), Dense(3)])
    # Rows: 3, then a 2-window: 4, every 2nd. Columns: (5 - 1) * 2 + 1 = 9, then 10.
    assert field == (shapes.ReceptiveField(4, 2), shapes.ReceptiveField(10, 2))
    assert stack_receptive_field([], rank=3) == (shapes.ReceptiveField(1, 1),) * 3
    assert stack_receptive_field([DepthwiseConv(3, strides=2), SeparableConv(2, 3)], rank=1) == (
        shapes.ReceptiveField(7, 2),
    )


def test_residual_receptive_field_is_the_larger_path():
    block = Residual([Conv(8, 3, strides=2, padding="same"), Conv(8, 3, padding="same")], [Conv(8, 1, strides=2)])
    # Branch: 3, then 3 + 2 * 2 = 7, jump 2; shortcut: 1, jump 2. After a 3x3: 3 + (7 - 1) * 1 = 9.
    assert stack_receptive_field([block], rank=1) == (shapes.ReceptiveField(7, 2),)
    assert stack_receptive_field([Conv(8, 3), block], rank=1) == (shapes.ReceptiveField(9, 2),)
    assert stack_receptive_field([block, Conv(8, 3)], rank=1) == (shapes.ReceptiveField(11, 2),)


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Conv(0, 3), "filters must be a positive int"),
        (lambda: Conv(4, "3"), "kernel_size must be a positive int"),
        (lambda: Conv(4, (3, 0)), "kernel_size must be a positive int"),
        (lambda: Conv(4, 3, strides=1.5), "strides must be a positive int"),
        (lambda: Conv(4, 3, padding="middle"), "padding must be one of"),
        (lambda: Conv(4, 3, groups=3), r"filters \(4\) must be a multiple of groups \(3\)"),
        (lambda: Conv(4, 3, use_bias=1), "use_bias must be True or False"),
        (lambda: Conv(4, 3, activation="mish"), "activation must be None or one of"),
        (lambda: Conv(4, 3, name=3), "name must be a string"),
        (lambda: DepthwiseConv(3, depth_multiplier=0), "depth_multiplier must be a positive int"),
        (lambda: SeparableConv(4, 3, dilation_rate=0), "dilation_rate must be a positive int"),
        (lambda: Pool(2, kind="min"), "kind must be 'max' or 'average'"),
        (lambda: Pool(2, padding="full"), "padding must be 'valid' or 'same'"),
        (lambda: Dense(0), "units must be a positive int"),
        (lambda: ReLU(max_value=-1), "max_value must be None or a positive number"),
        (lambda: Activation("mish"), "function must be one of"),
        (lambda: Dropout(1.0), r"rate must be a number in \[0, 1\)"),
        (lambda: ZeroPadding("same"), "padding must be an int or one int or pair"),
        (lambda: Residual([]), "branch must hold at least one layer"),
        (lambda: Residual(Conv(4, 3)), "branch must be a sequence of layer specifications"),
        (lambda: BatchNorm(center=None), "center must be True or False"),
    ],
)
def test_bad_specifications(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        ([Conv(4, 3)], (), "input_shape must be a non-empty sequence of positive ints"),
        ([Conv(4, 3)], (8, 0, 3), "input_shape must be"),
        ([Conv(4, 3)], "28x28", "input_shape must be"),
        ([Conv(4, 3), Conv(4, 7)], (8, 8, 1), r"layers\[1\] \(Conv\) on an input of shape \(6, 6, 4\): the window"),
        ([Conv(4, 3, groups=2)], (8, 8, 3), r"layers\[0\] \(Conv\).*channels \(3\) must be a multiple of groups \(2\)"),
        ([Conv(4, (3, 3))], (8, 1), r"layers\[0\] \(Conv\).*kernel_size must be"),
        ([Flatten(), Conv(4, 3)], (8, 8, 1), r"layers\[1\] \(Conv\).*spatial axes and a channel axis"),
        ([Pool(3)], (2, 2, 1), r"layers\[0\] \(Pool\)"),
        ([Conv(4, 1), "relu"], (8, 8, 1), r"layers\[1\] must be a layer specification"),
        (Conv(4, 3), (8, 8, 1), "layers must be a sequence of layer specifications"),
        (
            [Conv(4, 1), Residual([Conv(4, 3)])],
            (8, 8, 1),
            r"layers\[1\] \(Residual\): the branch's output shape \(6, 6, 4\) differs from the shortcut's \(8, 8, 4\)",
        ),
        ([Residual([Conv(4, 1)], [Pool(9)])], (8, 8, 4), r"layers\[0\]\.shortcut\[0\] \(Pool\)"),
    ],
)
def test_bad_stacks_name_the_layer(layers, input_shape, message):
    with pytest.raises((ValueError, TypeError), match=message):
        count(layers, input_shape)


def test_receptive_field_errors():
    with pytest.raises(ValueError, match=r"layers\[2\] \(GlobalAveragePool\): it mixes every position"):
        stack_receptive_field([Conv(4, 3), ReLU(), GlobalAveragePool(), Dense(3)])
    with pytest.raises(ValueError, match=r"layers\[0\] \(Flatten\)"):
        stack_receptive_field([Flatten()])
    with pytest.raises(ValueError, match=r"layers\[0\] \(Residual\): the branch's strides multiply to \[2\]"):
        stack_receptive_field([Residual([Conv(4, 3, strides=2)])], rank=1)
    with pytest.raises(ValueError, match=r"layers\[0\] \(Conv\): kernel_size must be"):
        stack_receptive_field([Conv(4, (3, 3))], rank=1)
    with pytest.raises(ValueError, match="rank must be a positive int"):
        stack_receptive_field([Conv(4, 3)], rank=0)
    with pytest.raises(TypeError, match="counts must be a sequence of LayerCount"):
        totals([{"parameters": 1}])


# --- count_keras on stand-in layers -------------------------------------------------------------------------------


class _Tensor:
    def __init__(self, shape):
        self.shape = shape


def stand_in(class_name, name, config, *input_shapes):
    """An object that looks to count_keras like a Keras layer of class ``class_name``."""
    layer = type(class_name, (), {})()
    layer.name = name
    layer.get_config = lambda: dict(config)
    tensors = [_Tensor((None, *shape)) for shape in input_shapes]
    layer.input = tensors if len(tensors) > 1 else tensors[0]
    return layer


class _Model:
    def __init__(self, *layers):
        self.layers = list(layers)


def test_count_keras_reads_the_configuration():
    conv = dict(filters=8, kernel_size=[3, 3], strides=[2, 2], padding="same", dilation_rate=[1, 1], groups=1)
    model = _Model(
        stand_in("InputLayer", "input", {}, (9, 9, 3)),
        stand_in("Conv2D", "c", {**conv, "use_bias": True, "activation": "relu"}, (9, 9, 3)),
        stand_in("BatchNormalization", "bn", dict(axis=-1, center=True, scale=False), (5, 5, 8)),
        stand_in("Add", "add", {}, (5, 5, 8), (5, 5, 8)),
        stand_in("GlobalAveragePooling2D", "gap", dict(keepdims=False, data_format="channels_last"), (5, 5, 8)),
        stand_in("Dense", "d", dict(units=2, use_bias=False, activation="softmax"), (8,)),
    )
    expected = count(
        [
            Conv(8, 3, 2, "same", activation="relu"),
            BatchNorm(scale=False),
            GlobalAveragePool(),
            Dense(2, use_bias=False, activation="softmax"),
        ],
        (9, 9, 3),
    )
    actual = count_keras(model)
    assert [c.name for c in actual] == ["c", "bn", "add", "gap", "d"]
    add = actual.pop(2)
    assert (add.kind, add.output_shape, add.parameters, add.flops) == ("add", (5, 5, 8), 0, 5 * 5 * 8)
    assert [replace(c, name="") for c in actual] == [replace(c, name="") for c in expected]


def test_count_keras_nested_model():
    inner = _Model(stand_in("ReLU", "r", dict(max_value=None, negative_slope=0.0, threshold=0.0), (4, 2)))
    inner.name = "inner"
    outer = _Model(stand_in("Flatten", "f", {}, (2, 2, 2)), inner)
    assert [(c.name, c.kind) for c in count_keras(outer)] == [("f", "flatten"), ("r", "relu")]


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            stand_in("Conv2DTranspose", "up", {}, (4, 4, 1)),
            "layer 'up' is a Conv2DTranspose, which count_keras does not",
        ),
        (
            stand_in("Dense", "d", dict(units=2, use_bias=True, activation="exponential"), (3,)),
            "layer 'd': activation 'exponential'",
        ),
        (stand_in("Flatten", "f", dict(data_format="channels_first"), (3, 4, 4)), "layer 'f' .*only channels_last"),
        (
            stand_in("ReLU", "r", dict(max_value=None, negative_slope=0.1, threshold=0.0), (3,)),
            "layer 'r' .*negative_slope",
        ),
        (stand_in("Flatten", "f", {}, (None, 4, 1)), r"layer 'f': its input shape \(None, 4, 1\) is not fixed"),
        (stand_in("Add", "a", {}, (4, 1), (4, 2)), r"layer 'a' \(Add\): needs two or more inputs of one shape"),
        (stand_in("Dense", "d", dict(units=2, use_bias=True), (3,), (3,)), r"layer 'd' \(Dense\) has 2 inputs"),
        (stand_in("Pool", "p", {}, (3,)), "layer 'p' is a Pool"),
    ],
)
def test_count_keras_errors_name_the_layer(layer, message):
    with pytest.raises(ValueError, match=message):
        count_keras(_Model(layer))


def test_count_keras_needs_a_built_model():
    layer = type("Dense", (), {"name": "d", "get_config": lambda self: dict(units=2, use_bias=True)})()
    with pytest.raises(ValueError, match="layer 'd' has no input yet"):
        count_keras(_Model(layer))
    with pytest.raises(TypeError, match="model must be a Keras model"):
        count_keras([Conv(4, 3)])
