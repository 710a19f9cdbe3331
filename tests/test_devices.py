import pytest

from hpclearn import devices


def test_simulate_devices_creates_the_requested_logical_cpus(run_python):
    result = run_python(
        """
        from hpclearn import devices
        print(devices.simulate_devices(3))
        print(devices.simulate_devices(3))  # a second identical call is harmless
        print(devices.describe().num_cpu_devices)
        """
    )
    assert result.returncode == 0, result.stderr
    names = "['/device:CPU:0', '/device:CPU:1', '/device:CPU:2']"
    assert result.stdout.splitlines() == [names, names, "3"]


def test_simulate_devices_after_tensorflow_started_says_to_restart(run_python):
    result = run_python(
        """
        from hpclearn import devices
        from hpclearn._tf import tf
        tf.constant(1.0)  # creates the devices
        try:
            devices.simulate_devices(4)
        except RuntimeError as err:
            print(err)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "must run before TensorFlow creates its devices" in result.stdout
    assert "Restart the kernel" in result.stdout


def test_mirrored_strategy_spans_every_simulated_device(run_python):
    result = run_python(
        """
        from hpclearn import devices
        devices.simulate_devices(4)
        print(devices.strategy("mirrored").num_replicas_in_sync)
        # strategies of different sizes coexist in one process (the scaling experiments)
        print(devices.strategy("mirrored", num_replicas=2).num_replicas_in_sync)
        print(type(devices.strategy("auto")).__name__)
        print(type(devices.strategy("one_device")).__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "2", "_DefaultDistributionStrategy", "OneDeviceStrategy"]


def test_num_replicas_must_fit_the_devices_and_the_kind():
    with pytest.raises(ValueError, match="between 1 and"):
        devices.strategy("mirrored", num_replicas=99)
    with pytest.raises(ValueError, match="mirrored"):
        devices.strategy("auto", num_replicas=2)


def test_importing_hpclearn_keeps_tensorflow_start_up_lines_off_stderr(run_python):
    result = run_python(
        """
        from hpclearn import devices
        devices.describe()
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "4"])
def test_simulate_devices_rejects_non_positive_or_non_integer_counts(bad):
    with pytest.raises(ValueError, match="whole number of devices"):
        devices.simulate_devices(bad)


def test_unknown_strategy_kind_lists_the_valid_ones():
    with pytest.raises(ValueError, match="one of"):
        devices.strategy("nccl")


def test_tpu_strategy_without_a_tpu_explains_instead_of_hanging(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    monkeypatch.delenv("COLAB_TPU_ADDR", raising=False)
    if devices.describe().tpu_address is not None:
        pytest.skip("this machine has a TPU")
    with pytest.raises(RuntimeError, match="No TPU is reachable"):
        devices.strategy("tpu")


def test_tpu_address_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    monkeypatch.delenv("TPU_NAME", raising=False)
    assert devices.describe().tpu_address == "grpc://10.0.0.2:8470"
    monkeypatch.setenv("TPU_NAME", "my-pod")
    assert devices.describe().tpu_address == "my-pod"


def test_describe_reports_this_machine():
    hw = devices.describe()
    assert hw.cpu_cores >= 1
    assert hw.memory_gib > 0
    assert hw.num_cpu_devices >= 1
    assert hw.cpu_model


def test_seed_everything_makes_random_draws_repeat():
    import numpy as np

    from hpclearn._tf import tf

    devices.seed_everything(7)
    first = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    devices.seed_everything(7)
    second = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])


@pytest.mark.parametrize("bad", [-1, 1.5, None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        devices.seed_everything(bad)


def _pci_device(root, name, vendor, device):
    folder = root / name
    folder.mkdir()
    (folder / "vendor").write_text(vendor + "\n")
    (folder / "device").write_text(device + "\n")


def test_a_tpu_is_recognised_by_its_pci_ids_not_by_vfio_alone(tmp_path):
    # A Google virtual NIC (gVNIC, 0x1ae0:0x0042) is on every GCE VM and is no TPU.
    _pci_device(tmp_path, "0000:00:04.0", "0x1ae0", "0x0042")
    _pci_device(tmp_path, "0000:00:05.0", "0x10de", "0x2330")  # an NVIDIA H100
    assert not devices._tpu_on_pci(str(tmp_path))
    _pci_device(tmp_path, "0000:00:06.0", "0x1ae0", "0x0063")  # a TPU v5e chip
    assert devices._tpu_on_pci(str(tmp_path))
    assert not devices._tpu_on_pci(str(tmp_path / "missing"))
