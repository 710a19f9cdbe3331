import numpy as np
import pytest

from hpclearn import data


def test_digits_are_scaled_and_split_without_overlap():
    split = data.digits(test_fraction=0.25, seed=0)
    assert split.x_train.shape == (1348, 64) and split.x_test.shape == (449, 64)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int32
    assert split.x_train.min() >= 0.0 and split.x_train.max() <= 1.0
    assert split.num_classes == 10
    train_rows = {row.tobytes() for row in split.x_train}
    # digits has a handful of duplicate images; a leak would show as far more than that
    assert sum(row.tobytes() in train_rows for row in split.x_test) < 10


def test_digits_as_images_have_a_channel_axis():
    assert data.digits(images=True).x_train.shape[1:] == (8, 8, 1)


def test_mnist_is_real_28x28_digits_balanced_scaled_and_split_without_overlap():
    split = data.mnist(seed=0)
    assert split.x_train.shape == (4000, 784) and split.x_test.shape == (1000, 784)
    assert split.x_train.dtype == np.float32 and split.y_test.dtype == np.int32
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    counts = np.bincount(np.concatenate([split.y_train, split.y_test]))
    assert counts.tolist() == [500] * 10
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_test)
    assert data.mnist(images=True, seed=0).x_test.shape[1:] == (28, 28, 1)
    assert np.array_equal(data.mnist(seed=0).y_test, split.y_test)
    assert not np.array_equal(data.mnist(seed=1).y_test, split.y_test)


def test_binary_classification_is_standardised_on_train_and_repeatable():
    a = data.binary_classification(400, 10, seed=3)
    b = data.binary_classification(400, 10, seed=3)
    assert np.array_equal(a.x_train, b.x_train)
    np.testing.assert_allclose(a.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(a.x_train.std(axis=0), 1.0, atol=1e-3)
    assert set(np.unique(a.y_train)) == {0, 1}


def test_rgb_images_have_balanced_classes_in_range():
    split = data.rgb_images(800, size=16, num_classes=4, seed=1)
    assert split.x_train.shape == (600, 16, 16, 3)
    assert split.x_train.min() >= 0.0 and split.x_train.max() <= 1.0
    counts = np.bincount(split.y_train, minlength=4)
    assert counts.min() > 0.6 * counts.mean()


def test_rgb_image_classes_are_not_separable_by_mean_colour():
    # the label lives in the stripes' orientation, not the colours: a classifier must look at
    # spatial structure, which is why the notebook uses a CNN
    split = data.rgb_images(2000, size=16, num_classes=2, seed=0)
    means = split.x_train.mean(axis=(1, 2))
    gap = np.abs(means[split.y_train == 0].mean(0) - means[split.y_train == 1].mean(0))
    assert gap.max() < 0.05


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_bad_test_fraction_is_rejected(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.digits(test_fraction=fraction)


def test_pipeline_batches_every_element_once_per_epoch():
    x = np.arange(10, dtype=np.float32)
    ds = data.pipeline(x, x * 2, batch_size=4, shuffle_seed=0, prefetch=True)
    batches = list(ds.as_numpy_iterator())
    assert [len(bx) for bx, _ in batches] == [4, 4, 2]
    xs = np.concatenate([bx for bx, _ in batches])
    ys = np.concatenate([by for _, by in batches])
    assert sorted(xs.tolist()) == list(range(10))
    np.testing.assert_array_equal(ys, xs * 2)


def test_pipeline_map_runs_in_parallel_and_cached_with_same_result():
    x = np.arange(8, dtype=np.float32)
    plain = data.pipeline(x, batch_size=8, map_fn=lambda v: v + 1)
    fast = data.pipeline(x, batch_size=8, map_fn=lambda v: v + 1, parallel=True, cache=True)
    np.testing.assert_array_equal(next(iter(plain)).numpy(), next(iter(fast)).numpy())


def test_pipeline_rejects_mismatched_lengths_and_knobs_without_a_map():
    with pytest.raises(ValueError, match="same length"):
        data.pipeline(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="map_fn"):
        data.pipeline(np.zeros(3), parallel=True)
