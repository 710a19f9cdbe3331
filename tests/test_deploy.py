import numpy as np
import pytest

from hpclearn import bench, deploy
from hpclearn._tf import keras, tf

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 1.0, size=(64, 8)).astype(np.float32)


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)]
    )
    # Non-zero biases, so the converted models carry them (zero biases are dropped).
    model.set_weights([w + 0.1 if w.ndim == 1 else w for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def converted():
    model = tiny_model()
    tflite = {
        mode: deploy.to_tflite(model, mode, X if mode == "int8" else None) for mode in deploy.MODES
    }
    return model, tflite


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "tolerance"),
    [("float", 1e-5), ("dynamic_range", 0.05), ("float16", 0.01), ("int8", 0.1)],
)
def test_converted_model_predicts_what_keras_predicts(converted, mode, tolerance):
    model, tflite = converted
    want = model(X).numpy()
    got = deploy.predict(tflite[mode], X)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.abs(got - want).max() <= tolerance * np.abs(want).max()


@pytest.mark.slow
def test_int8_model_takes_and_returns_int8_with_their_quantization(converted):
    _, tflite = converted
    runner = deploy.interpreter(tflite["int8"])
    (source,), (sink,) = runner.get_input_details(), runner.get_output_details()
    assert source["dtype"] == np.int8 and sink["dtype"] == np.int8
    scale, zero_point = source["quantization"]
    # Calibrated on inputs in [0, 1]: the range maps onto [-128, 127].
    assert scale == pytest.approx(1 / 255, rel=0.01) and zero_point == -128
    assert sink["quantization"][0] > 0


@pytest.mark.slow
def test_float_and_weight_only_modes_keep_float_inputs_and_outputs(converted):
    _, tflite = converted
    for mode in ("float", "dynamic_range", "float16"):
        runner = deploy.interpreter(tflite[mode])
        assert runner.get_input_details()[0]["dtype"] == np.float32
        assert runner.get_output_details()[0]["dtype"] == np.float32


@pytest.mark.slow
def test_saved_model_directory_converts_like_the_keras_model(converted, tmp_path):
    model, tflite = converted
    model.export(tmp_path / "saved", verbose=False)
    from_directory = deploy.to_tflite(tmp_path / "saved", "float")
    np.testing.assert_allclose(
        deploy.predict(from_directory, X), deploy.predict(tflite["float"], X), rtol=1e-6
    )


@pytest.mark.slow
def test_predict_resizes_a_reused_interpreter_between_batch_sizes(converted):
    _, tflite = converted
    runner = deploy.interpreter(tflite["float"])
    batch = deploy.predict(runner, X)
    single = deploy.predict(runner, X[3:4])
    np.testing.assert_allclose(single[0], batch[3], rtol=1e-6)
    np.testing.assert_allclose(deploy.predict(runner, X), batch)


@pytest.mark.slow
def test_predict_rejects_inputs_of_the_wrong_shape(converted):
    _, tflite = converted
    with pytest.raises(ValueError, match=r"shape \(batch, 8\)"):
        deploy.predict(tflite["float"], np.ones((4, 5), np.float32))


@pytest.mark.slow
def test_predict_rejects_models_with_several_inputs():
    first, second = keras.Input((3,)), keras.Input((3,))
    model = keras.Model(
        [first, second], keras.layers.Dense(2)(keras.layers.Concatenate()([first, second]))
    )
    with pytest.raises(ValueError, match="one input and one output"):
        deploy.predict(deploy.to_tflite(model, "float"), np.ones((1, 3), np.float32))


@pytest.mark.slow
def test_latency_times_tflite_bytes_and_callables(converted):
    model, tflite = converted
    for target in (tflite["int8"], model):
        timing = deploy.latency(target, X[:1], repeats=3)
        assert isinstance(timing, bench.Timing)
        assert timing.repeats == 3 and timing.median > 0


def test_to_tflite_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        deploy.to_tflite(tiny_model(), "int4")


def test_to_tflite_needs_representative_data_for_int8_and_only_for_int8():
    with pytest.raises(ValueError, match="representative"):
        deploy.to_tflite(tiny_model(), "int8")
    with pytest.raises(ValueError, match="mode='int8' only"):
        deploy.to_tflite(tiny_model(), "dynamic_range", representative=X)


def test_to_tflite_rejects_a_directory_that_is_not_a_saved_model(tmp_path):
    with pytest.raises(ValueError, match="not a SavedModel"):
        deploy.to_tflite(tmp_path, "float")


def test_interpreter_and_latency_reject_what_they_cannot_run():
    with pytest.raises(ValueError, match="model's bytes"):
        deploy.interpreter("model.tflite")
    with pytest.raises(ValueError, match="callable"):
        deploy.latency(42, X)


def test_latency_of_a_callable_counts_the_repeats():
    calls = []
    timing = deploy.latency(lambda x: calls.append(len(x)), X, repeats=4, warmup=1)
    assert timing.repeats == 4 and calls == [64] * 5


def test_file_size_adds_up_the_files_of_a_directory(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 23)
    assert deploy.file_size(tmp_path / "a.bin") == 100
    assert deploy.file_size(tmp_path) == 123
    with pytest.raises(ValueError, match="neither a file nor a directory"):
        deploy.file_size(tmp_path / "missing")


@pytest.mark.slow
def test_litert_runs_the_int8_model_exactly_as_tensorflow_s_deprecated_interpreter(converted):
    _, tflite = converted
    runner = deploy.interpreter(tflite["int8"])
    with pytest.warns(UserWarning, match="deprecated"):
        reference = tf.lite.Interpreter(model_content=tflite["int8"])
    reference.allocate_tensors()
    source = reference.get_input_details()[0]
    scale, zero_point = source["quantization"]
    quantized = np.clip(np.round(X[:1] / scale) + zero_point, -128, 127).astype(np.int8)
    reference.set_tensor(source["index"], quantized)
    reference.invoke()
    want = reference.get_tensor(reference.get_output_details()[0]["index"])
    deploy.predict(runner, X[:1])
    got = runner.get_tensor(runner.get_output_details()[0]["index"])
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)
