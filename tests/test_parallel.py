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


class FakeClock:
    """A clock that moves only when a task says how long it took."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def task(self, seconds):
        def work():
            self.now += seconds
            return seconds

        return work


def gpipe(timeline, clock, num_micro_batches, forward=1.0, backward=2.0, heavy_stage=None):
    """Every micro-batch forward through the stages, then every micro-batch backward (GPipe)."""
    p = timeline.num_stages
    scale = [2.0 if s == heavy_stage else 1.0 for s in range(p)]
    for j in range(num_micro_batches):
        for s in range(p):
            timeline.run(s, j, "forward", clock.task(forward * scale[s]))
    for j in range(num_micro_batches):
        for s in reversed(range(p)):
            timeline.run(s, j, "backward", clock.task(backward * scale[s]))


@pytest.mark.parametrize(("stages", "micro_batches"), [(1, 1), (2, 1), (4, 1), (4, 4), (3, 16)])
def test_gpipe_with_equal_stages_has_the_theoretical_bubble(stages, micro_batches):
    clock = FakeClock()
    timeline = parallel.Timeline(stages, clock=clock)
    gpipe(timeline, clock, micro_batches)
    theory = (stages - 1) / (micro_batches + stages - 1)
    assert timeline.makespan == pytest.approx((micro_batches + stages - 1) * 3.0)
    for s in range(stages):
        assert timeline.busy(s) == pytest.approx(micro_batches * 3.0)
        assert timeline.idle_fraction(s) == pytest.approx(theory)
    assert timeline.bubble == pytest.approx(theory)
    assert len(timeline.tasks) == 2 * stages * micro_batches


def test_tasks_start_when_their_input_and_their_device_are_ready():
    clock = FakeClock()
    timeline = parallel.Timeline(2, clock=clock)
    gpipe(timeline, clock, 2)
    start = {(t.stage, t.micro_batch, t.phase): t.start for t in timeline.tasks}
    assert start[0, 0, "forward"] == 0.0
    assert start[1, 0, "forward"] == 1.0  # waits for stage 0's output
    assert start[0, 1, "forward"] == 1.0  # overlaps with stage 1: the pipeline at work
    assert start[1, 0, "backward"] == 3.0  # after its own last forward (micro-batch 1)
    assert start[0, 0, "backward"] == 5.0  # waits for stage 1's backward of micro-batch 0


def test_a_slow_stage_sets_the_pace_and_the_others_wait():
    clock = FakeClock()
    timeline = parallel.Timeline(4, clock=clock)
    gpipe(timeline, clock, 8, heavy_stage=2)
    theory = 3 / (8 + 3)
    assert timeline.idle_fraction(2) < theory < timeline.idle_fraction(0)
    assert timeline.bubble > theory


def test_timeline_runs_the_function_and_returns_its_result():
    timeline = parallel.Timeline(1)
    assert timeline.run(0, 0, "forward", lambda a, b: a + b, 2, 3) == 5
    assert timeline.tasks[0].seconds >= 0.0
    assert timeline.tasks[0].end == timeline.tasks[0].start + timeline.tasks[0].seconds


def test_timeline_rejects_tasks_the_data_flow_does_not_allow():
    timeline = parallel.Timeline(2)
    with pytest.raises(ValueError, match="needs stage 0's forward"):
        timeline.run(1, 0, "forward", lambda: None)
    with pytest.raises(ValueError, match="needs stage 1's forward"):
        timeline.run(1, 0, "backward", lambda: None)
    timeline.run(0, 0, "forward", lambda: None)
    with pytest.raises(ValueError, match="already ran"):
        timeline.run(0, 0, "forward", lambda: None)
    with pytest.raises(ValueError, match="phase"):
        timeline.run(0, 1, "sideways", lambda: None)
    with pytest.raises(ValueError, match="stage must be"):
        timeline.run(2, 0, "forward", lambda: None)
    with pytest.raises(ValueError, match="num_stages"):
        parallel.Timeline(0)
    with pytest.raises(ValueError, match="empty"):
        parallel.Timeline(1).idle_fraction(0)


def one_f_one_b(timeline, clock, num_micro_batches, forward=1.0, backward=2.0):
    """1F1B: stage s runs p − s − 1 warm-up forwards, then alternates one forward, one backward."""
    p, m = timeline.num_stages, num_micro_batches
    orders = []
    for s in range(p):
        warm_up = min(p - s - 1, m)
        order = [("forward", j) for j in range(warm_up)]
        for j in range(m - warm_up):
            order += [("forward", warm_up + j), ("backward", j)]
        order += [("backward", j) for j in range(m - warm_up, m)]
        orders.append(order)
    done, cost = set(), {"forward": forward, "backward": backward}
    while any(orders):
        for s in range(p):
            if not orders[s]:
                continue
            phase, j = orders[s][0]
            if phase == "forward":
                needed = (s - 1, j, "forward") if s > 0 else None
            else:
                needed = (s, j, "forward") if s == p - 1 else (s + 1, j, "backward")
            if needed is None or needed in done:
                timeline.run(s, j, phase, clock.task(cost[phase]))
                done.add((s, j, phase))
                orders[s].pop(0)


@pytest.mark.parametrize(("stages", "micro_batches"), [(4, 8), (3, 5), (4, 2)])
def test_1f1b_keeps_the_bubble_of_gpipe_and_at_most_p_micro_batches(stages, micro_batches):
    clock = FakeClock()
    gpipe_timeline = parallel.Timeline(stages, clock=clock)
    gpipe(gpipe_timeline, clock, micro_batches)
    f1b1_timeline = parallel.Timeline(stages, clock=clock)
    one_f_one_b(f1b1_timeline, clock, micro_batches)
    assert f1b1_timeline.bubble == pytest.approx(gpipe_timeline.bubble)
    for s in range(stages):
        assert gpipe_timeline.in_flight(s) == micro_batches
        assert f1b1_timeline.in_flight(s) == min(stages - s, micro_batches)


def test_in_flight_counts_a_micro_batch_until_its_backward_ends():
    clock = FakeClock()
    timeline = parallel.Timeline(1, clock=clock)
    timeline.run(0, 0, "forward", clock.task(1.0))
    timeline.run(0, 0, "backward", clock.task(1.0))
    timeline.run(0, 1, "forward", clock.task(1.0))  # starts as the first one's backward ends
    assert timeline.in_flight(0) == 1
    with pytest.raises(ValueError, match="stage must be"):
        timeline.in_flight(1)


def test_each_message_costs_latency_plus_bytes_over_bandwidth_on_its_senders_link():
    net = parallel.Network(3, latency=1e-6, bandwidth=1e9)
    net.send(0, 1, np.ones(250, np.float32))  # 1000 bytes
    net.send(0, 2, np.ones(250, np.float32))
    net.send(2, 0, np.ones(500, np.float32))  # 2000 bytes
    assert net.seconds_sent == pytest.approx([2 * (1e-6 + 1e-6), 0.0, 1e-6 + 2e-6])
    assert net.max_seconds_per_worker == pytest.approx(4e-6)


def test_a_ring_step_schedule_costs_what_the_alpha_beta_model_predicts():
    # N workers each send 2(N−1) chunks of S/N bytes to their neighbour: 2(N−1)(α + S/(Nβ)).
    n, size, alpha, beta = 4, 4096, 2e-6, 1e8
    net = parallel.Network(n, latency=alpha, bandwidth=beta)
    chunk = np.zeros(size // n // 4, np.float32)
    for _ in range(2 * (n - 1)):
        for worker in range(n):
            net.send(worker, (worker + 1) % n, chunk)
    assert net.max_seconds_per_worker == pytest.approx(2 * (n - 1) * (alpha + size / (n * beta)))


def test_without_latency_and_bandwidth_a_network_counts_no_time():
    net = parallel.Network(2)
    net.send(0, 1, np.ones(10))
    assert net.seconds_sent == [0.0, 0.0]


@pytest.mark.parametrize(
    ("latency", "bandwidth"), [(-1e-6, 1e9), (0.0, 0), (0.0, -5.0), ("1", 1e9), (True, 1e9)]
)
def test_network_rejects_negative_latency_and_non_positive_bandwidth(latency, bandwidth):
    with pytest.raises(ValueError, match=r"latency|bandwidth"):
        parallel.Network(2, latency=latency, bandwidth=bandwidth)
