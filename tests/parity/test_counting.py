"""convbook.counting against Keras: parameters and output shapes of every layer, on models built from the specs.

`build_keras` (here, not in the library) turns a list of layer specifications into a Keras model, one
Keras layer per entry of `count`'s list (a residual block: its paths, then an ``Add``). The models are
built on ``keras.Input`` and never run.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import counting, shapes
from convbook.counting import (
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
    totals,
)


def keras_layer(spec, rank, name):
    """The Keras layer of one specification, for inputs with ``rank`` spatial axes."""
    layers = keras.layers
    if isinstance(spec, Conv):
        return getattr(layers, f"Conv{rank}D")(
            spec.filters,
            spec.kernel_size,
            strides=spec.strides,
            padding=spec.padding,
            dilation_rate=spec.dilation_rate,
            groups=spec.groups,
            use_bias=spec.use_bias,
            activation=spec.activation,
            name=name,
        )
    if isinstance(spec, DepthwiseConv):
        return getattr(layers, f"DepthwiseConv{rank}D")(
            spec.kernel_size,
            strides=spec.strides,
            padding=spec.padding,
            depth_multiplier=spec.depth_multiplier,
            dilation_rate=spec.dilation_rate,
            use_bias=spec.use_bias,
            activation=spec.activation,
            name=name,
        )
    if isinstance(spec, SeparableConv):
        return getattr(layers, f"SeparableConv{rank}D")(
            spec.filters,
            spec.kernel_size,
            strides=spec.strides,
            padding=spec.padding,
            depth_multiplier=spec.depth_multiplier,
            dilation_rate=spec.dilation_rate,
            use_bias=spec.use_bias,
            activation=spec.activation,
            name=name,
        )
    if isinstance(spec, Pool):
        kind = "Max" if spec.kind == "max" else "Average"
        return getattr(layers, f"{kind}Pooling{rank}D")(spec.pool_size, spec.strides, spec.padding, name=name)
    if isinstance(spec, GlobalAveragePool):
        return getattr(layers, f"GlobalAveragePooling{rank}D")(keepdims=spec.keepdims, name=name)
    if isinstance(spec, ZeroPadding):
        pairs = shapes.conv_padding((1,) * rank, 1, 1, spec.padding)
        return getattr(layers, f"ZeroPadding{rank}D")(pairs[0] if rank == 1 else pairs, name=name)
    if isinstance(spec, BatchNorm):
        return layers.BatchNormalization(center=spec.center, scale=spec.scale, name=name)
    if isinstance(spec, Dense):
        return layers.Dense(spec.units, use_bias=spec.use_bias, activation=spec.activation, name=name)
    if isinstance(spec, Flatten):
        return layers.Flatten(name=name)
    if isinstance(spec, ReLU):
        return layers.ReLU(max_value=spec.max_value, name=name)
    if isinstance(spec, Activation):
        return layers.Activation(spec.function, name=name)
    if isinstance(spec, Dropout):
        return layers.Dropout(spec.rate, name=name)
    raise TypeError(f"no Keras layer for {spec!r}")


def build_keras(specs, input_shape):
    """A functional Keras model of ``specs`` and its layers' names in the order of `count`'s list."""
    names, numbers = [], itertools.count()

    def apply(stack, x):
        for spec in stack:
            if isinstance(spec, Residual):
                branch, shortcut = apply(spec.branch, x), apply(spec.shortcut, x)
                names.append(f"layer_{next(numbers)}")
                x = keras.layers.Add(name=names[-1])([branch, shortcut])
            else:
                names.append(f"layer_{next(numbers)}")
                # Spatial axes: those of the tensor the layer takes, less the channels.
                x = keras_layer(spec, len(x.shape) - 2, names[-1])(x)
        return x

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, apply(specs, inputs)), names


def check_against_keras(specs, input_shape):
    """Every layer's parameters and output shape equal Keras'; count and count_keras agree."""
    model, names = build_keras(specs, input_shape)
    counts = count(specs, input_shape)
    assert len(counts) == len(names)
    for c, name in zip(counts, names, strict=True):
        layer = model.get_layer(name)
        assert c.output_shape == tuple(layer.output.shape[1:]), (name, c)
        assert c.parameters == layer.count_params(), (name, c)
        assert c.trainable_parameters == sum(math.prod(w.shape) for w in layer.trainable_weights), (name, c)
        assert c.activations == math.prod(layer.output.shape[1:])
    assert totals(counts).parameters == model.count_params()
    from_keras = {c.name: c for c in count_keras(model)}
    assert sorted(from_keras) == sorted(names)
    for c, name in zip(counts, names, strict=True):
        assert replace(from_keras[name], name=c.name) == c
    return counts


# --- random stacks ------------------------------------------------------------------------------------------------


@st.composite
def window_options(draw, rank, one_d_causal=True):
    """Kernel size, strides, dilation and padding Keras accepts (it refuses strides > 1 with dilation > 1)."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 2)) for _ in range(rank))
    dilation = (1,) * rank if max(strides) > 1 else tuple(draw(st.integers(1, 2)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 and one_d_causal else [])))
    return dict(kernel_size=kernel, strides=strides, dilation_rate=dilation, padding=padding)


