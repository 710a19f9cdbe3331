import numpy as np
import pytest

from hpclearn import pruning
from hpclearn._tf import keras


def mlp(widths=(8, 6, 3), input_dim=5, seed=0):
    keras.utils.set_random_seed(seed)
    layers = [keras.layers.Dense(w, activation="relu") for w in widths[:-1]]
    model = keras.Sequential([keras.Input((input_dim,)), *layers, keras.layers.Dense(widths[-1])])
    return model


def smallest_magnitudes(weights, target):
    """A reference magnitude mask: zero the round(target·n) smallest |w|."""
    flat = np.abs(weights).ravel()
    mask = np.ones_like(flat)
    mask[np.argsort(flat, kind="stable")[: round(target * flat.size)]] = 0
    return mask.reshape(weights.shape)


def test_prunable_kernels_are_the_dense_kernels_in_order_including_nested_models():
    inner = mlp((4, 4), input_dim=4)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), inner])
    shapes = [tuple(k.shape) for k in pruning.prunable_kernels(model)]
    assert shapes == [(5, 4), (4, 4), (4, 4)]
    with pytest.raises(ValueError, match="no Dense or Conv"):
        pruning.prunable_kernels(keras.Sequential([keras.Input((3,)), keras.layers.ReLU()]))


def test_callback_reaches_the_scheduled_sparsity_and_keeps_pruned_weights_at_zero():
    model = mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 5)).astype("float32")
    y = np.random.default_rng(1).normal(size=(64, 3)).astype("float32")
    schedule = lambda step: min(0.75, 0.25 * step)  # noqa: E731
    callback = pruning.MagnitudePruning(smallest_magnitudes, schedule)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[callback])
    assert callback.step == 8
    assert pruning.sparsity(model) == pytest.approx(0.75, abs=0.02)
    for kernel, mask in zip(pruning.prunable_kernels(model), callback.masks, strict=True):
        assert np.all(kernel.numpy()[mask == 0] == 0.0)
        assert mask.mean() == pytest.approx(0.25, abs=0.05)


def test_callback_updates_masks_only_every_frequency_steps():
    model = mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = np.ones((32, 5), "float32"), np.ones((32, 3), "float32")
    callback = pruning.MagnitudePruning(smallest_magnitudes, lambda step: 0.5, frequency=100)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    # The mask computed at the start (step 0) is kept: half of each kernel is zero.
    assert pruning.sparsity(model) == pytest.approx(0.5, abs=0.05)


def test_callback_rejects_bad_schedules_masks_and_frequencies():
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 5), "float32"), np.ones((8, 3), "float32")
    with pytest.raises(ValueError, match="between 0 and 1"):
        model.fit(
            x,
            y,
            verbose=0,
            callbacks=[pruning.MagnitudePruning(smallest_magnitudes, lambda s: 1.5)],
        )
    with pytest.raises(ValueError, match="same shape"):
        model.fit(
            x,
            y,
            verbose=0,
            callbacks=[pruning.MagnitudePruning(lambda w, s: np.ones(3), lambda s: 0.5)],
        )
    with pytest.raises(ValueError, match="frequency"):
        pruning.MagnitudePruning(smallest_magnitudes, lambda s: 0.5, frequency=0)
    with pytest.raises(ValueError, match="functions"):
        pruning.MagnitudePruning(0.5, lambda s: 0.5)


def test_sparsity_counts_exact_zeros_of_the_kernels_only():
    model = mlp((4, 2), input_dim=2)
    first, second = model.layers
    first.set_weights([np.array([[0, 1, 0, 2], [3, 0, 0, 0]], "float32"), np.zeros(4, "float32")])
    second.set_weights([np.ones((4, 2), "float32"), np.zeros(2, "float32")])
    assert pruning.sparsity(model) == pytest.approx(5 / 16)  # biases are not counted


def test_gzip_size_shrinks_when_weights_are_zeroed():
    model = mlp((256, 10), input_dim=64)
    dense = pruning.gzip_size(model)
    raw = sum(w.nbytes for w in model.get_weights())
    assert 0.8 * raw < dense < 1.05 * raw  # random float32 barely compresses
    kernel, bias = model.layers[0].get_weights()
    model.layers[0].set_weights([kernel * smallest_magnitudes(kernel, 0.9), bias])
    assert pruning.gzip_size(model) < 0.5 * dense


def test_remove_neurons_gives_a_smaller_model_with_the_same_outputs_when_removed_neurons_are_dead():
    model = mlp((6, 4, 3), input_dim=5)
    kernel, bias = model.layers[0].get_weights()
    dead = [1, 4]
    kernel[:, dead], bias[dead] = 0.0, -1.0  # ReLU outputs 0 for these neurons, whatever the input
    model.layers[0].set_weights([kernel, bias])
    keep = [0, 2, 3, 5]
    smaller = pruning.remove_neurons(model, 0, keep)
    assert [layer.units for layer in smaller.layers] == [4, 4, 3]
    assert smaller.layers[1].kernel.shape == (4, 4)
    x = np.random.default_rng(2).normal(size=(10, 5)).astype("float32")
    np.testing.assert_allclose(
        smaller.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    assert smaller.count_params() < model.count_params()


def test_remove_neurons_rejects_output_layers_and_bad_indices():
    model = mlp()
    with pytest.raises(ValueError, match="hidden layer"):
        pruning.remove_neurons(model, 2, [0])
    with pytest.raises(ValueError, match="at least one neuron"):
        pruning.remove_neurons(model, 0, [])
    with pytest.raises(ValueError, match="at least one neuron"):
        pruning.remove_neurons(model, 0, [8])


def test_sparse_tflite_stores_a_pruned_model_smaller_and_computes_the_same_outputs():
    from hpclearn import deploy

    model = mlp((64, 64, 3), input_dim=32)
    weights = [w * (np.abs(w) > np.quantile(np.abs(w), 0.9)) for w in model.get_weights()]
    model.set_weights(weights)
    dense_file, sparse_file = deploy.to_tflite(model), pruning.sparse_tflite(model)
    assert len(sparse_file) < 0.5 * len(dense_file)
    x = np.random.default_rng(0).normal(size=(4, 32)).astype("float32")
    np.testing.assert_allclose(deploy.predict(sparse_file, x), model(x).numpy(), atol=1e-5)


def test_tflite_ops_lists_the_densify_ops_of_a_sparse_model():
    model = mlp((64, 64, 3), input_dim=32)
    model.set_weights([w * (np.abs(w) > np.quantile(np.abs(w), 0.9)) for w in model.get_weights()])
    ops = pruning.tflite_ops(pruning.sparse_tflite(model))
    assert "DENSIFY" in ops and "FULLY_CONNECTED" in ops
    with pytest.raises(ValueError, match="bytes"):
        pruning.tflite_ops("model.tflite")
