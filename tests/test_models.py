import numpy as np
import pytest

from hpclearn import models


def test_simple_net_matches_the_source_article_layers():
    model = models.simple_net(20)
    widths = [layer.units for layer in model.layers]
    activations = [layer.activation.__name__ for layer in model.layers]
    assert widths == [10, 10, 1]
    assert activations == ["relu", "relu", "sigmoid"]
    # (20·10 + 10) + (10·10 + 10) + (10·1 + 1)
    assert model.count_params() == 331


def test_simple_net_outputs_probabilities():
    out = models.simple_net(5)(np.random.default_rng(0).normal(size=(7, 5)).astype("float32"))
    assert out.shape == (7, 1)
    assert np.all((out.numpy() > 0) & (out.numpy() < 1))


def test_lenet_has_the_classic_shape_and_parameter_count():
    model = models.lenet((32, 32, 3), num_classes=10)
    # conv 5·5·3·6+6, conv 5·5·6·16+16, dense 400·120+120, 120·84+84, 84·10+10
    assert model.count_params() == 456 + 2416 + 48120 + 10164 + 850
    assert model.layers[-1].units == 10
    assert model(np.zeros((2, 32, 32, 3), "float32")).shape == (2, 10)


def test_lenet_rejects_images_too_small_for_its_convolutions():
    with pytest.raises(ValueError, match="at least 16"):
        models.lenet((8, 8, 1))
    models.lenet((16, 16, 1), num_classes=3)  # the smallest that fits


def test_simple_net_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match="positive"):
        models.simple_net(0)