@st.composite
def layer_specs(draw, shape):
    """One specification for an input of ``shape`` (it may not fit: the caller checks)."""
    rank, channels = len(shape) - 1, shape[-1]
    spatial = [
        "conv",
        "depthwise",
        "separable",
        "pool",
        "zero_padding",
        "residual",
        "global",
        "flatten",
    ]
    kinds = ["batch_norm", "dense", "relu", "activation", "dropout"] + (spatial if rank >= 1 else [])
    kind = draw(st.sampled_from(kinds))
    activation = draw(st.sampled_from([None, "relu", "sigmoid", "softmax"]))
    use_bias = draw(st.booleans())
    if kind == "conv":
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
        filters = groups * draw(st.integers(1, 3))
        return Conv(filters, groups=groups, use_bias=use_bias, activation=activation, **draw(window_options(rank)))
    if kind == "depthwise":
        options = draw(window_options(rank, one_d_causal=False))
        return DepthwiseConv(depth_multiplier=draw(st.integers(1, 2)), use_bias=use_bias, **options)
    if kind == "separable":
        options = draw(window_options(rank, one_d_causal=False))
        return SeparableConv(draw(st.integers(1, 4)), depth_multiplier=draw(st.integers(1, 2)), **options)
    if kind == "pool":
        pool = tuple(draw(st.integers(1, 3)) for _ in range(rank))
        strides = draw(st.none() | st.tuples(*[st.integers(1, 3)] * rank))
        padding = draw(st.sampled_from(["valid", "same"]))
        return Pool(pool, strides, padding, draw(st.sampled_from(["max", "average"])))
    if kind == "zero_padding":
        return ZeroPadding(tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(rank)))
    if kind == "residual":
        filters, strides = draw(st.integers(1, 4)), draw(st.integers(1, 2))
        kernel = draw(st.integers(1, 3))
        branch = [Conv(filters, kernel, strides, "same", use_bias=False), BatchNorm(), ReLU()]
        branch.append(Conv(filters, kernel, padding="same"))
        projection = strides > 1 or filters != channels or draw(st.booleans())
        shortcut = [Conv(filters, 1, strides, use_bias=use_bias)] if projection else []
        return Residual(branch, shortcut)
    if kind == "global":
        return GlobalAveragePool(keepdims=draw(st.booleans()))
    if kind == "flatten":
        return Flatten()
    if kind == "batch_norm":
        return BatchNorm(center=draw(st.booleans()), scale=draw(st.booleans()))
    if kind == "dense":
        return Dense(draw(st.integers(1, 5)), use_bias=use_bias, activation=activation)
    if kind == "relu":
        return ReLU(draw(st.sampled_from([None, 6.0])))
    if kind == "activation":
        return Activation(draw(st.sampled_from(["relu", "tanh", "softmax", "linear"])))
    return Dropout(draw(st.sampled_from([0.0, 0.5])))


@st.composite
def stacks(draw):
    """A random stack of up to six layers on a 1D or 2D input, each fitting the output of the one before."""
    rank = draw(st.sampled_from([1, 2]))
    input_shape = (*(draw(st.integers(3, 9)) for _ in range(rank)), draw(st.integers(1, 4)))
    specs, shape = [], input_shape
    for _ in range(draw(st.integers(1, 6))):
        spec = draw(layer_specs(shape))
        try:
            shape = count([spec], shape)[-1].output_shape
        except ValueError:  # a window larger than its input: leave it out
            continue
        specs.append(spec)
    return specs, input_shape


