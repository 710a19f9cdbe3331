import numpy as np
import pytest

from hpclearn import parallel


def test_send_delivers_a_copy_and_counts_the_senders_bytes():
    net = parallel.Network(3)
    original = np.arange(10, dtype=np.float32)
    received = net.send(2, 0, original)
    np.testing.assert_array_equal(received, original)
    received[0] = 99.0
    assert original[0] == 0.0  # no shared memory between workers
    assert net.bytes_sent == [0, 0, 40]
    assert net.messages == 1
    assert net.log == [(2, 0, 40)]


def test_totals_add_up_over_several_sends():
    net = parallel.Network(4)
    for source in range(1, 4):
        net.send(source, 0, np.zeros(8, np.float64))
    net.send(0, 1, np.zeros(8, np.float64))
    assert net.bytes_sent == [64, 64, 64, 64]
    assert net.total_bytes == 256
    assert net.max_bytes_per_worker == 64
    assert net.messages == 4


def test_send_rejects_unknown_workers_and_self_messages():
    net = parallel.Network(2)
    with pytest.raises(ValueError, match="from 0 to 1"):
        net.send(0, 2, np.zeros(1))
    with pytest.raises(ValueError, match="itself"):
        net.send(1, 1, np.zeros(1))
    with pytest.raises(ValueError, match="num_workers"):
        parallel.Network(0)
