"""The hardware TensorFlow sees: simulated devices, a description, strategy choice, seeding.

TensorFlow fixes its device list the first time anything touches a device. Splitting the CPU
into logical devices (`simulate_devices`) must therefore come first in a notebook, before any
tensor is created; this is the one piece of global state the course cannot avoid.
"""

from __future__ import annotations

import glob
import os
import platform
from dataclasses import dataclass, field

from hpclearn._tf import keras, tf

__all__ = ["Hardware", "describe", "seed_everything", "simulate_devices", "strategy"]

STRATEGY_KINDS = ("auto", "tpu", "mirrored", "one_device", "default")


def simulate_devices(n: int) -> list[str]:
    """Split the CPU into `n` logical devices, so one machine can play a multi-device one.

    Returns the names of the logical CPU devices. Calling it again with the same `n` is harmless
    (re-running a setup cell); any other `n` after TensorFlow has created its devices raises.

    >>> devices.simulate_devices(4)
    ['/device:CPU:0', '/device:CPU:1', '/device:CPU:2', '/device:CPU:3']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"simulate_devices needs a whole number of devices, 1 or more; got {n!r}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu)
    if configured is not None and len(configured) == n:
        return _cpu_names()
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
        )
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have == n:
            return _cpu_names()
        raise RuntimeError(
            f"simulate_devices({n}) must run before TensorFlow creates its devices, but this "
            f"process already has {have} CPU device(s). Restart the kernel and call "
            f"simulate_devices({n}) first, before any other TensorFlow call."
        ) from None
    return _cpu_names()


def _cpu_names() -> list[str]:
    return [d.name for d in tf.config.list_logical_devices("CPU")]


@dataclass(frozen=True)
class Hardware:
    """What this machine offers to TensorFlow. Produced by `describe()`."""

    cpu_model: str
    cpu_cores: int
    cpu_flags: tuple[str, ...]
    memory_gib: float
    logical_devices: dict[str, list[str]] = field(default_factory=dict)
    tpu_address: str | None = None
    tensorflow: str = tf.__version__
    keras: str = keras.__version__

    @property
    def num_gpus(self) -> int:
        return len(self.logical_devices.get("GPU", []))

    @property
    def num_cpu_devices(self) -> int:
        return len(self.logical_devices.get("CPU", []))


# Instruction-set extensions that decide which kernels the CPU can run fast.
_FLAGS_OF_INTEREST = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "amx_bf16",
    "amx_tile",
)


def describe() -> Hardware:
    """Describe the CPU, memory and the devices TensorFlow created (CPU, GPU, TPU).

    >>> hw = devices.describe(); hw.cpu_cores, hw.num_cpu_devices
    (2, 4)
    """
    model, flags = _cpu_info()
    logical: dict[str, list[str]] = {}
    for device in tf.config.list_logical_devices():
        logical.setdefault(device.device_type, []).append(device.name)
    return Hardware(
        cpu_model=model,
        cpu_cores=_usable_cores(),
        cpu_flags=tuple(f for f in _FLAGS_OF_INTEREST if f in flags),
        memory_gib=round(_memory_bytes() / 2**30, 1),
        logical_devices=logical,
        tpu_address=_tpu_address(),
    )


def _cpu_info() -> tuple[str, set[str]]:
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break  # the first processor's block names its model before its flags
    except OSError:  # not Linux: the model name from platform is the best we have
        pass
    return model, flags


def _usable_cores() -> int:
    """Cores this process may run on (a container or `taskset` can allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _tpu_address() -> str | None:
    """Where a TPU is reachable, or None. Never probes the network: a resolver asked to find a
    TPU on a machine without one waits on a cloud metadata server that is not there."""
    if os.environ.get("TPU_NAME"):
        return os.environ["TPU_NAME"]
    if os.environ.get("COLAB_TPU_ADDR"):
        return "grpc://" + os.environ["COLAB_TPU_ADDR"]
    if os.path.exists("/dev/accel0") or _tpu_on_pci():
        return "local"  # a TPU VM: the chips are attached to this host
    return None


# PCI device ids of Google's TPU chips (v2/v3, v4 lite, v4, v5p, v5e, v6e, 7x), as JAX's
# hardware_utils lists them. Newer TPU VMs expose their chips through VFIO (/dev/vfio/N), but so
# does any machine that passes a device to a VM or to user space: the PCI ids tell them apart.
_GOOGLE_PCI_VENDOR = "0x1ae0"
_TPU_PCI_DEVICES = {"0x0027", "0x0056", "0x005e", "0x0062", "0x0063", "0x006f", "0x0076"}


def _tpu_on_pci(root: str = "/sys/bus/pci/devices") -> bool:
    """Whether a Google TPU chip sits on this host's PCI bus (Linux sysfs; False elsewhere)."""
    for device in glob.glob(os.path.join(root, "*")):
        try:
            with open(os.path.join(device, "vendor")) as file:
                vendor = file.read().strip()
            with open(os.path.join(device, "device")) as file:
                ident = file.read().strip()
        except OSError:
            continue
        if vendor == _GOOGLE_PCI_VENDOR and ident in _TPU_PCI_DEVICES:
            return True
    return False


def strategy(kind: str = "auto", *, num_replicas: int | None = None) -> tf.distribute.Strategy:
    """The tf.distribute strategy for this machine.

    `kind="auto"` picks TPUStrategy when a TPU is reachable, MirroredStrategy over all GPUs when
    there are several, OneDeviceStrategy on a single GPU, and TensorFlow's default strategy on a
    CPU. `"mirrored"` on a CPU mirrors over the logical CPU devices of `simulate_devices`;
    `num_replicas` limits it to the first that many devices (for scaling experiments).

    >>> devices.simulate_devices(4)
    >>> devices.strategy("mirrored", num_replicas=2).num_replicas_in_sync
    2
    """
    if kind not in STRATEGY_KINDS:
        raise ValueError(f"strategy kind must be one of {STRATEGY_KINDS}; got {kind!r}.")
    if num_replicas is not None and kind != "mirrored":
        raise ValueError(f"num_replicas applies to kind='mirrored' only; got kind={kind!r}.")
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "auto":
        if _tpu_address() is not None:
            kind = "tpu"
        elif len(gpus) > 1:
            kind = "mirrored"
        elif len(gpus) == 1:
            kind = "one_device"
        else:
            kind = "default"
    if kind == "tpu":
        return _tpu_strategy()
    if kind == "mirrored":
        names = [d.name for d in gpus] if gpus else _cpu_names()
        if num_replicas is not None:
            if isinstance(num_replicas, bool) or not 1 <= num_replicas <= len(names):
                raise ValueError(
                    f"num_replicas must be between 1 and the {len(names)} devices present; got "
                    f"{num_replicas!r}. Simulate more with simulate_devices(n) at the start."
                )
            names = names[:num_replicas]
        if gpus:
            return tf.distribute.MirroredStrategy(names)
        # On CPU devices the default all-reduce is a collective whose group size is fixed per
        # process; reducing to one device lets strategies of different sizes coexist, which the
        # scaling experiments need.
        return tf.distribute.MirroredStrategy(
            names, cross_device_ops=tf.distribute.ReductionToOneDevice()
        )
    if kind == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else _cpu_names()[0])
    return tf.distribute.get_strategy()


def _tpu_strategy() -> tf.distribute.Strategy:
    address = _tpu_address()
    if address is None:
        raise RuntimeError(
            "No TPU is reachable from this machine (no TPU_NAME or COLAB_TPU_ADDR variable, no "
            "/dev/accel0). Use strategy('auto') to get the best strategy for the hardware present."
        )
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def seed_everything(seed: int = 0, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; with `deterministic`, make TF ops repeatable.

    Deterministic ops give bit-identical losses from run to run on one machine (nbval relies on
    it); they can be slower, so benchmarks pass `deterministic=False`. TensorFlow offers no way
    to turn determinism off again within a process.

    >>> devices.seed_everything(0)
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number; got {seed!r}.")
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