@settings(max_examples=100)
@given(case=stacks())
def test_random_stacks_match_keras(case):
    specs, input_shape = case
    check_against_keras(specs, input_shape)


# --- classic architectures ----------------------------------------------------------------------------------------


def test_lenet5_matches_keras():
    counts = check_against_keras(counting.lenet5(), (32, 32, 1))
    assert totals(counts).parameters == 61706


def test_vgg16_on_small_images_matches_keras():
    # 32 x 32 images: five halvings leave 1 x 1 x 512 for the dense layers.
    counts = check_against_keras(counting.vgg16(classes=10, dense_units=512), (32, 32, 3))
    assert counts[-4].output_shape == (512,)


def test_resnet18_matches_keras():
    counts = check_against_keras(counting.resnet18(), (224, 224, 3))
    assert totals(counts).trainable_parameters == 11_689_512


def test_mobilenet_matches_keras():
    check_against_keras(counting.mobilenet(), (224, 224, 3))


def test_mobilenet_matches_keras_applications():
    # Keras' own MobileNet pads explicitly (ZeroPadding2D, then "valid") before each strided depthwise
    # convolution, where the spec says "same": the same shapes, parameters and multiply-adds.
    reference = keras.applications.MobileNet(input_shape=(224, 224, 3), include_top=False, weights=None, pooling="avg")
    from_keras = count_keras(reference)
    assert {c.kind for c in from_keras} >= {"conv", "depthwise_conv", "zero_padding", "batch_norm", "relu"}
    assert totals(from_keras).parameters == reference.count_params()
    for c in from_keras:
        layer = reference.get_layer(c.name)
        assert c.output_shape == tuple(layer.output.shape[1:]) and c.parameters == layer.count_params()
    ours = totals(count(counting.mobilenet()[:-1], (224, 224, 3)))  # without the dense layer
    theirs = totals(from_keras)
    assert (ours.parameters, ours.trainable_parameters, ours.macs) == (
        theirs.parameters,
        theirs.trainable_parameters,
        theirs.macs,
    )


def test_resnet50_from_keras_applications():
    # Bias in every convolution, "Activation" layers, explicit padding and 16 additions.
    reference = keras.applications.ResNet50(input_shape=(224, 224, 3), include_top=False, weights=None, pooling="avg")
    from_keras = count_keras(reference)
    assert sum(c.kind == "add" for c in from_keras) == 16
    assert totals(from_keras).parameters == reference.count_params()
    assert all(c.output_shape == tuple(reference.get_layer(c.name).output.shape[1:]) for c in from_keras)


def test_sequential_and_nested_models():
    lenet = counting.lenet5()
    sequential = keras.Sequential(
        [keras.Input((32, 32, 1)), *(keras_layer(spec, 2, f"s{i}") for i, spec in enumerate(lenet))]
    )
    expected = count(lenet, (32, 32, 1))
    actual = count_keras(sequential)
    assert [replace(c, name="") for c in actual] == [replace(c, name="") for c in expected]
    # A model used as a layer: its layers, in its place.
    inputs = keras.Input((32, 32, 1))
    outputs = keras.layers.Dense(3, name="head")(sequential(inputs))
    nested = count_keras(keras.Model(inputs, outputs))
    assert [c.name for c in nested] == [f"s{i}" for i in range(len(lenet))] + ["head"]
    assert nested[-1].parameters == 10 * 3 + 3


def test_keras_errors_name_the_layer():
    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, keras.layers.Conv2DTranspose(3, 3, name="up")(inputs))
    with pytest.raises(ValueError, match="layer 'up' is a Conv2DTranspose, which count_keras does not count"):
        count_keras(model)
    model = keras.Model(inputs, keras.layers.Conv2D(3, 3, activation="exponential", name="c")(inputs))
    with pytest.raises(ValueError, match="layer 'c': activation 'exponential' is not counted"):
        count_keras(model)
    model = keras.Sequential([keras.layers.Dense(2, name="d")])
    with pytest.raises(ValueError, match="layer 'd' has no input yet"):
        count_keras(model)
    unknown = keras.Input((None, None, 2))
    model = keras.Model(unknown, keras.layers.Conv2D(3, 3, name="c")(unknown))
    with pytest.raises(ValueError, match=r"layer 'c': its input shape \(None, None, 2\) is not fixed"):
        count_keras(model)
